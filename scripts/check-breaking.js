#!/usr/bin/env node
// Guards the published contracts against breaking changes (`npm run proto:breaking`, run in CI):
// `buf breaking --against '.git#ref=<base>'` with the FILE rules of buf.yaml.
//
// The base defaults to HEAD~1 (the previous commit of main). Override it with
// `--against <git-ref>` or MOSAIC_BREAKING_BASE (for example origin/main in a pull request).
// When the base does not exist or does not yet contain buf.yaml and proto/mosaic, there is
// no previous contract and the check passes. A shallow clone whose base is missing fails
// instead, so that CI never skips the check silently (check out with full history).
// Plain Node ESM, built-in modules only; buf's exit code is propagated.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const noBaseMessage = 'buf breaking: no previous contract to compare against (first contract commit)';

/** Runs git in the repository root; returns { ok, out } with trimmed stdout. */
function git(...args) {
  const res = spawnSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: !res.error && res.status === 0, out: (res.stdout ?? '').trim() };
}

/** The base ref from --against <ref>, --against=<ref>, MOSAIC_BREAKING_BASE, or HEAD~1. */
function baseRef(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--against' && argv[i + 1]) return argv[i + 1];
    if (argv[i].startsWith('--against=')) return argv[i].slice('--against='.length);
  }
  return process.env.MOSAIC_BREAKING_BASE || 'HEAD~1';
}

function main() {
  const base = baseRef(process.argv.slice(2));

  if (!git('rev-parse', '--is-inside-work-tree').ok) {
    console.log(noBaseMessage);
    console.log('  (not a git checkout)');
    return 0;
  }

  const commit = git('rev-parse', '--verify', '--quiet', `${base}^{commit}`);
  if (!commit.ok) {
    if (git('rev-parse', '--is-shallow-repository').out === 'true') {
      console.error(
        `buf breaking: ${base} is not available because this is a shallow clone; ` +
          'fetch the full history (for example actions/checkout with fetch-depth: 0) and run again.',
      );
      return 1;
    }
    console.log(noBaseMessage);
    console.log(`  (${base} does not exist)`);
    return 0;
  }
  const sha = commit.out;

  const hasBufYaml = git('cat-file', '-e', `${sha}:buf.yaml`).ok;
  const hasContracts = git('cat-file', '-e', `${sha}:proto/mosaic`).ok;
  if (!hasBufYaml || !hasContracts) {
    console.log(noBaseMessage);
    console.log(`  (${base} = ${sha.slice(0, 12)} has no ${hasBufYaml ? 'proto/mosaic' : 'buf.yaml'})`);
    return 0;
  }

  // The common git dir is the full repository even inside a linked worktree (where .git is a file).
  const commonDir = git('rev-parse', '--path-format=absolute', '--git-common-dir');
  const gitDir = commonDir.ok && commonDir.out ? commonDir.out : join(root, '.git');

  const bufBin = join(root, 'node_modules', '@bufbuild', 'buf', 'bin', 'buf');
  if (!existsSync(bufBin)) {
    console.error('check-breaking: @bufbuild/buf is not installed; run `npm ci` first.');
    return 2;
  }
  const against = `${gitDir}#ref=${sha}`;
  console.log(`buf breaking --against ${base} (${sha.slice(0, 12)})`);
  const res = spawnSync(process.execPath, [bufBin, 'breaking', '--against', against], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.error) {
    console.error(`check-breaking: could not run buf: ${res.error.message}`);
    return 2;
  }
  if (res.status === 0) console.log('buf breaking: no breaking changes.');
  return res.status ?? 1;
}

process.exitCode = main();
