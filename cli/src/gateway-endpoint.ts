import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MosaicConfig } from '@mosaic/platform';
import { UsageError } from './inputs.js';

/**
 * Where the admin API is and which token to use: flags and MOSAIC_* variables first, then what a
 * gateway running from this folder's data dir advertised (its run file and local admin token).
 */
export function resolveAdminEndpoint(config: MosaicConfig, endpointFlag: string | undefined): string {
  if (endpointFlag) return endpointUrl(endpointFlag);
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

/**
 * An --endpoint value as a base URL: `host:port` means http://host:port (as the help's default is
 * written). Refused, before anything is sent: what is not an http(s) URL, and a URL that carries a
 * user name or password, which would end up in error messages and reports (the token goes in
 * --token or MOSAIC_TOKEN).
 */
export function endpointUrl(value: string): string {
  const given = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(
      `--endpoint "${given.slice(0, 80)}" is not a URL.`,
      'Pass the admin API as http://host:port (or host:port), e.g. http://127.0.0.1:8080.',
    );
  }
  if (url.username || url.password) {
    throw new UsageError(
      `--endpoint carries a user name or password (${url.protocol}//…@${url.host}); it is not sent and not shown.`,
      'Drop the credentials from the URL and pass the admin token with MOSAIC_TOKEN (or --token).',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--endpoint must be an http or https URL, not ${url.protocol}//.`,
      'Pass the admin API as http://host:port (or host:port), e.g. http://127.0.0.1:8080.',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/$/, '')}`;
}
