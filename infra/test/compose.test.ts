// Static checks of the deployment files: both compose files, the four Dockerfiles, .dockerignore and
// the env templates. They read the files as text/YAML; nothing here needs Docker.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const readRepoFile = (relative: string): string => readFileSync(path.join(repoRoot, relative), 'utf8');

// ---------------------------------------------------------------------------------------------
// What the files must describe

interface MosaicService {
  name: 'ca' | 'grants' | 'audit' | 'gateway';
  port: number;
  /** Services it calls, which it must wait for. */
  calls: MosaicService['name'][];
  sealsKeys: boolean;
}

const mosaicServices: readonly MosaicService[] = [
  { name: 'ca', port: 9101, calls: [], sealsKeys: true },
  { name: 'grants', port: 9102, calls: ['ca'], sealsKeys: false },
  { name: 'audit', port: 9103, calls: [], sealsKeys: false },
  { name: 'gateway', port: 9104, calls: ['ca', 'grants', 'audit'], sealsKeys: true },
];
const serviceUrlVariable = {
  ca: 'MOSAIC_CA_URL',
  grants: 'MOSAIC_GRANTS_URL',
  audit: 'MOSAIC_AUDIT_URL',
} as const;

interface ComposeCase {
  file: string;
  envExample: string;
  /** Suffix of every service name of one stack: '' for the single stack, '-a'/'-b' for the e2e file. */
  stacks: string[];
}

const composeCases: readonly ComposeCase[] = [
  { file: 'docker-compose.yml', envExample: 'infra/compose.env.example', stacks: [''] },
  {
    file: 'docker-compose.federation-e2e.yml',
    envExample: 'infra/federation-e2e.env.example',
    stacks: ['-a', '-b'],
  },
];

// ---------------------------------------------------------------------------------------------
// Compose model (only the parts checked here)

interface ComposeHealthcheck {
  test?: string[] | string;
}
interface ComposeDependency {
  condition?: string;
}
interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: ComposeHealthcheck;
  depends_on?: Record<string, ComposeDependency> | string[];
  restart?: string;
  ports?: (string | { published?: string | number; target?: number; host_ip?: string })[];
  volumes?: (string | { source?: string; target?: string })[];
  networks?: string[] | Record<string, unknown>;
  [key: string]: unknown;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

function loadCompose(file: string): ComposeFile {
  // merge: true resolves `<<: *anchor` keys the way docker-compose and Compose v2 do.
  const parsed = parse(readRepoFile(file), { merge: true }) as ComposeFile | null;
  if (!parsed || typeof parsed.services !== 'object') throw new Error(`${file}: no services`);
  return parsed;
}

function serviceOf(compose: ComposeFile, name: string): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`service ${name} is missing`);
  return service;
}

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value == null ? '' : String(value)]),
  );
}

function healthcheckText(service: ComposeService): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

function dependenciesOf(service: ComposeService): Record<string, ComposeDependency> {
  const deps = service.depends_on;
  if (!deps) return {};
  // The short list form has no condition: reported as such by the assertions.
  return Array.isArray(deps) ? Object.fromEntries(deps.map((name) => [name, {}])) : deps;
}

function networksOf(service: ComposeService): string[] {
  const networks = service.networks;
  if (!networks) return ['default'];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

interface PublishedPort {
  hostIp: string;
  hostPort: string;
  containerPort: string;
}

function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') {
      return {
        hostIp: port.host_ip ?? '',
        hostPort: String(port.published ?? ''),
        containerPort: String(port.target ?? ''),
      };
    }
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 3)
      return { hostIp: parts[0] ?? '', hostPort: parts[1] ?? '', containerPort: parts[2] ?? '' };
    if (parts.length === 2) return { hostIp: '', hostPort: parts[0] ?? '', containerPort: parts[1] ?? '' };
    return { hostIp: '', hostPort: '', containerPort: parts[0] ?? '' };
  });
}

/** `image` split into repository and tag; an image without a tag has tag ''. */
function imageTag(image: string | undefined): { repository: string; tag: string } {
  if (!image) return { repository: '', tag: '' };
  const withoutDigest = image.split('@')[0] ?? '';
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash)
    return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  return { repository: withoutDigest, tag: '' };
}

/** `${NAME:?message}`: compose refuses to start when NAME is unset or empty, and says why. */
const requiredReference = /^\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}$/;
const requiredReferenceAnywhere = /\$\{([A-Z][A-Z0-9_]*):\?[^}]+\}/g;
// Whole name segments: VALKEY_URL is not a key, MOSAIC_MASTER_KEY and POSTGRES_PASSWORD are secrets.
const secretKeyName = /(^|_)(PASSWORD|KEY|SECRET|TOKEN)(_|$)/;

