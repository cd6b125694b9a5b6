import { createRequire } from 'node:module';
import path from 'node:path';
import { DevError } from './dev-error.js';

/** How to start this same `mosaic` CLI as a child process: the node binary and its leading arguments. */
export interface MosaicInvocation {
  command: string;
  args: string[];
}

/**
 * This CLI as a child process: the running node binary and `bin/run.js` of the CLI package at
 * `cliRoot`. When this process runs from the TypeScript sources (the `mosaic-source` export
 * condition, as bin/run.js sets it up), the child gets the same condition and the tsx loader,
 * resolved to an absolute path so that the child's working directory does not matter.
 */
export function mosaicInvocation(
  cliRoot: string,
  execArgv: readonly string[] = process.execArgv,
): MosaicInvocation {
  const runScript = path.join(cliRoot, 'bin', 'run.js');
  const fromSource = execArgv.some((arg) => arg.includes('mosaic-source'));
  if (!fromSource) return { command: process.execPath, args: [runScript] };
  let tsx: string;
  try {
    tsx = createRequire(import.meta.url).resolve('tsx');
  } catch {
    throw new DevError({
      message:
        'this CLI runs from its TypeScript sources, but the tsx loader cannot be found for the gateways.',
      remedy:
        'run `npm install` at the root of the checkout (tsx is a dev dependency), or build with `npm run build`.',
      exit: 2,
    });
  }
  return { command: process.execPath, args: ['--conditions=mosaic-source', '--import', tsx, runScript] };
}

/** Variables that configure a Mosaic process; the demo sets its own and passes none of the caller's on. */
const mosaicSettings = /^(MOSAIC_|DATABASE_URL$|VALKEY_URL$|REDIS_URL$)/;

/**
 * The environment of a child: the caller's, without anything that would configure Mosaic behind
 * the demo's back (a federated tier, another data dir, a token of another gateway), except the log
 * level; then the given settings.
 */
export function childEnv(
  settings: Record<string, string>,
  parent: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(parent)) {
    if (mosaicSettings.test(key) && key !== 'MOSAIC_LOG_LEVEL') continue;
    env[key] = value;
  }
  return { ...env, ...settings };
}
