import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from '../errors/index.js';
import { redactUrl } from '../log/redact-url.js';
import { type ConfigFile, configFileSchema } from './config-file-schema.js';
import {
  type MemoryType,
  type MosaicConfig,
  memoryTypes,
  type PeerCompression,
  peerCompressions,
  type QueueConfig,
  type StorageConfig,
  type Tier,
  tiers,
} from './config-types.js';
import { parseListenAddress } from './listen-address.js';

export const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/mosaic';
export const defaultRedisUrl = 'redis://127.0.0.1:6379';

export interface LoadConfigOptions {
  /** Explicit config file; otherwise MOSAIC_CONFIG, then ./mosaic.config.json when it exists. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const validateFile = new Ajv({ allErrors: true, strict: true }).compile<ConfigFile>(configFileSchema);

/**
 * Resolves the configuration: the file, then environment overrides, then the tier's defaults.
 * Everything invalid is refused at once with the valid values listed; nothing starts on a guess.
 */
export function loadConfig(options: LoadConfigOptions = {}): MosaicConfig {
  // An empty variable (`VALKEY_URL=` in an env file) counts as unset, everywhere alike.
  const env = withoutEmpty(options.env ?? process.env);
  const cwd = options.cwd ?? process.cwd();
  const configPath = findConfigFile(options.configPath ?? env.MOSAIC_CONFIG, cwd);
  const file = configPath ? readConfigFile(configPath) : {};
  const baseDir = configPath ? path.dirname(configPath) : cwd;

  const tier = pickEnum<Tier>(
    env.MOSAIC_STORAGE_TIER ?? file.tier ?? 'local',
    tiers,
    'tier (MOSAIC_STORAGE_TIER)',
  );
  const dataDir = path.resolve(baseDir, env.MOSAIC_DATA_DIR ?? file.dataDir ?? '.mosaic');
  const storage = resolveStorage({ tier, file, env, dataDir, baseDir });
  const queue = resolveQueue({ tier, file, env });
  const memoryDefault: MemoryType = tier === 'standalone' ? 'keyword' : 'pgvector';
  const memory = {
    type: pickEnum<MemoryType>(
      env.MOSAIC_MEMORY_TYPE ?? file.memory?.type ?? memoryDefault,
      memoryTypes,
      'memory.type (MOSAIC_MEMORY_TYPE)',
    ),
  };
  const listenSetting = (name: string, envName: string, fallback: string) =>
    parseListenAddress(
      env[envName] ?? file.listen?.[name as keyof NonNullable<ConfigFile['listen']>] ?? fallback,
      `listen.${name} (${envName})`,
    );
  const internalRaw = env.MOSAIC_LISTEN ?? file.listen?.internal;
  const enrollment = listenSetting('enrollment', 'MOSAIC_ENROLLMENT_LISTEN', '0.0.0.0:8444');
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(enrollment.host);

  return {
    configPath,
    tier,
    storage,
    queue,
    memory,
    dataDir,
    listen: {
      internal:
        internalRaw === undefined ? null : parseListenAddress(internalRaw, 'listen.internal (MOSAIC_LISTEN)'),
      admin: listenSetting('admin', 'MOSAIC_ADMIN_LISTEN', '127.0.0.1:8080'),
      federation: listenSetting('federation', 'MOSAIC_FEDERATION_LISTEN', '0.0.0.0:8443'),
      enrollment,
    },
    publicHostname:
      env.MOSAIC_PUBLIC_HOSTNAME ?? file.publicHostname ?? (wildcard ? os.hostname() : enrollment.host),
    peerCompression: pickEnum<PeerCompression>(
      env.MOSAIC_PEER_COMPRESSION ?? file.peerCompression ?? 'none',
      peerCompressions,
      'peerCompression (MOSAIC_PEER_COMPRESSION)',
    ),
    clientCertLifetimeDays: file.clientCertLifetimeDays ?? 30,
    devMode: env.MOSAIC_DEV === '1' || env.MOSAIC_DEV === 'true',
    serviceUrls: {
      ca: env.MOSAIC_CA_URL ?? file.services?.ca ?? 'http://127.0.0.1:9101',
      grants: env.MOSAIC_GRANTS_URL ?? file.services?.grants ?? 'http://127.0.0.1:9102',
      audit: env.MOSAIC_AUDIT_URL ?? file.services?.audit ?? 'http://127.0.0.1:9103',
      gateway: env.MOSAIC_GATEWAY_URL ?? file.services?.gateway ?? 'http://127.0.0.1:9104',
    },
    logLevel: env.MOSAIC_LOG_LEVEL ?? file.logLevel ?? 'info',
    probeTimeoutMs: file.probeTimeoutMs ?? 3000,
    shutdownTimeoutMs: file.shutdownTimeoutMs ?? 10000,
    grantUsageReportMs: file.grantUsageReportMs ?? 30000,
  };
}

function findConfigFile(explicit: string | undefined, cwd: string): string | null {
  if (explicit) {
    const resolved = path.resolve(cwd, explicit);
    if (!existsSync(resolved)) {
      throw new ConfigError(
        `The config file ${resolved} does not exist.`,
        'Create it, or unset MOSAIC_CONFIG to use ./mosaic.config.json or the built-in defaults.',
      );
    }
    return resolved;
  }
  const conventional = path.resolve(cwd, 'mosaic.config.json');
  return existsSync(conventional) ? conventional : null;
}

function readConfigFile(configPath: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `${configPath} is not valid JSON (${(error as Error).message}).`,
      'Fix the syntax; the file holds one JSON object.',
    );
  }
  if (!validateFile(parsed)) {
    const problems = (validateFile.errors ?? []).map(describeSchemaError).join('; ');
    throw new ConfigError(`${configPath} is invalid: ${problems}.`, 'Correct the listed settings.');
  }
  return parsed;
}

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replaceAll('/', '.');
  if (error.keyword === 'enum') {
    return `${where} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  if (error.keyword === 'additionalProperties') {
    return `${where} has unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

function pickEnum<T extends string>(value: string, valid: readonly string[], setting: string): T {
  if (!valid.includes(value)) {
    throw new ConfigError(
      `${setting} is "${value}", which is not valid.`,
      `Use one of: ${valid.join(', ')}.`,
    );
  }
  return value as T;
}

function resolveStorage(input: {
  tier: Tier;
  file: ConfigFile;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  baseDir: string;
}): StorageConfig {
  const { tier, file, env, dataDir, baseDir } = input;
  const fromEnv = env.DATABASE_URL;
  const type = fromEnv ? 'postgres' : (file.storage?.type ?? (tier === 'local' ? 'pglite' : 'postgres'));
  if (tier === 'local' && type !== 'pglite') {
    throw new ConfigError(
      `tier "local" runs on the embedded store, but storage is PostgreSQL${fromEnv ? ' (DATABASE_URL is set)' : ''}.`,
      'Set tier to "standalone" or "federated" to use PostgreSQL, or unset DATABASE_URL / storage.type for the embedded store.',
    );
  }
  if (tier !== 'local' && type !== 'postgres') {
    throw new ConfigError(
      `tier "${tier}" requires PostgreSQL, but storage.type is "${type}".`,
      'Set storage.type to "postgres" with a url (or DATABASE_URL), or use tier "local" for the embedded store.',
    );
  }
  if (type === 'pglite') {
    return { type, dir: path.resolve(baseDir, file.storage?.dir ?? path.join(dataDir, 'pglite')) };
  }
  const url = fromEnv ?? file.storage?.url ?? defaultPostgresUrl;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError(
      `storage.url (DATABASE_URL) "${redactUrl(url)}" is not a PostgreSQL URL.`,
      'Use postgres://user:password@host:5432/database.',
    );
  }
  return { type: 'postgres', url };
}

