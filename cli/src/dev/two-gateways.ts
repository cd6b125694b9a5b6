import path from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { type CliStep, runCliStep } from './cli-step.js';
import { devAdminClient } from './dev-admin-client.js';
import type { DevDir } from './dev-dir.js';
import { DevError, DevInterrupted } from './dev-error.js';
import type { DevGateway, DevSteps } from './dev-gateway.js';
import type { DevJson } from './dev-summary.js';
import { federationPortOf } from './federation-port.js';
import { GatewayProcess, type GatewaySpec } from './gateway-process.js';
import { assertCanListen } from './loopback.js';
import { childEnv, type MosaicInvocation } from './mosaic-invocation.js';
import { onboardGrant } from './onboard.js';
import { seedServingGateway } from './seed.js';

/** The loopback addresses of the demo: A requests, B serves. */
export const demoHosts = { a: '127.0.0.2', b: '127.0.0.3' } as const;

/** Shows what the setup waits on (a spinner on a terminal); `stop` ends the current wait. */
export interface Progress {
  start(text: string): void;
  stop(outcome?: string): void;
}

export interface TwoGatewayOptions {
  dir: DevDir;
  invocation: MosaicInvocation;
  progress: Progress;
  /** Aborted by Ctrl-C / SIGTERM: the setup stops at once with DevInterrupted. */
  interrupt: AbortSignal;
  /** How long each gateway may take to come up. */
  upTimeoutMs?: number;
}

export interface SetUpResult {
  view: DevJson;
  /** Everything already existed (a reused --dir): nothing was created or enrolled. */
  reused: boolean;
}

/**
 * The two-gateway demo: B (serving) on 127.0.0.3 and A (requesting) on 127.0.0.2, each
 * `mosaic serve --target=all` in its own child process and data dir; B seeded through its admin
 * API, A enrolled with a grant of B through the real CLI flow. Every step fails fast when a
 * gateway exits or the operator interrupts; `stop()` ends both gateways whatever state they are in.
 */
export class TwoGatewayHarness {
  private readonly options: TwoGatewayOptions;
  private readonly processes: GatewayProcess[] = [];
  private readonly interrupted: Promise<never>;

  constructor(options: TwoGatewayOptions) {
    this.options = options;
    this.interrupted = new Promise<never>((_, reject) => {
      const fail = () => {
        // The terminal's Ctrl-C reaches the gateways too: their exit is expected from now on.
        for (const gateway of this.processes) gateway.expectExit();
        reject(new DevInterrupted(signalName(options.interrupt.reason)));
      };
      if (options.interrupt.aborted) fail();
      else options.interrupt.addEventListener('abort', fail, { once: true });
    });
    this.interrupted.catch(() => {});
  }

