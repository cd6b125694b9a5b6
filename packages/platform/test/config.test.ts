import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../../../test/support/mosaic-process.js';
import { memoryTypes, peerCompressions, tiers } from '../src/config/config-types.js';
import { defaultPostgresUrl, defaultRedisUrl, loadConfig } from '../src/config/load-config.js';
import { type ConfigError, isConfigError } from '../src/errors/index.js';

/** Runs `load` and returns the ConfigError it refused with; anything else fails the test. */
function refusal(load: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    load();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) expect.fail('the configuration was accepted');
  if (!isConfigError(thrown)) throw thrown;
  return thrown;
}

describe('loadConfig', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let counter = 0;

  before(async () => {
    root = await tempDir('mosaic-config-test-');
  });
  after(async () => {
    await root?.remove();
  });

  /** A fresh folder holding `mosaic.config.json` with `content` (an object, or raw text). */
  async function configDir(content: unknown): Promise<{ dir: string; file: string }> {
    counter += 1;
    const dir = path.join(root.path, `case-${counter}`);
    await mkdir(dir);
    const file = path.join(dir, 'mosaic.config.json');
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return { dir, file };
  }

  /** An empty folder: no config file is discovered there. */
  async function emptyDir(): Promise<string> {
    counter += 1;
    const dir = path.join(root.path, `empty-${counter}`);
    await mkdir(dir);
    return dir;
  }

  describe('defaults per tier', () => {
    it('no file and no environment: tier local on the embedded store, in-process queues, pgvector memory', async () => {
      const cwd = await emptyDir();
      const config = loadConfig({ env: {}, cwd });
      expect(config.configPath).to.equal(null);
      expect(config.tier).to.equal('local');
      expect(config.dataDir).to.equal(path.join(cwd, '.mosaic'));
      expect(config.storage).to.deep.equal({ type: 'pglite', dir: path.join(cwd, '.mosaic', 'pglite') });
      expect(config.queue).to.deep.equal({ type: 'local' });
      expect(config.memory).to.deep.equal({ type: 'pgvector' });
      expect(config.listen.internal).to.equal(null);
      expect(config.listen.admin).to.deep.equal({ host: '127.0.0.1', port: 8080 });
      expect(config.listen.federation).to.deep.equal({ host: '0.0.0.0', port: 8443 });
      expect(config.listen.enrollment).to.deep.equal({ host: '0.0.0.0', port: 8444 });
      expect(config.peerCompression).to.equal('none');
    });

    it('federated with DATABASE_URL and VALKEY_URL: PostgreSQL and BullMQ at those URLs, pgvector memory', async () => {
      const env = {
        MOSAIC_STORAGE_TIER: 'federated',
        DATABASE_URL: 'postgres://app:pw@db.internal:5433/mosaic',
        VALKEY_URL: 'rediss://cache.internal:6380',
      };
      const config = loadConfig({ env, cwd: await emptyDir() });
      expect(config.tier).to.equal('federated');
      expect(config.storage).to.deep.equal({ type: 'postgres', url: env.DATABASE_URL });
      expect(config.queue).to.deep.equal({ type: 'bullmq', url: env.VALKEY_URL, prefix: 'mosaic' });
      expect(config.memory).to.deep.equal({ type: 'pgvector' });
    });

    it('standalone without URLs: PostgreSQL and BullMQ on their default URLs, keyword memory', async () => {
      const config = loadConfig({ env: { MOSAIC_STORAGE_TIER: 'standalone' }, cwd: await emptyDir() });
      expect(config.tier).to.equal('standalone');
      expect(config.storage).to.deep.equal({ type: 'postgres', url: defaultPostgresUrl });
      expect(config.queue).to.deep.equal({ type: 'bullmq', url: defaultRedisUrl, prefix: 'mosaic' });
      expect(config.memory).to.deep.equal({ type: 'keyword' });
    });

    it('./mosaic.config.json is found in cwd, and relative folders resolve against it', async () => {
      const { dir, file } = await configDir({
        tier: 'standalone',
        dataDir: 'state',
        storage: { type: 'postgres', url: 'postgres://file@127.0.0.1:5432/fromfile' },
        memory: { type: 'pgvector' },
        listen: { internal: '127.0.0.1:9999' },
      });
      const config = loadConfig({ env: {}, cwd: dir });
      expect(config.configPath).to.equal(file);
      expect(config.tier).to.equal('standalone');
      expect(config.dataDir).to.equal(path.join(dir, 'state'));
      expect(config.storage).to.deep.equal({
        type: 'postgres',
        url: 'postgres://file@127.0.0.1:5432/fromfile',
      });
      expect(config.memory).to.deep.equal({ type: 'pgvector' });
      expect(config.listen.internal).to.deep.equal({ host: '127.0.0.1', port: 9999 });
    });

    it('peerCompression from the file, and MOSAIC_PEER_COMPRESSION over it', async () => {
      const { dir } = await configDir({ peerCompression: 'gzip' });
      expect(loadConfig({ env: {}, cwd: dir }).peerCompression).to.equal('gzip');
      expect(loadConfig({ env: { MOSAIC_PEER_COMPRESSION: 'none' }, cwd: dir }).peerCompression).to.equal(
        'none',
      );
    });

    it('the environment overrides the file', async () => {
      const { dir } = await configDir({ tier: 'standalone', memory: { type: 'pgvector' } });
      const config = loadConfig({
        env: { MOSAIC_STORAGE_TIER: 'federated', MOSAIC_MEMORY_TYPE: 'keyword' },
        cwd: dir,
      });
      expect(config.tier).to.equal('federated');
      expect(config.memory).to.deep.equal({ type: 'keyword' });
    });
  });

  describe('REDIS_URL as an alias of VALKEY_URL', () => {
    const cases: Array<{ name: string; env: Record<string, string>; url: string }> = [
      {
        name: 'REDIS_URL alone is used',
        env: { REDIS_URL: 'redis://redis-only:6379' },
        url: 'redis://redis-only:6379',
      },
      {
        name: 'VALKEY_URL wins when both are set',
        env: { REDIS_URL: 'redis://redis-loses:6379', VALKEY_URL: 'redis://valkey-wins:6379' },
        url: 'redis://valkey-wins:6379',
      },
      {
        // An empty variable (`VALKEY_URL=` in a compose file) means unset, as the queue type decision
        // already treats it; the URL must then come from REDIS_URL.
        name: 'an empty VALKEY_URL counts as unset and REDIS_URL is used',
        env: { REDIS_URL: 'redis://redis-used:6379', VALKEY_URL: '' },
        url: 'redis://redis-used:6379',
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const config = loadConfig({
          env: { MOSAIC_STORAGE_TIER: 'federated', ...tc.env },
          cwd: await emptyDir(),
        });
        expect(config.queue).to.deep.equal({ type: 'bullmq', url: tc.url, prefix: 'mosaic' });
      });
    }
  });

  it('an empty DATABASE_URL counts as unset: the file storage.url is used', async () => {
    const { dir } = await configDir({
      tier: 'standalone',
      storage: { type: 'postgres', url: 'postgres://file@127.0.0.1:5432/fromfile' },
    });
    const config = loadConfig({ env: { DATABASE_URL: '' }, cwd: dir });
    expect(config.storage).to.deep.equal({
      type: 'postgres',
      url: 'postgres://file@127.0.0.1:5432/fromfile',
    });
  });

  describe('invalid enumerations are refused listing every valid value', () => {
    const cases: Array<{
      name: string;
      env?: Record<string, string>;
      file?: unknown;
      valid: readonly string[];
      message: RegExp;
      remedy: string;
    }> = [
      {
        name: 'tier from MOSAIC_STORAGE_TIER',
        env: { MOSAIC_STORAGE_TIER: 'cloud' },
        valid: tiers,
        message: /^tier \(MOSAIC_STORAGE_TIER\) is "cloud", which is not valid\.$/,
        remedy: 'Use one of: local, standalone, federated.',
      },
      {
        name: 'tier from the file',
        file: { tier: 'cloud' },
        valid: tiers,
        message: /mosaic\.config\.json is invalid: tier must be one of local, standalone, federated\.$/,
        remedy: 'Correct the listed settings.',
      },
      {
        name: 'memory type from MOSAIC_MEMORY_TYPE',
        env: { MOSAIC_MEMORY_TYPE: 'faiss' },
        valid: memoryTypes,
        message: /^memory\.type \(MOSAIC_MEMORY_TYPE\) is "faiss", which is not valid\.$/,
        remedy: 'Use one of: pgvector, keyword.',
      },
      {
        name: 'peer compression from MOSAIC_PEER_COMPRESSION',
        env: { MOSAIC_PEER_COMPRESSION: 'br' },
        valid: peerCompressions,
        message: /^peerCompression \(MOSAIC_PEER_COMPRESSION\) is "br", which is not valid\.$/,
        remedy: 'Use one of: none, gzip.',
      },
      {
        name: 'peer compression from the file',
        file: { peerCompression: 'br' },
        valid: peerCompressions,
        message: /mosaic\.config\.json is invalid: peerCompression must be one of none, gzip\.$/,
        remedy: 'Correct the listed settings.',
      },
      {
        name: 'memory type from the file',
        file: { memory: { type: 'faiss' } },
        valid: memoryTypes,
        message: /mosaic\.config\.json is invalid: memory\.type must be one of pgvector, keyword\.$/,
        remedy: 'Correct the listed settings.',
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const cwd = tc.file === undefined ? await emptyDir() : (await configDir(tc.file)).dir;
        const error = refusal(() => loadConfig({ env: tc.env ?? {}, cwd }));
        expect(error.message).to.match(tc.message);
        expect(error.remedy).to.equal(tc.remedy);
        for (const value of tc.valid) expect(error.describe()).to.include(value);
      });
    }
  });

  describe('the file is refused when it is not what it should be', () => {
    const cases: Array<{
      name: string;
      content: unknown;
      message: (file: string) => RegExp;
      remedy: string;
    }> = [
      {
        name: 'an unknown top-level key is named with its path',
        content: { tier: 'local', sotrage: { type: 'pglite' } },
        message: (file) =>
          new RegExp(`^${escapeRegExp(file)} is invalid: \\(top level\\) has unknown key "sotrage"\\.$`),
        remedy: 'Correct the listed settings.',
      },
      {
        name: 'an unknown nested key is named with its path',
        content: { storage: { type: 'pglite', uri: 'x' } },
        message: (file) => new RegExp(`^${escapeRegExp(file)} is invalid: storage has unknown key "uri"\\.$`),
        remedy: 'Correct the listed settings.',
      },
      {
        name: 'invalid JSON names the file',
        content: '{ "tier": "local", }',
        message: (file) => new RegExp(`^${escapeRegExp(file)} is not valid JSON \\(.+\\)\\.$`),
        remedy: 'Fix the syntax; the file holds one JSON object.',
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const { dir, file } = await configDir(tc.content);
        const error = refusal(() => loadConfig({ env: {}, cwd: dir }));
        expect(error.message).to.match(tc.message(file));
        expect(error.remedy).to.equal(tc.remedy);
      });
    }
  });

  describe('storage and queue that do not fit the tier are refused with a remedy', () => {
    const cases: Array<{
      name: string;
      env: Record<string, string>;
      file?: unknown;
      message: string;
      remedy: RegExp;
    }> = [
      {
        name: 'tier local with DATABASE_URL',
        env: { MOSAIC_STORAGE_TIER: 'local', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' },
        message: 'tier "local" runs on the embedded store, but storage is PostgreSQL (DATABASE_URL is set).',
        remedy: /unset DATABASE_URL/,
      },
      {
        name: 'tier federated with storage pglite',
        env: {},
        file: { tier: 'federated', storage: { type: 'pglite' } },
        message: 'tier "federated" requires PostgreSQL, but storage.type is "pglite".',
        remedy: /Set storage\.type to "postgres" with a url \(or DATABASE_URL\), or use tier "local"/,
      },
      {
        name: 'tier local with VALKEY_URL',
        env: { MOSAIC_STORAGE_TIER: 'local', VALKEY_URL: 'redis://127.0.0.1:6379' },
        message:
          'tier "local" uses in-process queues, but a Valkey/Redis queue is configured (VALKEY_URL, REDIS_URL or queue.type).',
        remedy: /unset VALKEY_URL\/REDIS_URL/,
      },
      {
        name: 'tier standalone with queue local',
        env: {},
        file: { tier: 'standalone', queue: { type: 'local' } },
        message:
          'tier "standalone" shares queues, limits and caches between replicas through Valkey/Redis, but queue.type is "local".',
        remedy: /Set queue\.type to "bullmq" with a url \(or VALKEY_URL\)/,
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const cwd = tc.file === undefined ? await emptyDir() : (await configDir(tc.file)).dir;
        const error = refusal(() => loadConfig({ env: tc.env, cwd }));
        expect(error.message).to.equal(tc.message);
        expect(error.remedy).to.match(tc.remedy);
      });
    }
  });

  describe('a URL of the wrong kind is refused without its password', () => {
    const password = 'Zq7-never-echo-9Xw';
    const cases: Array<{ name: string; env: Record<string, string>; message: string; remedy: string }> = [
      {
        name: 'a MySQL DATABASE_URL',
        env: { MOSAIC_STORAGE_TIER: 'standalone', DATABASE_URL: `mysql://app:${password}@db:3306/mosaic` },
        message: 'storage.url (DATABASE_URL) "mysql://app:***@db:3306/mosaic" is not a PostgreSQL URL.',
        remedy: 'Use postgres://user:password@host:5432/database.',
      },
      {
        name: 'a DATABASE_URL with a typo in the scheme (unparseable)',
        env: { MOSAIC_STORAGE_TIER: 'standalone', DATABASE_URL: `postgres//app:${password}@db/mosaic` },
        message: 'storage.url (DATABASE_URL) "<unparseable connection string>" is not a PostgreSQL URL.',
        remedy: 'Use postgres://user:password@host:5432/database.',
      },
      {
        name: 'a VALKEY_URL without scheme:// (user:password@host:port)',
        env: { MOSAIC_STORAGE_TIER: 'federated', VALKEY_URL: `default:${password}@cache:6379` },
        message: 'queue.url (VALKEY_URL) "<unparseable connection string>" is not a Valkey/Redis URL.',
        remedy: 'Use redis://host:6379 or rediss://host:6380 for TLS.',
      },
      {
        name: 'an http VALKEY_URL',
        env: { MOSAIC_STORAGE_TIER: 'federated', VALKEY_URL: `http://default:${password}@cache:6379` },
        message: 'queue.url (VALKEY_URL) "http://default:***@cache:6379/" is not a Valkey/Redis URL.',
        remedy: 'Use redis://host:6379 or rediss://host:6380 for TLS.',
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const error = refusal(() => loadConfig({ env: tc.env, cwd: root.path }));
        expect(error.message).to.equal(tc.message);
        expect(error.remedy).to.equal(tc.remedy);
        expect(error.describe()).to.not.include(password);
      });
    }
  });

  describe('listen addresses', () => {
    const accepted: Array<{ name: string; env: Record<string, string>; internal: unknown; admin: unknown }> =
      [
        {
          name: 'IPv6 in brackets',
          env: { MOSAIC_LISTEN: '[::1]:8080', MOSAIC_ADMIN_LISTEN: '[::]:9000' },
          internal: { host: '::1', port: 8080 },
          admin: { host: '::', port: 9000 },
        },
        {
          name: 'port 0 (a free port)',
          env: { MOSAIC_LISTEN: '127.0.0.1:0', MOSAIC_ADMIN_LISTEN: 'localhost:0' },
          internal: { host: '127.0.0.1', port: 0 },
          admin: { host: 'localhost', port: 0 },
        },
        {
          name: 'the highest port',
          env: { MOSAIC_LISTEN: '0.0.0.0:65535', MOSAIC_ADMIN_LISTEN: '127.0.0.1:1' },
          internal: { host: '0.0.0.0', port: 65535 },
          admin: { host: '127.0.0.1', port: 1 },
        },
      ];
    for (const tc of accepted) {
      it(`accepts ${tc.name}`, async () => {
        const config = loadConfig({ env: tc.env, cwd: await emptyDir() });
        expect(config.listen.internal).to.deep.equal(tc.internal);
        expect(config.listen.admin).to.deep.equal(tc.admin);
      });
    }

    const refused: Array<{ name: string; env: Record<string, string>; setting: string; value: string }> = [
      {
        name: 'no port',
        env: { MOSAIC_LISTEN: 'localhost' },
        setting: 'listen.internal (MOSAIC_LISTEN)',
        value: 'localhost',
      },
      {
        name: 'a port above 65535',
        env: { MOSAIC_ADMIN_LISTEN: '127.0.0.1:65536' },
        setting: 'listen.admin (MOSAIC_ADMIN_LISTEN)',
        value: '127.0.0.1:65536',
      },
      {
        name: 'no host',
        env: { MOSAIC_FEDERATION_LISTEN: ':8443' },
        setting: 'listen.federation (MOSAIC_FEDERATION_LISTEN)',
        value: ':8443',
      },
      {
        name: 'IPv6 without brackets',
        env: { MOSAIC_ENROLLMENT_LISTEN: '::1:8444' },
        setting: 'listen.enrollment (MOSAIC_ENROLLMENT_LISTEN)',
        value: '::1:8444',
      },
      {
        name: 'a negative port',
        env: { MOSAIC_LISTEN: '127.0.0.1:-1' },
        setting: 'listen.internal (MOSAIC_LISTEN)',
        value: '127.0.0.1:-1',
      },
      {
        name: 'a port that is not a number',
        env: { MOSAIC_ADMIN_LISTEN: '127.0.0.1:http' },
        setting: 'listen.admin (MOSAIC_ADMIN_LISTEN)',
        value: '127.0.0.1:http',
      },
    ];
    for (const tc of refused) {
      it(`refuses ${tc.name}, naming the setting`, async () => {
        const error = refusal(() => loadConfig({ env: tc.env, cwd: root.path }));
        expect(error.message).to.equal(`${tc.setting} is "${tc.value}", which is not a listen address.`);
        expect(error.remedy).to.equal(
          'Use host:port, for example 127.0.0.1:8080 or [::1]:8080 (port 0 picks a free port).',
        );
      });
    }

    it('refuses a bad address from the file, naming the setting', async () => {
      const { dir } = await configDir({ listen: { federation: 'federation.example' } });
      const error = refusal(() => loadConfig({ env: {}, cwd: dir }));
      expect(error.message).to.equal(
        'listen.federation (MOSAIC_FEDERATION_LISTEN) is "federation.example", which is not a listen address.',
      );
    });
  });

  describe('MOSAIC_CONFIG', () => {
    it('is read when it names an existing file, relative to cwd', async () => {
      const { dir, file } = await configDir({ tier: 'standalone' });
      const config = loadConfig({
        env: { MOSAIC_CONFIG: path.join(path.basename(dir), 'mosaic.config.json') },
        cwd: root.path,
      });
      expect(config.configPath).to.equal(file);
      expect(config.tier).to.equal('standalone');
    });

    it('refuses a missing file, naming it', async () => {
      const cwd = await emptyDir();
      const error = refusal(() => loadConfig({ env: { MOSAIC_CONFIG: 'nowhere/mosaic.json' }, cwd }));
      expect(error.message).to.equal(
        `The config file ${path.join(cwd, 'nowhere', 'mosaic.json')} does not exist.`,
      );
      expect(error.remedy).to.equal(
        'Create it, or unset MOSAIC_CONFIG to use ./mosaic.config.json or the built-in defaults.',
      );
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
