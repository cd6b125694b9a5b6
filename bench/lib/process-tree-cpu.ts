/**
 * CPU time (user + system) of a process and every process below it, read from Linux's /proc, so
 * the baselines' servers are measured as B's gateway is: nginx's master and worker under its
 * Node wrapper, or one Node server alone. Elsewhere (no /proc) it answers undefined and the
 * figure is left out, never guessed.
 */
import { readdirSync, readFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every Linux the bench runs on.
const microsPerTick = 10_000;

interface Stat {
  ppid: number;
  cpuMicros: number;
}

function statOf(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), cpuMicros: (Number(fields[11]) + Number(fields[12])) * microsPerTick };
}

/**
 * Cumulative CPU microseconds of each of `roots` and their descendants together, from one reading
 * of /proc; undefined without /proc or when a root is gone.
 */
export function treeCpuMicros(roots: readonly number[]): number | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return undefined;
  }
  const stats = new Map<number, Stat>();
  const children = new Map<number, number[]>();
  for (const each of pids) {
    const stat = statOf(each);
    if (!stat) continue;
    stats.set(each, stat);
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(each);
    else children.set(stat.ppid, [each]);
  }
  if (!roots.every((root) => stats.has(root))) return undefined;
  let total = 0;
  const pending = [...roots];
  while (pending.length > 0) {
    const next = pending.pop()!;
    total += stats.get(next)!.cpuMicros;
    pending.push(...(children.get(next) ?? []));
  }
  return total;
}
