// infra/postgres/roles.sql and 10-schemas-and-roles.sh against the real local PostgreSQL
// (127.0.0.1:5432, user postgres). Each run uses its own database and randomly prefixed roles and
// removes them afterwards, even when a test fails.
import { spawn } from 'node:child_process';
import { createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const rolesSql = path.join(repoRoot, 'infra/postgres/roles.sql');
const initScript = path.join(repoRoot, 'infra/postgres/10-schemas-and-roles.sh');

const host = '127.0.0.1';
const port = 5432;
const superuser = 'postgres';
const services = ['ca', 'grants', 'audit', 'gateway'] as const;
type ServiceName = (typeof services)[number];
type Passwords = Record<ServiceName, string>;

const randomToken = () => randomBytes(6).toString('hex');
const randomPasswords = (): Passwords => ({
  ca: randomBytes(24).toString('base64url'),
  grants: randomBytes(24).toString('base64url'),
  audit: randomBytes(24).toString('base64url'),
  gateway: randomBytes(24).toString('base64url'),
});

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface RolesSqlOptions {
  database: string;
  prefix?: string;
  passwords?: Partial<Passwords>;
}

/** roles.sql through psql with -v variables, as a developer or the init script would run it. */
function applyRolesSql(options: RolesSqlOptions): Promise<RunResult> {
  const args = ['-X', '-h', host, '-p', String(port), '-U', superuser, '-d', options.database];
  args.push('-v', 'ON_ERROR_STOP=1');
  if (options.prefix !== undefined)
    args.push('-v', `prefix=${options.prefix}`, '-v', `db=${options.database}`);
  for (const [svc, password] of Object.entries(options.passwords ?? {})) {
    args.push('-v', `${svc}_password=${password}`);
  }
  args.push('-f', rolesSql);
  return run('psql', args);
}

async function withClient<T>(config: pg.ClientConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host, port, ...config });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function expectPgError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected PostgreSQL error ${code}`).to.be.instanceOf(Error);
  const error = caught as Error & { code?: string };
  expect(error.code, error.message).to.equal(code);
  expect(error.message).to.match(message);
}

/** Does `password` match the SCRAM-SHA-256 verifier PostgreSQL stored (RFC 5802 ServerKey)? */
function scramVerifierMatches(verifier: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) throw new Error('not a SCRAM-SHA-256 verifier');
  const [, iterations, salt, , serverKey] = match as unknown as [string, string, string, string, string];
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), 32, 'sha256');
  const expected = createHmac('sha256', salted).update('Server Key').digest();
  const stored = Buffer.from(serverKey, 'base64');
  return stored.length === expected.length && timingSafeEqual(stored, expected);
}

describe('infra/postgres roles against a real PostgreSQL', function () {
  this.timeout(60_000);

  const token = randomToken();
  const database = `mosaic_roles_test_${token}`;
  const prefix = `t_${token}_`;
  const scriptPrefix = `t_${token}_sh_`;
  const passwords = randomPasswords();
  const scriptPasswords = randomPasswords();
  const allRoles = [
    ...services.map((svc) => `${prefix}${svc}`),
    ...services.map((svc) => `${scriptPrefix}${svc}`),
  ];
  const applications: RunResult[] = [];
  let databaseCreated = false;

  const asRole = <T>(svc: ServiceName, fn: (client: pg.Client) => Promise<T>) =>
    withClient({ user: `${prefix}${svc}`, password: passwords[svc], database }, fn);
  const asSuperuser = <T>(fn: (client: pg.Client) => Promise<T>) =>
    withClient({ user: superuser, database }, fn);

  before(async () => {
    await withClient({ user: superuser, database: 'postgres' }, async (admin) => {
      await admin.query(`CREATE DATABASE ${database}`);
      databaseCreated = true;
    });
    // Twice: the second run must find everything in place and still succeed.
    applications.push(await applyRolesSql({ database, prefix, passwords }));
    applications.push(await applyRolesSql({ database, prefix, passwords }));
  });

  after(async () => {
    const problems: unknown[] = [];
    if (databaseCreated) {
      try {
        await asSuperuser(async (admin) => {
          const { rows } = await admin.query<{ rolname: string }>(
            'SELECT rolname FROM pg_roles WHERE rolname = ANY($1)',
            [allRoles],
          );
          for (const { rolname } of rows) await admin.query(`DROP OWNED BY "${rolname}" CASCADE`);
        });
      } catch (error) {
        problems.push(error);
      }
    }
    try {
      await withClient({ user: superuser, database: 'postgres' }, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        for (const role of allRoles) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      });
    } catch (error) {
      problems.push(error);
    }
    if (problems.length > 0) throw new AggregateError(problems, `cleanup of ${database} / ${prefix}* failed`);
  });

  describe('roles.sql', () => {
    it('applies cleanly to a fresh database and again on top of itself (idempotent)', () => {
      expect(applications).to.have.length(2);
      for (const [index, result] of applications.entries()) {
        expect(result.code, `run ${index + 1}: ${result.stderr}`).to.equal(0);
        expect(result.stderr, `run ${index + 1} stderr`).not.to.match(/ERROR/);
      }
    });

    it('prints none of the passwords', () => {
      const output = applications.map((r) => r.stdout + r.stderr).join('\n');
      for (const password of Object.values(passwords)) expect(output).not.to.include(password);
    });

    it('creates the four schemas and a login role per service with no special rights', async () => {
      await asSuperuser(async (admin) => {
        const schemas = await admin.query<{ nspname: string }>(
          'SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)',
          [[...services]],
        );
        expect(schemas.rows.map((r) => r.nspname)).to.have.members([...services]);

        const roles = await admin.query<{
          rolname: string;
          rolcanlogin: boolean;
          rolsuper: boolean;
          rolcreaterole: boolean;
          rolcreatedb: boolean;
          rolbypassrls: boolean;
        }>(
          'SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname LIKE $1',
          [`${prefix}%`],
        );
        const byName = new Map(roles.rows.map((r) => [r.rolname, r]));
        for (const svc of services) {
          expect(byName.get(`${prefix}${svc}`), `${prefix}${svc}`).to.deep.include({
            rolcanlogin: true,
            rolsuper: false,
            rolcreaterole: false,
            rolcreatedb: false,
            rolbypassrls: false,
          });
        }
      });
    });

    it('stores each role’s own password (the SCRAM verifier matches it)', async () => {
      await asSuperuser(async (admin) => {
        const { rows } = await admin.query<{ rolname: string; rolpassword: string | null }>(
          'SELECT rolname, rolpassword FROM pg_authid WHERE rolname LIKE $1',
          [`${prefix}%`],
        );
        const verifiers = new Map(rows.map((r) => [r.rolname, r.rolpassword ?? '']));
        for (const svc of services) {
          const verifier = verifiers.get(`${prefix}${svc}`) ?? '';
          expect(verifier, `${prefix}${svc}`).to.match(/^SCRAM-SHA-256\$/);
          expect(scramVerifierMatches(verifier, passwords[svc]), `${svc} password`).to.equal(true);
          const otherService = services[(services.indexOf(svc) + 1) % services.length] as ServiceName;
          expect(
            scramVerifierMatches(verifier, passwords[otherService]),
            `${svc} vs ${otherService}`,
          ).to.equal(false);
        }
      });
    });

    it('sets the ca role’s search_path to start with ca', async () => {
      const { rows } = await asRole('ca', (client) =>
        client.query<{ search_path: string }>('SHOW search_path'),
      );
      expect(rows[0]?.search_path.split(',')[0]?.trim()).to.equal('ca');
    });

    it('lets the ca role create, write and read tables in schema ca, unqualified names included', async () => {
      await asRole('ca', async (client) => {
        await client.query('CREATE TABLE ca.probe (id integer PRIMARY KEY, note text)');
        await client.query('CREATE TABLE unqualified_probe (id integer)');
        await client.query("INSERT INTO ca.probe VALUES (1, 'issued')");
        const { rows } = await client.query<{ note: string }>('SELECT note FROM probe WHERE id = 1');
        expect(rows).to.deep.equal([{ note: 'issued' }]);
        const where = await client.query<{ schemaname: string }>(
          "SELECT schemaname FROM pg_tables WHERE tablename = 'unqualified_probe'",
        );
        expect(where.rows.map((r) => r.schemaname)).to.deep.equal(['ca']);
      });
    });

    for (const other of ['grants', 'audit', 'gateway'] as const) {
      it(`denies the ca role creating a table in schema ${other}`, async () => {
        await asRole('ca', (client) =>
          expectPgError(
            client.query(`CREATE TABLE ${other}.intruder (id integer)`),
            '42501',
            new RegExp(`permission denied for schema ${other}`),
          ),
        );
      });
    }

    it('denies the ca role reading a table the grants role created in schema grants', async () => {
      await asRole('grants', async (client) => {
        await client.query('CREATE TABLE grants.secret_scope (id integer, scope text)');
        await client.query("INSERT INTO grants.secret_scope VALUES (1, 'tasks:read')");
      });
      await asRole('ca', (client) =>
        expectPgError(
          client.query('SELECT * FROM grants.secret_scope'),
          '42501',
          /permission denied for schema grants/,
        ),
      );
    });

    it('denies the ca role creating a table in schema public', async () => {
      await asRole('ca', (client) =>
        expectPgError(
          client.query('CREATE TABLE public.intruder (id integer)'),
          '42501',
          /permission denied for schema public/,
        ),
      );
    });

    it('refuses a partial set of variables and names the missing one', async () => {
      const result = await applyRolesSql({ database, prefix, passwords: { ca: passwords.ca } });
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('grants_password is not set');
      expect(result.stdout + result.stderr).not.to.include(passwords.ca);
    });

    it('does nothing, successfully, without any variables (as when the postgres entrypoint runs it)', async () => {
      const before = await asSuperuser((admin) => admin.query('SELECT count(*)::int AS n FROM pg_roles'));
      const result = await applyRolesSql({ database });
      const after = await asSuperuser((admin) => admin.query('SELECT count(*)::int AS n FROM pg_roles'));
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.include('nothing to do');
      expect(after.rows[0]).to.deep.equal(before.rows[0]);
    });
  });

  describe('10-schemas-and-roles.sh', () => {
    const scriptEnv = (overrides: Record<string, string | undefined>): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PGHOST: host,
        PGPORT: String(port),
        POSTGRES_USER: superuser,
        POSTGRES_DB: database,
        MOSAIC_DB_ROLE_PREFIX: scriptPrefix,
        MOSAIC_CA_DB_PASSWORD: scriptPasswords.ca,
        MOSAIC_GRANTS_DB_PASSWORD: scriptPasswords.grants,
        MOSAIC_AUDIT_DB_PASSWORD: scriptPasswords.audit,
        MOSAIC_GATEWAY_DB_PASSWORD: scriptPasswords.gateway,
      };
      for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete env[key];
        else env[key] = value;
      }
      return env;
    };

    it('refuses to run without a password, naming the variable and printing no password', async () => {
      const result = await run('bash', [initScript], scriptEnv({ MOSAIC_AUDIT_DB_PASSWORD: undefined }));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('MOSAIC_AUDIT_DB_PASSWORD');
      for (const password of Object.values(scriptPasswords)) {
        expect(result.stdout + result.stderr).not.to.include(password);
      }
    });

    it('refuses a password shorter than 16 characters', async () => {
      const result = await run('bash', [initScript], scriptEnv({ MOSAIC_CA_DB_PASSWORD: 'short' }));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('MOSAIC_CA_DB_PASSWORD must be at least 16 characters');
    });

    it('creates the roles with the passwords from its environment, without printing them', async () => {
      const result = await run('bash', [initScript], scriptEnv({}));
      expect(result.code, result.stderr).to.equal(0);
      for (const password of Object.values(scriptPasswords)) {
        expect(result.stdout + result.stderr).not.to.include(password);
      }
      await asSuperuser(async (admin) => {
        const { rows } = await admin.query<{ rolname: string; rolpassword: string | null }>(
          'SELECT rolname, rolpassword FROM pg_authid WHERE rolname LIKE $1',
          [`${scriptPrefix}%`],
        );
        expect(rows.map((r) => r.rolname)).to.have.members(services.map((svc) => `${scriptPrefix}${svc}`));
        for (const row of rows) {
          const svc = row.rolname.slice(scriptPrefix.length) as ServiceName;
          expect(scramVerifierMatches(row.rolpassword ?? '', scriptPasswords[svc]), row.rolname).to.equal(
            true,
          );
        }
      });
      const search = await withClient(
        { user: `${scriptPrefix}gateway`, password: scriptPasswords.gateway, database },
        (client) => client.query<{ search_path: string }>('SHOW search_path'),
      );
      expect(search.rows[0]?.search_path).to.match(/^gateway\b/);
    });
  });
});
