import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors/index.js';

export interface SecretSource {
  /** What the secret is for, as it appears in messages (never the value). */
  purpose: string;
  /** Environment variable holding the base64url value. */
  envName: string;
  /** File holding the base64url value; created (0600) when `createIfMissing`. */
  file: string;
  /** Only the single-process local tier generates its own secrets. */
  createIfMissing: boolean;
}

/** Loads a 32-byte instance secret from the environment or a file; never logs or returns it encoded. */
export async function loadInstanceSecret(
  source: SecretSource,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  const fromEnv = env[source.envName];
  if (fromEnv) return decode(fromEnv, `${source.envName}`);
  if (existsSync(source.file)) return decode((await readFile(source.file, 'utf8')).trim(), source.file);
  if (!source.createIfMissing) {
    throw new ConfigError(
      `The ${source.purpose} is not configured: ${source.envName} is unset and ${source.file} does not exist.`,
      `Generate one with \`openssl rand -base64 32 | tr '+/' '-_' | tr -d '='\` and put it in ${source.envName} (the same value for every service of this instance).`,
    );
  }
  const secret = randomBytes(32);
  await mkdir(path.dirname(source.file), { recursive: true, mode: 0o700 });
  // Written whole to a private temp file, then linked into place: link() fails if the file exists,
  // so a concurrent creator never wins twice and no reader ever sees a half-written file.
  const temp = `${source.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, source.file);
  } catch (error) {
    // Another process of this instance created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  return decode((await readFile(source.file, 'utf8')).trim(), source.file);
}

function decode(value: string, where: string): Buffer {
  const bytes = Buffer.from(value.trim(), 'base64url');
  if (bytes.length !== 32) {
    throw new ConfigError(
      `The secret in ${where} is not 32 bytes of base64url (it decodes to ${bytes.length} bytes).`,
      "Generate one with `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`.",
    );
  }
  return bytes;
}

/**
 * The master secret that seals private keys at rest (CA keys, peers' client keys). Separate from
 * every other secret; the local tier generates one in its data dir.
 */
export function loadMasterSecret(
  config: { dataDir: string; tier: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  return loadInstanceSecret(
    {
      purpose: 'master secret that seals private keys at rest',
      envName: 'MOSAIC_MASTER_KEY',
      file: path.join(config.dataDir, 'secrets', 'master.key'),
      createIfMissing: config.tier === 'local',
    },
    env,
  );
}
