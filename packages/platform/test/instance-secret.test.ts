import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../../../test/support/mosaic-process.js';
import { type ConfigError, isConfigError } from '../src/errors/index.js';
import { loadInstanceSecret, type SecretSource } from '../src/secrets/instance-secret.js';

const envName = 'MOSAIC_TEST_INSTANCE_KEY';

async function refusal(load: () => Promise<unknown>): Promise<ConfigError> {
  const outcome = await load().then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome === undefined) expect.fail('the secret was accepted');
  if (!isConfigError(outcome)) throw outcome;
  return outcome;
}

describe('loadInstanceSecret', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let counter = 0;

  beforeEach(async () => {
    dir = await tempDir('mosaic-secret-test-');
  });
  afterEach(async () => {
    await dir?.remove();
  });

  function source(overrides: Partial<SecretSource> = {}): SecretSource {
    counter += 1;
    return {
      purpose: 'internal signing key',
      envName,
      file: path.join(dir.path, 'secrets', `key-${counter}`),
      createIfMissing: false,
      ...overrides,
    };
  }

  it('reads the value from the environment variable, before the file', async () => {
    const secret = randomBytes(32);
    const from = source();
    await mkdir(path.dirname(from.file), { recursive: true });
    await writeFile(from.file, randomBytes(32).toString('base64url'));
    const loaded = await loadInstanceSecret(from, { [envName]: secret.toString('base64url') });
    expect(loaded.equals(secret)).to.equal(true);
  });

  it('reads the value from the file, ignoring surrounding whitespace', async () => {
    const secret = randomBytes(32);
    const from = source();
    await mkdir(path.dirname(from.file), { recursive: true });
    await writeFile(from.file, `  ${secret.toString('base64url')}\n\n`);
    const loaded = await loadInstanceSecret(from, {});
    expect(loaded.equals(secret)).to.equal(true);
  });

  it('creates a 32-byte secret in a 0600 file when createIfMissing, and reads the same one back', async () => {
    const from = source({ createIfMissing: true });
    const created = await loadInstanceSecret(from, {});
    expect(created.length).to.equal(32);
    expect((await stat(from.file)).mode & 0o777).to.equal(0o600);
    expect((await stat(path.dirname(from.file))).mode & 0o777).to.equal(0o700);
    expect(Buffer.from((await readFile(from.file, 'utf8')).trim(), 'base64url').equals(created)).to.equal(
      true,
    );

    const again = await loadInstanceSecret(from, {});
    expect(again.equals(created)).to.equal(true);
  });

  it('loaders creating the same file at once all get the one secret, none a half-written file', async function () {
    // "Another process of this instance created it first: use theirs" must hold even while the
    // creator has opened the file but not yet written it. The window is narrow, so many rounds race.
    this.timeout(30_000);
    const rounds = 2_000;
    const loaders = 8;
    const problems: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const from = source({ createIfMissing: true });
      const results = await Promise.allSettled(
        Array.from({ length: loaders }, () => loadInstanceSecret(from, {})),
      );
      const secrets: Buffer[] = [];
      for (const result of results) {
        if (result.status === 'rejected')
          problems.push(`round ${round}: ${(result.reason as Error).message}`);
        else secrets.push(result.value);
      }
      if (secrets.some((secret) => !secret.equals(secrets[0]!)))
        problems.push(`round ${round}: different secrets`);
    }
    expect(
      problems.slice(0, 3),
      `${problems.length} loads of ${rounds} rounds went wrong, first ones`,
    ).to.deep.equal([]);
  });

  it('refuses when missing and not creatable, naming the variable and the file', async () => {
    const from = source();
    const error = await refusal(() => loadInstanceSecret(from, {}));
    expect(error.message).to.equal(
      `The internal signing key is not configured: ${envName} is unset and ${from.file} does not exist.`,
    );
    expect(error.remedy).to.include(`put it in ${envName}`);
    expect(error.remedy).to.include('openssl rand -base64 32');
  });

  const malformed: Array<{ name: string; value: string; decodedBytes: number; where: 'env' | 'file' }> = [
    {
      name: 'too short, from the environment',
      value: 'c2hvcnQtc2VjcmV0LXZhbHVl',
      decodedBytes: 18,
      where: 'env',
    },
    {
      name: 'too long, from the environment',
      value: randomBytes(48).toString('base64url'),
      decodedBytes: 48,
      where: 'env',
    },
    { name: 'too short, from the file', value: 'dG9vLXNob3J0LWluLWZpbGU', decodedBytes: 17, where: 'file' },
    {
      name: 'a 31-byte value from the file',
      value: randomBytes(31).toString('base64url'),
      decodedBytes: 31,
      where: 'file',
    },
  ];
  for (const tc of malformed) {
    it(`refuses a malformed value (${tc.name}) with its decoded length, never echoing it`, async () => {
      const from = source();
      let env: NodeJS.ProcessEnv = {};
      if (tc.where === 'env') env = { [envName]: tc.value };
      else {
        await mkdir(path.dirname(from.file), { recursive: true });
        await writeFile(from.file, `${tc.value}\n`);
      }
      const error = await refusal(() => loadInstanceSecret(from, env));
      const where = tc.where === 'env' ? envName : from.file;
      expect(error.message).to.equal(
        `The secret in ${where} is not 32 bytes of base64url (it decodes to ${tc.decodedBytes} bytes).`,
      );
      expect(error.remedy).to.include('openssl rand -base64 32');
      expect(error.describe()).to.not.include(tc.value);
    });
  }
});
