import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MosaicConfig } from '@mosaic/platform';

/**
 * Where the admin API is and which token to use: flags and MOSAIC_* variables first, then what a
 * gateway running from this folder's data dir advertised (its run file and local admin token).
 */
export function resolveAdminEndpoint(config: MosaicConfig, endpointFlag: string | undefined): string {
  if (endpointFlag) return endpointFlag.replace(/\/$/, '');
  for (const target of ['all', 'gateway']) {
    const runFile = path.join(config.dataDir, 'run', `${target}.json`);
    if (!existsSync(runFile)) continue;
    try {
      const advertised = JSON.parse(readFileSync(runFile, 'utf8')) as { adminUrl?: string | null };
      if (advertised.adminUrl) return advertised.adminUrl;
    } catch {
      // A run file being rewritten: fall through to the configured address.
    }
  }
  const { host, port } = config.listen.admin;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

export function resolveAdminToken(config: MosaicConfig, tokenFlag: string | undefined): string | undefined {
  if (tokenFlag) return tokenFlag;
  const localToken = path.join(config.dataDir, 'secrets', 'admin.token');
  return existsSync(localToken) ? readFileSync(localToken, 'utf8').trim() : undefined;
}