function resolveQueue(input: { tier: Tier; file: ConfigFile; env: NodeJS.ProcessEnv }): QueueConfig {
  const { tier, file, env } = input;
  const fromEnv = env.VALKEY_URL ?? env.REDIS_URL;
  const type = fromEnv ? 'bullmq' : (file.queue?.type ?? (tier === 'local' ? 'local' : 'bullmq'));
  if (type !== 'local' && type !== 'bullmq') {
    throw new ConfigError(`queue.type is "${type}", which is not valid.`, 'Use one of: local, bullmq.');
  }
  if (tier === 'local' && type === 'bullmq') {
    throw new ConfigError(
      'tier "local" uses in-process queues, but a Valkey/Redis queue is configured (VALKEY_URL, REDIS_URL or queue.type).',
      'Set tier to "standalone" or "federated" to use Valkey, or unset VALKEY_URL/REDIS_URL.',
    );
  }
  if (tier !== 'local' && type === 'local') {
    throw new ConfigError(
      `tier "${tier}" shares queues, limits and caches between replicas through Valkey/Redis, but queue.type is "local".`,
      'Set queue.type to "bullmq" with a url (or VALKEY_URL), or use tier "local".',
    );
  }
  if (type === 'local') return { type };
  const url = fromEnv ?? file.queue?.url ?? defaultRedisUrl;
  if (!/^rediss?:\/\//.test(url)) {
    throw new ConfigError(
      `queue.url (VALKEY_URL) "${redactUrl(url)}" is not a Valkey/Redis URL.`,
      'Use redis://host:6379 or rediss://host:6380 for TLS.',
    );
  }
  const prefix = env.MOSAIC_VALKEY_PREFIX ?? file.queue?.prefix ?? 'mosaic';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError(
      `queue.prefix (MOSAIC_VALKEY_PREFIX) "${prefix.slice(0, 80)}" is not valid.`,
      'Use 1-64 letters, digits, dots, dashes or underscores.',
    );
  }
  return { type, url, prefix };
}

function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}
