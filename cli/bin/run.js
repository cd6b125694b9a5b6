#!/usr/bin/env node
// Entry of the `mosaic` CLI. From a source checkout (no dist/) it re-runs itself with the TypeScript
// loader and the `mosaic-source` export condition, so `npm install` is all a checkout needs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sourceFlagsActive = process.execArgv.some((arg) => arg.includes('mosaic-source'));
const fromSource = sourceFlagsActive || !existsSync(new URL('../dist/index.js', import.meta.url));

if (fromSource && !sourceFlagsActive) {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--conditions=mosaic-source', '--import', tsx, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // The child does the work; signals sent to this process (a supervisor's SIGTERM) are passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  await runCli();
}

async function runCli() {
  const { execute, settings } = await import('@oclif/core');
  settings.enableAutoTranspile = false;
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (fromSource) pjson.oclif.commands.target = './src/index.ts';
  await execute({ dir: import.meta.url, loadOptions: { root, pjson } });
}
