import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A service process that started on a data dir and still runs (its run file names a live pid). */
export interface RunningService {
  target: string;
  pid: number;
}

/**
 * The services still running on `dataDir`, from the run files each writes at start and removes at
 * stop. A run file whose process is gone (a crash, a kill -9) does not count.
 */
export function runningServices(dataDir: string): RunningService[] {
  const folder = path.join(dataDir, 'run');
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    let pid: unknown;
    try {
      pid = (JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as { pid?: unknown }).pid;
    } catch {
      return [];
    }
    if (typeof pid !== 'number' || pid === process.pid || !isAlive(pid)) return [];
    return [{ target: name.slice(0, -'.json'.length), pid }];
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
