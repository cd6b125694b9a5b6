import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Ed25519KeyPair, type Logger, mintAdminToken, verifyAdminToken } from '@mosaic/platform';

/**
 * The embedded tier's convenience: a gateway started with `npm start` leaves an admin token in its
 * data dir (0600) so the CLI on the same machine works at once. Other tiers mint tokens explicitly.
 */
export async function ensureLocalAdminToken(options: {
  dataDir: string;
  keys: Ed25519KeyPair;
  logger: Logger;
}): Promise<void> {
  const file = path.join(options.dataDir, 'secrets', 'admin.token');
  if (existsSync(file)) {
    const current = (await readFile(file, 'utf8')).trim();
    const valid = await verifyAdminToken(options.keys, `Bearer ${current}`).then(
      (claims) => claims.expiresAt.getTime() - Date.now() > 86_400_000,
      () => false,
    );
    if (valid) return;
  }
  const { token } = await mintAdminToken(options.keys, { subject: 'local-admin', ttlSeconds: 90 * 86400 });
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  options.logger.info({ file }, 'local admin token written (the CLI on this machine picks it up)');
}
