/**
 * CPU time (user + system) of processes, read from Linux's /proc: of a process and every process
 * below it, so the baselines' servers are measured as B's gateway is (nginx's master and worker
 * under its Node wrapper, or one Node server alone), and of every process by name (the machine
 * account's Postgres and Valkey). Elsewhere (no /proc) it answers undefined and the figure is left
 * out, never guessed.
 */
import { readdirSync, readFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every Linux the bench runs on.
export const microsPerTick = 10_000;

export interface ProcessStat {
  /** The `comm` field: the executable's name, at most 15 characters. */
  name: string;
  ppid: number;
  cpuMicros: number;
}

function statOf(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone between the listing and the read
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    ppid: Number(fields[1]),
    cpuMicros: (Number(fields[11]) + Number(fields[12])) * microsPerTick,
  };
}

/** Every process's stat, by pid, from one pass over /proc; undefined without /proc. */
export function readProcesses(): Map<number, ProcessStat> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const stats = new Map<number, ProcessStat>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  return stats;
}

/**
 * Cumulative CPU microseconds of each of `roots` and their descendants together, from one reading
 * of /proc (`processes`, or a fresh one); undefined without /proc or when a root is gone.
 */
export function treeCpuMicros(
  roots: readonly number[],
  processes: Map<number, ProcessStat> | undefined = readProcesses(),
): number | undefined {
  if (!processes || !roots.every((root) => processes.has(root))) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, stat] of processes) {
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  let total = 0;
  const pending = [...roots];
  while (pending.length > 0) {
    const next = pending.pop()!;
    total += processes.get(next)!.cpuMicros;
    pending.push(...(children.get(next) ?? []));
  }
  return total;
}
