/**
 * Benchmark orchestrator (issue 6: L1 transport and L2 data ceilings, nginx, scenario 4).
 *
 *   node --conditions=mosaic-source --import tsx bench/run.ts [--quick] [--scenario=l1|l2|nginx|ours]
 *     [--rounds=N] [--duration-ms=N] [--concurrency=N,N…]
 *
 * Starts what it needs on loopback (stack B in its own process, the requesting stack A in this one,
 * the L1 and L2 servers, nginx and its backend each in its own process), drives each scenario from
 * a separate load-generator process, interleaves the scenarios round by round (3 rounds quick, 5
 * full) and reports medians, each also as a ratio to L1 and to L2 at the same concurrency. Table
 * on stdout, JSON in bench-results/. Everything it creates (processes, database, Valkey keys,
 * temporary files) is removed on exit, failure included.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerCredentials } from '../test/support/federation-client.js';
import { startStack, type TestStack } from '../test/support/stack.js';
import { ensureCompiled } from './lib/compiled-build.js';
import { machineInfo } from './lib/machine.js';
import type { AccountPids } from './lib/machine-cpu.js';
import { machineTable } from './lib/machine-table.js';
import { type RunningNginx, startNginxScenario } from './lib/nginx-scenario.js';
import { treeCpuMicros } from './lib/process-tree-cpu.js';
import { killAll, runJson, type StackBHandle, startServer, startStackB } from './lib/processes.js';
import {
  aggregate,
  type RoundSample,
  type ScenarioId,
  type SkippedScenarios,
  scenarioIds,
  table,
} from './lib/report.js';
import { type LoadOptions, type LoadResult, listPath, listRequestBody } from './load/load-generator.js';
import { isPhaseId, type PhaseId, phaseIds, runPhases } from './scenarios/phases.js';
import type { L2Options } from './servers/l2-data-server.js';
import { requestingHost } from './servers/stack-b-protocol.js';

interface Mode {
  name: 'quick' | 'full';
  rounds: number;
  durationMs: number;
  warmupMs: number;
  concurrencies: number[];
}

const modes: Record<Mode['name'], Mode> = {
  // Quick runs in CI: 2 s a run keeps four load scenarios (and the phases after them) near 2 minutes.
  quick: { name: 'quick', rounds: 3, durationMs: 2_000, warmupMs: 500, concurrencies: [1, 16] },
  full: { name: 'full', rounds: 5, durationMs: 10_000, warmupMs: 1_000, concurrencies: [1, 16, 64] },
};
const l1Host = '127.0.0.1';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Args {
  mode: Mode;
  scenarios: ScenarioId[];
  phases: PhaseId[];
  /** What stack B runs: the compiled packages (as production does) or the sources through tsx. */
  from: 'dist' | 'source';
}

function parseArgs(argv: readonly string[]): Args {
  const number = (flag: string) => {
    const value = argv.find((arg) => arg.startsWith(`--${flag}=`))?.slice(flag.length + 3);
    return value === undefined ? undefined : Number(value);
  };
  const preset = argv.includes('--quick') ? modes.quick : modes.full;
  // --rounds=N, --duration-ms=N and --concurrency=N[,N…] override the preset (for short trial runs).
  const concurrencyArg = argv.find((arg) => arg.startsWith('--concurrency='))?.slice('--concurrency='.length);
  const concurrencies = concurrencyArg?.split(',').map(Number);
  if (concurrencies?.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new Error(
      `--concurrency=${concurrencyArg}: expected positive integers separated by commas, e.g. 16,64`,
    );
  }
  const mode = {
    ...preset,
    rounds: number('rounds') ?? preset.rounds,
    durationMs: number('duration-ms') ?? preset.durationMs,
    concurrencies: concurrencies ?? preset.concurrencies,
  };
  const fromArg = argv.find((arg) => arg.startsWith('--from='))?.slice('--from='.length) ?? 'dist';
  if (fromArg !== 'dist' && fromArg !== 'source') {
    throw new Error(`unknown --from=${fromArg}; expected dist (default: the compiled packages) or source`);
  }
  const from = fromArg;
  const scenarioArg = argv.find((arg) => arg.startsWith('--scenario='))?.slice('--scenario='.length);
  if (scenarioArg && !scenarioIds.includes(scenarioArg as ScenarioId) && !isPhaseId(scenarioArg)) {
    throw new Error(
      `unknown --scenario=${scenarioArg}; expected one of ${[...scenarioIds, ...phaseIds].join(', ')}`,
    );
  }
  // Scenarios 5–7 (fan-out, audit, onboarding) are phases after the load rounds, each with its own
  // baseline; asked for alone, they run without the load rounds.
  if (scenarioArg && isPhaseId(scenarioArg)) return { mode, scenarios: [], phases: [scenarioArg], from };
  const phases = scenarioArg ? [] : [...phaseIds];
  // L1 and L2 are the baselines of every ratio and target, so they always run.
  const scenarios = scenarioIds.filter(
    (id) => id === 'l1' || id === 'l2' || !scenarioArg || id === scenarioArg,
  );
  return { mode, scenarios, phases, from };
}