  async setUp(): Promise<SetUpResult> {
    const { dir, progress } = this.options;
    await dir.prepare();
    const hosts = [demoHosts.b, demoHosts.a];
    for (const host of hosts) await assertCanListen(host, hosts);

    const specs: Record<'a' | 'b', GatewaySpec> = {
      b: {
        name: 'B',
        host: demoHosts.b,
        dataDir: dir.dataDirB,
        federationPort: await federationPortOf(dir.dataDirB, demoHosts.b),
        logFile: path.join(dir.logsDir, 'b.log'),
      },
      a: {
        name: 'A',
        host: demoHosts.a,
        dataDir: dir.dataDirA,
        federationPort: await federationPortOf(dir.dataDirA, demoHosts.a),
        logFile: path.join(dir.logsDir, 'a.log'),
      },
    };
    progress.start(`Starting gateway B (${demoHosts.b}) and gateway A (${demoHosts.a})`);
    const b = this.spawn(specs.b);
    const a = this.spawn(specs.a);
    const upTimeoutMs = this.options.upTimeoutMs ?? 120_000;
    const [bUp, aUp] = await this.guard(Promise.all([b.up(upTimeoutMs), a.up(upTimeoutMs)]));
    const gatewayB = await this.gateway(specs.b, bUp.adminUrl);
    const gatewayA = await this.gateway(specs.a, aUp.adminUrl);
    progress.stop();

    const steps: DevSteps = {
      cli: <T>(gateway: DevGateway, step: CliStep) => this.guard(runCliStep<T>(step, gateway.cli)),
      rpc: <T>(gateway: DevGateway, work: Promise<T>) => this.guard(rpcFailure(gateway, work)),
    };
    progress.start(
      dir.reused
        ? 'Checking the seed data on B (an earlier run in this dir); adding what is missing'
        : 'Seeding B: users alice and bob, teams platform and finance, their items',
    );
    const seeded = await seedServingGateway(gatewayB, steps, dir);
    progress.stop();

    progress.start(`Onboarding alice's grant: grant create on B, peer add on A`);
    const onboarded = await onboardGrant({
      a: gatewayA,
      b: gatewayB,
      subjectUserId: seeded.users.alice,
      subjectName: 'alice',
      steps,
      dir,
    });
    progress.stop();

    const createdNothing = Object.values(seeded.created).every((count) => count === 0);
    return {
      reused: createdNothing && onboarded.reused,
      view: {
        version: 1,
        dir: dir.root,
        a: { host: demoHosts.a, adminUrl: gatewayA.adminUrl, dataDir: dir.dataDirA },
        b: { host: demoHosts.b, adminUrl: gatewayB.adminUrl, dataDir: dir.dataDirB },
        users: seeded.users,
        teams: seeded.teams,
        grantId: onboarded.grantId,
        peerId: onboarded.peerId,
      },
    };
  }

  /** Rejects with a DevError as soon as either gateway exits without being asked to. */
  failure(): Promise<never> {
    return Promise.race(this.processes.map((gateway) => gateway.unexpectedExit));
  }

  /**
   * Stops both gateways (SIGTERM, SIGKILL after 15 s) and names those that had to be killed.
   * Idempotent.
   */
  async stop(): Promise<string[]> {
    const outcomes = await Promise.all(
      this.processes.map(async (gateway) => ({ gateway, ...(await gateway.stop()) })),
    );
    return outcomes
      .filter((outcome) => outcome.forced)
      .map(({ gateway }) => `${gateway.spec.name} (pid ${gateway.pid})`);
  }

  private spawn(spec: GatewaySpec): GatewayProcess {
    const gateway = new GatewayProcess(spec, this.options.invocation);
    this.processes.push(gateway);
    if (this.options.interrupt.aborted) gateway.expectExit();
    return gateway;
  }

  private async gateway(spec: GatewaySpec, adminUrl: string): Promise<DevGateway> {
    return {
      spec,
      adminUrl,
      admin: await devAdminClient(adminUrl, spec.dataDir),
      cli: {
        invocation: this.options.invocation,
        // The CLI finds the gateway's local admin token through its data dir, as on the gateway host.
        env: childEnv({ MOSAIC_ENDPOINT: adminUrl, MOSAIC_DATA_DIR: spec.dataDir }),
        cwd: this.options.dir.root,
        gateway: `${spec.name} (${spec.host})`,
        signal: this.options.interrupt,
      },
    };
  }

  /** The work, unless a gateway exits or the operator interrupts first. */
  private guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.interrupted, ...this.processes.map((gateway) => gateway.unexpectedExit)]);
  }
}

/** An admin API refusal or an unreachable gateway as a DevError naming the gateway. */
async function rpcFailure<T>(gateway: DevGateway, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const failure = ConnectError.from(error);
    throw new DevError({
      message: `the admin API of gateway ${gateway.spec.name} at ${gateway.adminUrl} answered ${Code[failure.code]}: ${failure.rawMessage}`,
      remedy: `read the gateway's log (${gateway.spec.logFile}); if the message names a remedy, follow it, then run \`mosaic dev\` again.`,
    });
  }
}

function signalName(reason: unknown): NodeJS.Signals {
  return reason === 'SIGTERM' || reason === 'SIGHUP' ? reason : 'SIGINT';
}