// ---------------------------------------------------------------------------------------------

for (const tc of composeCases) {
  describe(`${tc.file}`, () => {
    const compose = loadCompose(tc.file);
    const text = readRepoFile(tc.file);

    it('declares exactly postgres, valkey and the four Mosaic services for each stack', () => {
      const expected = tc.stacks.flatMap((suffix) => [
        `postgres${suffix}`,
        `valkey${suffix}`,
        ...mosaicServices.map((svc) => `${svc.name}${suffix}`),
      ]);
      expect(Object.keys(compose.services)).to.have.members(expected);
    });

    it('has no top-level `version` key (obsolete in Compose v2, optional in docker-compose 1.29)', () => {
      expect(compose).not.to.have.property('version');
    });

    for (const suffix of tc.stacks) {
      for (const svc of mosaicServices) {
        const name = `${svc.name}${suffix}`;

        describe(`service ${name}`, () => {
          const service = serviceOf(compose, name);
          const env = environmentOf(service);

          it(`builds services/${svc.name}/Dockerfile from the repository root`, () => {
            expect(service.build, 'build').to.be.an('object');
            const build = service.build as { context?: string; dockerfile?: string };
            expect(build.context).to.equal('.');
            expect(build.dockerfile).to.equal(`services/${svc.name}/Dockerfile`);
          });

          it(`is tagged mosaic/${svc.name} with a pinned version, never latest`, () => {
            const { repository, tag } = imageTag(service.image);
            expect(repository).to.equal(`mosaic/${svc.name}`);
            expect(tag, `tag of ${service.image}`).to.match(/^\d+\.\d+\.\d+([-.][0-9A-Za-z.-]+)?$/);
          });

          it('runs the federated tier against its own database role, Valkey and pgvector', () => {
            expect(env).to.include({
              MOSAIC_STORAGE_TIER: 'federated',
              MOSAIC_MEMORY_TYPE: 'pgvector',
              MOSAIC_LOG_LEVEL: 'info',
              MOSAIC_LISTEN: `0.0.0.0:${svc.port}`,
              VALKEY_URL: `redis://valkey${suffix}:6379`,
            });
            const url = env.DATABASE_URL ?? '';
            expect(url).to.match(
              new RegExp(
                `^postgres://mosaic_${svc.name}:\\$\\{[A-Z0-9_]+:\\?[^}]+\\}@postgres${suffix}:5432/mosaic$`,
              ),
              'DATABASE_URL',
            );
            expect(env.MOSAIC_INTERNAL_KEY, 'MOSAIC_INTERNAL_KEY').to.match(requiredReference);
          });

          it(svc.sealsKeys ? 'gets a sealing key (MOSAIC_MASTER_KEY)' : 'gets no sealing key', () => {
            if (svc.sealsKeys) expect(env.MOSAIC_MASTER_KEY, 'MOSAIC_MASTER_KEY').to.match(requiredReference);
            else expect(env).not.to.have.property('MOSAIC_MASTER_KEY');
          });

          it('knows the URL of every service it calls', () => {
            for (const callee of svc.calls) {
              const calleePort = mosaicServices.find((s) => s.name === callee)?.port;
              const variable = serviceUrlVariable[callee as keyof typeof serviceUrlVariable];
              expect(env[variable], variable).to.equal(`http://${callee}${suffix}:${calleePort}`);
            }
          });

          it(`has a healthcheck on http://127.0.0.1:${svc.port}/readyz`, () => {
            expect(healthcheckText(service)).to.include(`http://127.0.0.1:${svc.port}/readyz`);
          });

          it('waits for healthy postgres, valkey and the services it calls', () => {
            const deps = dependenciesOf(service);
            const expected = [
              `postgres${suffix}`,
              `valkey${suffix}`,
              ...svc.calls.map((c) => `${c}${suffix}`),
            ];
            expect(Object.keys(deps)).to.have.members(expected);
            for (const dep of expected) {
              expect(deps[dep]?.condition, `depends_on.${dep}.condition`).to.equal('service_healthy');
            }
          });

          it('restarts unless stopped', () => {
            expect(service.restart).to.be.oneOf(['unless-stopped', 'always', 'on-failure']);
          });
        });
      }

      describe(`service postgres${suffix}`, () => {
        const service = serviceOf(compose, `postgres${suffix}`);

        it('uses a pgvector/pgvector image pinned to a PostgreSQL major', () => {
          const { repository, tag } = imageTag(service.image);
          expect(repository).to.equal('pgvector/pgvector');
          expect(tag).to.match(/^pg\d+/);
        });

        it('mounts infra/postgres as its init scripts and keeps its data on a named volume', () => {
          const volumes = (service.volumes ?? []).map((v) =>
            typeof v === 'string' ? v : `${v.source}:${v.target}`,
          );
          expect(
            volumes.some((v) => /^\.\/infra\/postgres:\/docker-entrypoint-initdb\.d(:ro)?$/.test(v)),
          ).to.equal(true, `volumes ${JSON.stringify(volumes)}`);
          const dataVolume = volumes.find((v) => v.includes(':/var/lib/postgresql/data'));
          const volumeName = dataVolume?.split(':')[0] ?? '';
          expect(compose.volumes ?? {}, 'top-level volumes').to.have.property(volumeName);
        });

        it('passes the four role passwords to the init script', () => {
          expect(Object.keys(environmentOf(service))).to.include.members([
            'POSTGRES_PASSWORD',
            'MOSAIC_CA_DB_PASSWORD',
            'MOSAIC_GRANTS_DB_PASSWORD',
            'MOSAIC_AUDIT_DB_PASSWORD',
            'MOSAIC_GATEWAY_DB_PASSWORD',
          ]);
        });

        it('uses the same role password as the service that logs in with it', () => {
          const postgresEnv = environmentOf(service);
          for (const svc of mosaicServices) {
            const url = environmentOf(serviceOf(compose, `${svc.name}${suffix}`)).DATABASE_URL ?? '';
            const password = /^postgres:\/\/[^:]+:(.*)@/.exec(url)?.[1];
            expect(password, `${svc.name}${suffix} DATABASE_URL password`).to.equal(
              postgresEnv[`MOSAIC_${svc.name.toUpperCase()}_DB_PASSWORD`],
            );
          }
        });

        it('is healthy only when pg_isready answers', () => {
          expect(healthcheckText(service)).to.include('pg_isready');
        });
      });

      describe(`service valkey${suffix}`, () => {
        const service = serviceOf(compose, `valkey${suffix}`);
        const command = Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

        it('uses a valkey/valkey image with a pinned tag', () => {
          const { repository, tag } = imageTag(service.image);
          expect(repository).to.equal('valkey/valkey');
          expect(tag).to.match(/^\d/);
        });

        it('never evicts keys (BullMQ) and persists with appendonly', () => {
          expect(command).to.match(/--maxmemory-policy[ =]noeviction\b/);
          expect(command).to.match(/--appendonly[ =]yes\b/);
        });

        it('is healthy only when valkey-cli ping answers', () => {
          expect(healthcheckText(service)).to.include('valkey-cli ping');
        });
      });

      it(`publishes the gateway${suffix} admin API on 127.0.0.1 only, and its federation and enrollment listeners`, () => {
        const ports = publishedPorts(serviceOf(compose, `gateway${suffix}`));
        const byTarget = new Map(ports.map((p) => [p.containerPort, p]));
        expect(byTarget.get('8080')?.hostIp, 'admin 8080 host address').to.equal('127.0.0.1');
        expect(byTarget.has('8443'), 'federation 8443 published').to.equal(true);
        expect(byTarget.has('8444'), 'enrollment 8444 published').to.equal(true);
        expect([...byTarget.keys()], 'published container ports').to.have.members(['8080', '8443', '8444']);
      });
    }

    it('publishes no port of postgres, valkey or an internal listener', () => {
      for (const [name, service] of Object.entries(compose.services)) {
        if (name.startsWith('gateway')) continue;
        expect(service.ports ?? [], `${name} ports`).to.have.length(0);
      }
    });

    it('publishes every host port once', () => {
      const hostPorts = Object.values(compose.services)
        .flatMap((service) => publishedPorts(service))
        .map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}`);
      expect(new Set(hostPorts).size, hostPorts.join(', ')).to.equal(hostPorts.length);
    });

    it('pins every image to a tag other than latest', () => {
      for (const [name, service] of Object.entries(compose.services)) {
        const { tag } = imageTag(service.image);
        expect(tag, `${name}: ${service.image}`).to.not.equal('');
        expect(tag, `${name}: ${service.image}`).to.not.equal('latest');
      }
    });

    it('takes every password and key from a required reference (VAR:?message), never a literal', () => {
      for (const [name, service] of Object.entries(compose.services)) {
        for (const [key, value] of Object.entries(environmentOf(service))) {
          if (secretKeyName.test(key)) {
            expect(value, `${name}.environment.${key}`).to.match(requiredReference);
          }
          const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^@]*)@/i.exec(value);
          if (userinfo) {
            expect(userinfo[1], `password in ${name}.environment.${key}`).to.match(requiredReference);
          }
        }
      }
    });

    it(`documents every required variable in ${tc.envExample}, and no other`, () => {
      const required = new Set([...text.matchAll(requiredReferenceAnywhere)].map((m) => m[1]));
      const documented = new Set(
        readRepoFile(tc.envExample)
          .split('\n')
          .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
          .filter((name): name is string => name !== undefined),
      );
      expect([...required].sort()).to.deep.equal([...documented].sort());
      expect(required.size).to.be.greaterThan(0);
    });

    it(`leaves every variable empty in ${tc.envExample} (no committed secret)`, () => {
      for (const line of readRepoFile(tc.envExample).split('\n')) {
        if (/^[A-Z][A-Z0-9_]*=/.test(line)) expect(line, line).to.match(/=$/);
      }
    });
  });
}

describe('docker-compose.federation-e2e.yml networks', () => {
  const compose = loadCompose('docker-compose.federation-e2e.yml');

  it('lets only gateway-a and gateway-b join the shared federation network', () => {
    const members = Object.entries(compose.services)
      .filter(([, service]) => networksOf(service).includes('federation'))
      .map(([name]) => name);
    expect(members).to.have.members(['gateway-a', 'gateway-b']);
  });

  it('keeps each stack on its own network, never on the other stack’s', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const own = name.endsWith('-a') ? 'stack-a' : 'stack-b';
      const other = own === 'stack-a' ? 'stack-b' : 'stack-a';
      expect(networksOf(service), name).to.include(own);
      expect(networksOf(service), name).not.to.include(other);
    }
  });

  it('makes the per-stack networks internal', () => {
    expect(compose.networks?.['stack-a']?.internal).to.equal(true);
    expect(compose.networks?.['stack-b']?.internal).to.equal(true);
  });

  it('publishes B’s federation and enrollment listeners on other host ports than A’s', () => {
    const hostPort = (gateway: string, target: string) =>
      publishedPorts(serviceOf(compose, gateway)).find((p) => p.containerPort === target)?.hostPort;
    for (const target of ['8443', '8444', '8080']) {
      const a = hostPort('gateway-a', target);
      const b = hostPort('gateway-b', target);
      expect(a, `gateway-a ${target}`).to.be.a('string');
      expect(b, `gateway-b ${target}`).to.be.a('string');
      expect(b, `host port of ${target}`).to.not.equal(a);
    }
  });

  it('uses separate secrets for A and B', () => {
    for (const svc of mosaicServices) {
      const a = environmentOf(serviceOf(compose, `${svc.name}-a`));
      const b = environmentOf(serviceOf(compose, `${svc.name}-b`));
      for (const key of ['MOSAIC_INTERNAL_KEY', 'MOSAIC_MASTER_KEY', 'DATABASE_URL']) {
        if (a[key] === undefined && b[key] === undefined) continue;
        expect(a[key], `${svc.name} ${key}`).to.not.equal(b[key]);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfiles

interface DockerInstruction {
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped, split per stage. */
function dockerStages(text: string): DockerInstruction[][] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  const stages: DockerInstruction[][] = [];
  for (const line of logical) {
    const space = line.search(/\s/);
    const keyword = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const args = space < 0 ? '' : line.slice(space + 1).trim();
    if (keyword === 'FROM') stages.push([]);
    const stage = stages.at(-1);
    if (!stage) throw new Error(`instruction ${keyword} before FROM`);
    stage.push({ keyword, args });
  }
  return stages;
}

const workspaces = (JSON.parse(readRepoFile('package.json')) as { workspaces: string[] }).workspaces;

for (const svc of mosaicServices) {
  describe(`services/${svc.name}/Dockerfile`, () => {
    const text = readRepoFile(`services/${svc.name}/Dockerfile`);
    const stages = dockerStages(text);
    const runtime = stages.at(-1) ?? [];
    const build = stages.slice(0, -1).flat();
    const runtimeArgs = (keyword: string) => runtime.filter((i) => i.keyword === keyword).map((i) => i.args);

    it('is multi-stage on node:24-bookworm-slim', () => {
      expect(stages.length).to.be.greaterThanOrEqual(2);
      for (const stage of stages) {
        expect(stage[0]?.args.split(/\s+/)[0]).to.equal('node:24-bookworm-slim');
      }
    });

    it('installs, builds and prunes dev dependencies in the build stage', () => {
      const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
      const all = runs.join(' && ');
      expect(all).to.match(/\bnpm ci\b/);
      expect(all).to.match(/\bnpm run build\b/);
      expect(all).to.match(/\bnpm prune --omit=dev\b/);
      expect(all.indexOf('npm ci')).to.be.lessThan(all.indexOf('npm run build'));
      expect(all.indexOf('npm run build')).to.be.lessThan(all.indexOf('npm prune'));
    });

    it('copies the manifest of every npm workspace before npm ci', () => {
      const copies = build.filter((i) => i.keyword === 'COPY').map((i) => i.args.split(/\s+/)[0]);
      for (const workspace of workspaces) {
        expect(copies, `COPY ${workspace}/package.json`).to.include(`${workspace}/package.json`);
      }
    });

    it('runs as a non-root user in /app with NODE_ENV=production', () => {
      const users = runtimeArgs('USER');
      expect(users, 'USER in the runtime stage').to.have.length.greaterThan(0);
      expect(users.at(-1)?.split(':')[0]).to.not.be.oneOf(['root', '0']);
      expect(runtimeArgs('WORKDIR').at(-1)).to.equal('/app');
      expect(runtimeArgs('ENV').join(' ')).to.match(/\bNODE_ENV=production\b/);
      const userIndex = runtime.findIndex((i) => i.keyword === 'USER');
      const cmdIndex = runtime.findIndex((i) => i.keyword === 'CMD');
      expect(userIndex).to.be.lessThan(cmdIndex);
    });

    it(`exposes ${svc.port}${svc.name === 'gateway' ? ', 8080, 8443 and 8444' : ''}`, () => {
      const exposed = runtimeArgs('EXPOSE').flatMap((args) => args.split(/\s+/));
      const expected =
        svc.name === 'gateway' ? [String(svc.port), '8080', '8443', '8444'] : [String(svc.port)];
      expect(exposed).to.have.members(expected);
    });

    it(`starts \`serve --target=${svc.name}\``, () => {
      const cmd = JSON.parse(runtimeArgs('CMD').at(-1) ?? 'null') as unknown;
      // The gateway's image sizes V8's heap (its CPU and memory targets, BENCHMARKS.md).
      const nodeFlags =
        svc.name === 'gateway'
          ? ['--max-semi-space-size=8', '--heap-growing-percent=60', '--max-old-space-size=160']
          : [];
      expect(cmd).to.deep.equal(['node', ...nodeFlags, 'cli/bin/run.js', 'serve', `--target=${svc.name}`]);
    });

    it(`has a HEALTHCHECK on http://127.0.0.1:${svc.port}/readyz with node's fetch`, () => {
      const healthcheck = runtimeArgs('HEALTHCHECK').at(-1) ?? '';
      expect(healthcheck).to.include(`http://127.0.0.1:${svc.port}/readyz`);
      expect(healthcheck).to.include('fetch(');
    });
  });
}

