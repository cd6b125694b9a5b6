import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exitCodes } from '../base-command.js';
import { runningServices } from '../running-services.js';
import { DevError } from './dev-error.js';

/** The file that marks a folder as the data of `mosaic dev`, with what the admin API cannot tell. */
export const markerName = 'mosaic-dev.json';

export interface DevMarker {
  version: 1;
  /**
   * The seed items were all created. The admin API has no way to list items, so this is the one
   * fact of a reused dir not asked of the gateways.
   */
  itemsSeeded: boolean;
}

/**
 * Where the demo keeps both gateways: `a/` and `b/` (each a MOSAIC_DATA_DIR), `logs/`, the scope
 * file and the marker.
 */
export class DevDir {
  private constructor(
    readonly root: string,
    /** Created by this run in the temp folder: removed at the end unless --keep. */
    readonly temporary: boolean,
    /** Held data of an earlier run (the marker was there). */
    readonly reused: boolean,
  ) {}

  /**
   * A fresh temp dir, or the given one: created when missing, reused when it holds an earlier
   * run's data, refused when it holds anything else (the demo never writes into a folder it does
   * not own).
   */
  static async open(given: string | undefined): Promise<DevDir> {
    if (given === undefined) {
      const root = await mkdtemp(path.join(os.tmpdir(), 'mosaic-dev-'));
      const dir = new DevDir(root, true, false);
      await dir.writeMarker({ version: 1, itemsSeeded: false });
      return dir;
    }
    const root = path.resolve(given);
    if (existsSync(root)) {
      const entries = await readdir(root).catch((error: Error) => {
        throw new DevError({
          message: `--dir ${root} cannot be read (${error.message}).`,
          remedy: 'give a folder you can write to, or leave --dir out to use a fresh temp dir.',
          exit: exitCodes.usage,
        });
      });
      if (entries.includes(markerName)) return new DevDir(root, false, true);
      if (entries.length > 0) {
        throw new DevError({
          message: `--dir ${root} is not empty and holds no data of \`mosaic dev\` (no ${markerName}).`,
          remedy: 'give a new or empty folder, or the --dir of an earlier `mosaic dev` run.',
          exit: exitCodes.usage,
        });
      }
    }
    await mkdir(root, { recursive: true });
    const dir = new DevDir(root, false, false);
    await dir.writeMarker({ version: 1, itemsSeeded: false });
    return dir;
  }

  get dataDirA(): string {
    return path.join(this.root, 'a');
  }

  get dataDirB(): string {
    return path.join(this.root, 'b');
  }

  get logsDir(): string {
    return path.join(this.root, 'logs');
  }

  get scopeFile(): string {
    return path.join(this.root, 'scope.json');
  }

  async prepare(): Promise<void> {
    for (const folder of [this.dataDirA, this.dataDirB, this.logsDir])
      await mkdir(folder, { recursive: true });
    for (const dataDir of [this.dataDirA, this.dataDirB]) assertNotRunning(dataDir, this.root);
  }

  async readMarker(): Promise<DevMarker> {
    try {
      const parsed = JSON.parse(
        await readFile(path.join(this.root, markerName), 'utf8'),
      ) as Partial<DevMarker>;
      return { version: 1, itemsSeeded: parsed.itemsSeeded === true };
    } catch {
      return { version: 1, itemsSeeded: false };
    }
  }

  async writeMarker(marker: DevMarker): Promise<void> {
    await writeFile(path.join(this.root, markerName), `${JSON.stringify(marker, null, 2)}\n`);
  }

  /** Removes the dir if this run created it in the temp folder and it is not to be kept. */
  async cleanUp(keep: boolean): Promise<boolean> {
    if (!this.temporary || keep) return false;
    await rm(this.root, { recursive: true, force: true });
    return true;
  }
}

/**
 * Refuses to start a second gateway on a data dir whose gateway still runs (its run file names a
 * live process): two processes on one embedded store would corrupt it.
 */
function assertNotRunning(dataDir: string, root: string): void {
  const running = runningServices(dataDir).find((service) => service.target === 'all');
  if (!running) return;
  throw new DevError({
    message: `a gateway is still running on ${dataDir} (pid ${running.pid}), probably another \`mosaic dev --dir ${root}\`.`,
    remedy: `stop it first (Ctrl-C in its terminal, or \`kill ${running.pid}\`), or give another --dir.`,
    exit: exitCodes.usage,
  });
}
