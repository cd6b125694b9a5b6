/**
 * Stack B is measured as production runs it: the compiled `dist/` of every workspace package, not
 * the TypeScript sources through tsx (which adds ~70 MB of RSS and its own start-up work). The
 * build is redone when any source is newer than its package's output, so a figure never comes
 * from stale code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Each workspace package with compiled output: its source folder and its output folder. */
const packages = [
  { source: 'proto/gen', output: 'proto/dist' },
  { source: 'packages/platform/src', output: 'packages/platform/dist' },
  { source: 'packages/server/src', output: 'packages/server/dist' },
  { source: 'services/ca/src', output: 'services/ca/dist' },
  { source: 'services/grants/src', output: 'services/grants/dist' },
  { source: 'services/audit/src', output: 'services/audit/dist' },
  { source: 'services/gateway/src', output: 'services/gateway/dist' },
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Why the compiled output cannot be used as it is, or null when it is fresh. */
export function staleBuild(repoRoot: string): string | null {
  for (const pkg of packages) {
    const output = path.join(repoRoot, pkg.output);
    if (!existsSync(output)) return `${pkg.output} is missing`;
    if (newestMtime(path.join(repoRoot, pkg.source)) > newestMtime(output)) {
      return `${pkg.source} changed after ${pkg.output} was built`;
    }
  }
  return null;
}

/** Builds every package (`npm run build`) when the compiled output is missing or stale. */
export function ensureCompiled(repoRoot: string, log: (line: string) => void): void {
  const stale = staleBuild(repoRoot);
  if (!stale) return;
  log(`building the packages first (${stale}); about a minute`);
  const started = performance.now();
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(
      `npm run build failed (exit ${result.status ?? result.signal}): fix the build, or pass --from=source`,
    );
  }
  log(`built in ${Math.round((performance.now() - started) / 1000)} s`);
}