describe('the readiness probe command of the images', () => {
  // The exact script of the gateway's HEALTHCHECK, run against a local server on another port.
  const stages = dockerStages(readRepoFile('services/gateway/Dockerfile'));
  const healthcheck = stages.at(-1)?.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
  const exec = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim() || 'null') as
    | string[]
    | null;

  let server: Server;
  let status = 200;
  let port = 0;

  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/readyz' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function probe(targetPort: number): Promise<number> {
    expect(exec?.[0], 'HEALTHCHECK CMD in exec form').to.equal('node');
    const args = (exec ?? [])
      .slice(1)
      .map((arg) => arg.replace('127.0.0.1:9104/', `127.0.0.1:${targetPort}/`));
    try {
      await execFileAsync(process.execPath, args, { timeout: 15_000 });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  }

  it('exits 0 when /readyz answers 200', async () => {
    status = 200;
    expect(await probe(port)).to.equal(0);
  });

  it('exits 1 when /readyz answers 503', async () => {
    status = 503;
    expect(await probe(port)).to.equal(1);
  });

  it('exits 1 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await probe(closedPort)).to.equal(1);
  });
});

describe('.dockerignore', () => {
  const patterns = readRepoFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  for (const required of [
    'node_modules',
    '**/node_modules',
    '**/dist',
    '.mosaic',
    '.git',
    'coverage',
    '.env',
  ]) {
    it(`excludes ${required}`, () => {
      expect(patterns).to.include(required);
    });
  }

  it('keeps what the image needs in the build context', () => {
    for (const needed of [
      'cli',
      'cli/bin',
      'proto',
      'packages',
      'services',
      'package.json',
      'package-lock.json',
    ]) {
      expect(patterns, needed).not.to.include(needed);
    }
  });
});
