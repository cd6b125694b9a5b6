#!/usr/bin/env node
// The registry this project's machines reach serves only the linux-x64 (glibc) builds of a few
// native tools. npm then leaves those tools' other-platform optional packages out of
// package-lock.json, and `npm ci` refuses the lock as out of sync. This script writes the missing
// entries (name, version, os/cpu/libc) exactly as the public registry describes them, so `npm ci`
// skips them here and installs them on the platforms they are for. Run it after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const platforms = {
  '@biomejs/cli-android-arm64': { os: ['android'], cpu: ['arm64'] },
  '@biomejs/cli-android-x64': { os: ['android'], cpu: ['x64'] },
  '@biomejs/cli-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@biomejs/cli-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@biomejs/cli-linux-arm64': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  '@biomejs/cli-linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  '@biomejs/cli-linux-x64': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  '@biomejs/cli-linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  '@biomejs/cli-win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  '@biomejs/cli-win32-x64': { os: ['win32'], cpu: ['x64'] },
  '@bufbuild/buf-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@bufbuild/buf-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@bufbuild/buf-linux-aarch64': { os: ['linux'], cpu: ['arm64'] },
  '@bufbuild/buf-linux-armv7': { os: ['linux'], cpu: ['arm'] },
  '@bufbuild/buf-linux-x64': { os: ['linux'], cpu: ['x64'] },
  '@bufbuild/buf-win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  '@bufbuild/buf-win32-x64': { os: ['win32'], cpu: ['x64'] },
};

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  const parent = key.replace(/^node_modules\//, '');
  if (!['@biomejs/biome', '@bufbuild/buf'].includes(parent)) continue;
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const child = `node_modules/${name}`;
    if (lock.packages[child]) continue;
    const platform = platforms[name];
    if (!platform) throw new Error(`no platform data for ${name}: add it to ${import.meta.url}`);
    lock.packages[child] = { version, dev: true, license: entry.license, optional: true, ...platform };
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} foreign-platform entries added`);
