/**
 * Finds an nginx able to run the off-the-shelf alternative, or says why the scenario is skipped.
 * Debian installs nginx in /usr/sbin, which is often not on a non-root PATH. MOSAIC_BENCH_NGINX,
 * when set, is the only candidate (another build; or a missing path, to see the skipped report).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export type NginxBinary = { path: string; version: string } | { skipped: string };

/** Modules the scenario needs (`listen … ssl http2`, `ssl_verify_client`). */
const requiredModules = ['--with-http_ssl_module', '--with-http_v2_module'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findNginx(): NginxBinary {
  const chosen = process.env.MOSAIC_BENCH_NGINX;
  if (chosen && !executable(chosen)) return { skipped: `MOSAIC_BENCH_NGINX=${chosen} is not executable` };
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin'];
  const binary = chosen ?? dirs.map((dir) => path.join(dir, 'nginx')).find(executable);
  if (!binary) {
    return {
      skipped: 'nginx not found on PATH or in /usr/sbin (Debian: apt-get install nginx-light)',
    };
  }
  // `nginx -V` prints its version and configure arguments on stderr.
  const probe = spawnSync(binary, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const build = probe.stderr ?? '';
  if (probe.status !== 0 || !build.includes('nginx version')) {
    return {
      skipped: `${binary} -V failed (${probe.error?.message ?? `exit ${probe.status}`}): ${build.trim()}`,
    };
  }
  const missing = requiredModules.filter((module) => !build.includes(module));
  if (missing.length > 0) {
    return { skipped: `${binary} lacks ${missing.join(' and ')} (Debian: nginx-light has both)` };
  }
  return { path: binary, version: /nginx version: (\S+)/.exec(build)?.[1] ?? 'unknown' };
}
