#!/usr/bin/env node
// Fails when the committed generated code in proto/gen differs from what `buf generate`
// produces from the .proto files (`npm run proto:check`, run in CI).
//
// It never touches the working tree: buf.yaml, buf.gen.yaml and every .proto file under
// proto/ are copied to a temporary directory, `buf generate` runs there with the same
// buf.gen.yaml (node_modules is linked in so the local protoc-gen-es plugin resolves), and
// the result is compared file by file with proto/gen. Missing, extra and changed files all
// count as stale. Plain Node ESM, built-in modules only.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const genDir = 'proto/gen';
const staleMessage = 'generated code in proto/gen is stale: run `npm run proto:generate` and commit';
// Directories under proto/ that hold no contract sources.
const skipDirs = new Set(['gen', 'node_modules', 'dist']);

/** Lists files under dir (recursively) as sorted POSIX paths relative to dir; [] if dir is absent. */
function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Copies buf.yaml, buf.gen.yaml and the .proto sources of proto/ into work. */
function copySources(work) {
  for (const file of ['buf.yaml', 'buf.gen.yaml']) cpSync(join(root, file), join(work, file));
  const protoRoot = join(root, 'proto');
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) {
        if (current === protoRoot && skipDirs.has(entry.name)) continue;
        walk(full);
      } else if (entry.isFile() && entry.name.endsWith('.proto')) {
        cpSync(full, join(work, relative(root, full)));
      }
    }
  };
  walk(protoRoot);
}

function main() {
  const bufBin = join(root, 'node_modules', '@bufbuild', 'buf', 'bin', 'buf');
  if (!existsSync(bufBin)) {
    console.error('check-generated: @bufbuild/buf is not installed; run `npm ci` first.');
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), 'mosaic-proto-check-'));
  try {
    copySources(work);
    // buf.gen.yaml refers to the plugin as node_modules/.bin/protoc-gen-es, relative to the cwd.
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'junction');
    const gen = spawnSync(process.execPath, [bufBin, 'generate'], { cwd: work, stdio: 'inherit' });
    if (gen.error || gen.status !== 0) {
      console.error(
        `check-generated: \`buf generate\` failed (${gen.error?.message ?? `exit ${gen.status}`}).`,
      );
      return gen.status || 2;
    }

    const committedDir = join(root, genDir);
    const freshDir = join(work, genDir);
    const committed = new Set(listFiles(committedDir));
    const fresh = new Set(listFiles(freshDir));
    const problems = [];
    for (const file of fresh) {
      if (!committed.has(file)) problems.push(`missing:  ${genDir}/${file}`);
      else if (!readFileSync(join(committedDir, file)).equals(readFileSync(join(freshDir, file)))) {
        problems.push(`changed:  ${genDir}/${file}`);
      }
    }
    for (const file of committed) {
      if (!fresh.has(file)) problems.push(`extra:    ${genDir}/${file}`);
    }

    if (problems.length > 0) {
      console.error(staleMessage);
      for (const line of problems) console.error(`  ${line}`);
      return 1;
    }
    console.log(`proto/gen is up to date (${fresh.size} files).`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main();