/** One request with A's credentials: the exact bytes B answers (L1 replays a body of that size). */
function fetchOnce(origin: string, tls: { ca: string; cert: string; key: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin, tls);
    session.once('error', reject);
    const body = listRequestBody();
    const stream = session.request({
      ':method': 'POST',
      ':path': listPath,
      'content-type': 'application/proto',
      'connect-protocol-version': '1',
    });
    const chunks: Buffer[] = [];
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      session.close();
      const bytes = Buffer.concat(chunks);
      if (status === 200) resolve(bytes);
      else reject(new Error(`List answered HTTP ${status}: ${bytes.toString().slice(0, 300)}`));
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

function selfSignedServerCert(dir: string, host: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'l1-server.crt');
  const keyFile = path.join(dir, 'l1-server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=IP:${host}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

async function main(): Promise<void> {
  const { mode, scenarios, phases, from } = parseArgs(process.argv.slice(2));
  if (from === 'dist') ensureCompiled(repoRoot, (line) => process.stdout.write(`${line}\n`));
  const machine = machineInfo();
  process.stdout.write(
    `mosaic bench (${mode.name}): ${[...scenarios, ...phases].join(', ')}; ${mode.rounds} rounds × ${mode.durationMs} ms ` +
      `(+${mode.warmupMs} ms warm-up), concurrency ${mode.concurrencies.join('/')}; stack B from ${from}\n` +
      `machine: nproc ${machine.nproc} (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, ` +
      `${machine.platform}, commit ${machine.gitCommit}\n`,
  );

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mosaic-bench-'));
  let a: TestStack | undefined;
  let b: StackBHandle | undefined;
  let l1: { stop(): void } | undefined;
  let l2: { stop(): void } | undefined;
  let nginx: RunningNginx | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      l1?.stop();
      l2?.stop();
      nginx?.stop();
      const closed = await Promise.allSettled([b?.shutdown(), a?.close()]);
      for (const result of closed) {
        if (result.status === 'rejected') process.stderr.write(`cleanup: ${String(result.reason)}\n`);
      }
      killAll();
      await rm(tmp, { recursive: true, force: true });
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const setupStarted = performance.now();
    // Both stacks are waited for even when one fails, so cleanup closes (and drops the database
    // of) whichever did start.
    const [bStarted, aStarted] = await Promise.allSettled([
      startStackB({ from }),
      startStack(requestingHost),
    ]);
    if (bStarted.status === 'rejected' || aStarted.status === 'rejected') {
      if (bStarted.status === 'fulfilled') b = bStarted.value;
      if (aStarted.status === 'fulfilled') a = aStarted.value;
      throw bStarted.status === 'rejected' ? bStarted.reason : (aStarted as PromiseRejectedResult).reason;
    }
    b = bStarted.value;
    a = aStarted.value;
    const { peer } = await a.admin.addPeer({ enrollmentUrl: b.enrollmentUrl });
    const credentials = await peerCredentials(a, peer!.id);
    const files = {
      ca: path.join(tmp, 'b-trust-bundle.pem'),
      cert: path.join(tmp, 'a-client.crt'),
      key: path.join(tmp, 'a-client.key'),
      response: path.join(tmp, 'list-response.bin'),
    };
    await writeFile(files.ca, credentials.caPem);
    await writeFile(files.cert, credentials.certPem);
    await writeFile(files.key, credentials.keyPem, { mode: 0o600 });
    const origin = new URL(credentials.baseUrl).origin;
    const response = await fetchOnce(origin, {
      ca: credentials.caPem,
      cert: credentials.certPem,
      key: credentials.keyPem,
    });
    await writeFile(files.response, response);

    const l1Cert = selfSignedServerCert(tmp, l1Host);
    const l1Server = await startServer<{ port: number }>('servers/l1-transport-server.ts', {
      host: l1Host,
      certFile: l1Cert.certFile,
      keyFile: l1Cert.keyFile,
      clientCaFile: files.ca,
      responseFile: files.response,
    });
    l1 = l1Server;
    // L2 and nginx present the same throw-away certificate as L1 (same host).
    const l2Server = await startServer<{ port: number }>('servers/l2-data-server.ts', {
      host: l1Host,
      certFile: l1Cert.certFile,
      keyFile: l1Cert.keyFile,
      clientCaFile: files.ca,
      responseFile: files.response,
      databaseUrl: b.databaseUrl,
      userId: b.userId,
    } satisfies L2Options);
    l2 = l2Server;
    const skipped: SkippedScenarios = {};
    const nginxScenario = scenarios.includes('nginx')
      ? await startNginxScenario({
          tmp,
          host: l1Host,
          certFile: l1Cert.certFile,
          keyFile: l1Cert.keyFile,
          clientCaFile: files.ca,
          caPem: credentials.caPem,
          responseFile: files.response,
          b,
        })
      : undefined;
    let nginxNote = 'nginx not selected';
    if (nginxScenario && 'skipped' in nginxScenario) {
      skipped.nginx = nginxScenario.skipped;
      nginxNote = `nginx SKIPPED: ${nginxScenario.skipped}`;
    } else if (nginxScenario) {
      nginx = nginxScenario;
      nginxNote = `nginx ${nginxScenario.version} (${nginxScenario.workerProcesses} worker) at ${nginxScenario.origin}`;
    }
    const running = scenarios.filter((scenario) => !skipped[scenario]);
    process.stdout.write(
      `setup ${Math.round(performance.now() - setupStarted)} ms: stack B pid ${b.pid} at ${origin}, ` +
        `L1 at https://${l1Host}:${l1Server.ready.port}, L2 at https://${l1Host}:${l2Server.ready.port}, ` +
        `${nginxNote}, List response ${response.byteLength} bytes\n\n`,
    );

    const base = {
      certFile: files.cert,
      keyFile: files.key,
      durationMs: mode.durationMs,
      warmupMs: mode.warmupMs,
    };
    const targets: Partial<Record<ScenarioId, Pick<LoadOptions, 'origin' | 'caFile'>>> = {
      l1: { origin: `https://${l1Host}:${l1Server.ready.port}`, caFile: l1Cert.certFile },
      l2: { origin: `https://${l1Host}:${l2Server.ready.port}`, caFile: l1Cert.certFile },
      ...(nginx ? { nginx: { origin: nginx.origin, caFile: l1Cert.certFile } } : {}),
      ours: { origin, caFile: files.ca },
    };
    // Every stand-in must answer A's request with the very bytes B answers before it is measured.
    const standInTls = {
      ca: await readFile(l1Cert.certFile, 'utf8'),
      cert: credentials.certPem,
      key: credentials.keyPem,
    };
    for (const scenario of running.filter((id) => id !== 'ours')) {
      const answer = await fetchOnce(targets[scenario]!.origin, standInTls);
      if (!answer.equals(response)) {
        throw new Error(`${scenario} answered ${answer.byteLength} bytes, not B's ${response.byteLength}`);
      }
    }
    // The processes whose CPU a request costs, per baseline; B's gateway is measured over IPC.
    const serverPids: Partial<Record<ScenarioId, number[]>> = {
      l1: [l1Server.pid],
      l2: [l2Server.pid],
      ...(nginx ? { nginx: nginx.pids } : {}),
    };
    const serverCpuMicros = (scenario: ScenarioId): number | undefined => {
      const pids = serverPids[scenario];
      return pids ? treeCpuMicros(pids) : undefined;
    };
    const stackBPids = b.pids;
    const accountPids = (scenario: ScenarioId): AccountPids =>
      scenario === 'ours'
        ? { server: [stackBPids.gateway], services: stackBPids.services }
        : { server: serverPids[scenario] ?? [] };
    const samples: RoundSample[] = [];
    const timeoutMs = mode.durationMs + mode.warmupMs + 30_000;
    for (let round = 1; round <= mode.rounds; round += 1) {
      for (const concurrency of mode.concurrencies) {
        for (const scenario of running) {
          const before = scenario === 'ours' ? await b.cpu({ resetPeak: true }) : undefined;
          const serverBefore = serverCpuMicros(scenario);
          const load = await runJson<LoadResult>(
            'load/load-generator.ts',
            {
              ...base,
              ...targets[scenario]!,
              concurrency,
              accountPids: accountPids(scenario),
            } satisfies LoadOptions,
            timeoutMs,
          );
          const after = before ? await b.cpu() : undefined;
          const serverAfter = serverCpuMicros(scenario);
          const sample: RoundSample = { round, scenario, concurrency, load };
          if (serverBefore !== undefined && serverAfter !== undefined && load.totalRequests > 0) {
            sample.serverCpuMsPerRequest = (serverAfter - serverBefore) / 1000 / load.totalRequests;
          }
          if (before && after && load.totalRequests > 0) {
            const perRequest = (micros: number) => micros / 1000 / load.totalRequests;
            sample.gatewayCpuMsPerRequest = perRequest(after.cpuMicros - before.cpuMicros);
            sample.serverCpuMsPerRequest = sample.gatewayCpuMsPerRequest;
            sample.servicesCpuMsPerRequest = perRequest(after.servicesCpuMicros - before.servicesCpuMicros);
            sample.gatewayPeakRssMb = Math.round(after.windowPeakRssKb / 1024);
          }
          samples.push(sample);
          process.stdout.write(
            `round ${round} ${scenario.padEnd(5)} c=${String(concurrency).padEnd(3)} ` +
              `${Math.round(load.throughputRps)} req/s p50 ${load.latency.p50Ms} ms p99 ${load.latency.p99Ms} ms` +
              `${load.errors > 0 ? ` ERRORS ${load.errors}: ${load.firstError}` : ''}\n`,
          );
        }
      }
    }

    const rows = aggregate(samples, skipped);
    const stackB = await b.cpu();
    if (rows.length > 0) process.stdout.write(`\n${table(rows, skipped)}\n`);
    const account = machineTable(rows);
    if (account) process.stdout.write(`\n${account}\n`);
    const phaseResults = await runPhases(phases, {
      mode: mode.name,
      a,
      b,
      federation: { origin, caFile: files.ca, certFile: files.cert, keyFile: files.key },
      peerHostname: peer!.peerHostname,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    const startedAt = new Date().toISOString();
    const report = {
      schema: 'mosaic-bench/v1',
      startedAt,
      mode,
      stackBFrom: from,
      machine,
      setup: { listResponseBytes: response.byteLength, tasks: 100, rateLimitRpm: 100_000 },
      cpuNote:
        'B runs in microservices mode: gatewayCpuMsPerRequest is the CPU time (user+system) of the gateway ' +
        'process alone, servicesCpuMsPerRequest that of the ca, grants and audit processes together, each ' +
        'divided by all requests served during the run, warm-up included; gatewayPeakRssMb is the gateway ' +
        'RSS sampled every 100 ms during the run; serverCpuMsPerRequest is the same figure for whatever ' +
        'answers each scenario (the L1 or L2 server process, nginx with its wrapper and the Node backend, ' +
        "B's gateway), so it has a ratio to L2's; load.machine (and rows[].machine, medians) is the whole " +
        "machine's CPU (user+nice+system+irq+softirq from /proc/stat), that of every postgres and " +
        'redis-server/valkey-server process and of the serving process trees (serverMs; for ours the ' +
        "gateway, and servicesMs B's ca+grants+audit) over the measured window, divided by the successful " +
        "requests completed in it, and the share of the window the hypervisor stole; L2's machine CPU ÷ a row's predicts " +
        'its req/s ÷ L2 when both cores are busy',
      gatewayUsage: stackB.gateway,
      servicesUsage: stackB.services,
      rows,
      skipped,
      samples,
      ...phaseResults.report,
    };
    const dir = path.join(repoRoot, 'bench-results');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${startedAt.replace(/[:.]/g, '-')}.json`);
    const json = `${JSON.stringify(report, null, 2)}\n`;
    await writeFile(file, json);
    await writeFile(path.join(dir, 'latest.json'), json);
    process.stdout.write(
      `\nresults: ${path.relative(process.cwd(), file)} (and bench-results/latest.json)\n`,
    );
    if (phaseResults.failures.length > 0) {
      throw new Error(`phases failed: ${phaseResults.failures.join('; ')}`);
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
