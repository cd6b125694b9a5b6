import { type Client, Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { isMosaicError, loadConfig, type MosaicConfig } from '@mosaic/platform';
import { Command, Errors, Flags, type Interfaces, ux } from '@oclif/core';
import { resolveAdminEndpoint, resolveAdminToken } from './gateway-endpoint.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof MosaicCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** How long an admin call may take before a spinner says the CLI is waiting for the gateway. */
const slowCallMs = 400;

/** Exit codes: 1 failure, 2 bad input or configuration, 3 a dependency or the gateway is unreachable. */
export const exitCodes = { failure: 1, usage: 2, unavailable: 3 } as const;

/** What every `mosaic` command shares: --json, where the gateway is, the admin token, the config file. */
export abstract class MosaicCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    endpoint: Flags.string({
      description:
        'Admin API of the gateway (default: what a local gateway advertises, else 127.0.0.1:8080).',
      env: 'MOSAIC_ENDPOINT',
      helpGroup: 'GLOBAL',
    }),
    token: Flags.string({
      description: 'Admin bearer token; prefer the MOSAIC_TOKEN variable (flags show up in process lists).',
      env: 'MOSAIC_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      description: 'Path of mosaic.config.json (default: ./mosaic.config.json when present).',
      env: 'MOSAIC_CONFIG',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  /** The parsed positional arguments of the command. */
  protected args!: CommandArgs<T>;

  override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof MosaicCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  private loadedConfig: MosaicConfig | undefined;

  protected config_(): MosaicConfig {
    this.loadedConfig ??= loadConfig(
      this.flags.config === undefined ? {} : { configPath: this.flags.config },
    );
    return this.loadedConfig;
  }

  protected adminEndpoint(): string {
    return resolveAdminEndpoint(this.config_(), this.flags.endpoint);
  }

  protected adminClient(): Client<typeof AdminService> {
    const token = resolveAdminToken(this.config_(), this.flags.token);
    const endpoint = this.adminEndpoint();
    return createClient(
      AdminService,
      createConnectTransport({
        baseUrl: endpoint,
        httpVersion: '1.1',
        defaultTimeoutMs: 15_000,
        interceptors: [
          (next) => async (request) => {
            if (token) request.header.set('authorization', `Bearer ${token}`);
            return next(request);
          },
          (next) => (request) =>
            this.spinWhileSlow(`Waiting for the gateway at ${endpoint}`, () => next(request)),
        ],
      }),
    );
  }

  /**
   * A call that is not answered within moments shows a spinner, when a person watches stderr and
   * no JSON is asked for, and no other spinner (a command's own, more specific one) already runs.
   */
  private async spinWhileSlow<R>(text: string, call: () => Promise<R>): Promise<R> {
    if (this.jsonEnabled() || process.stderr.isTTY !== true || ux.action.running) return call();
    let spinning = false;
    const timer = setTimeout(() => {
      if (ux.action.running) return;
      spinning = true;
      ux.action.start(text);
    }, slowCallMs);
    try {
      return await call();
    } finally {
      clearTimeout(timer);
      if (spinning) ux.action.stop();
    }
  }

  /**
   * The --json error object: name, message and exit code only. oclif's default spreads the whole
   * error, which for a parse error includes argv and every flag value (a --token, an enrollment URL).
   */
  protected override toErrorJson(error: unknown): {
    error: { name: string; message: string; oclif: { exit: number } };
  } {
    const failure = error instanceof Error ? error : new Error(String(error));
    const exit = (failure as { oclif?: { exit?: number } }).oclif?.exit ?? exitCodes.failure;
    return { error: { name: failure.name, message: failure.message, oclif: { exit } } };
  }

  /**
   * Turns every failure into one clear line with a remedy and the right exit code; under --json,
   * the same as a JSON error on stdout, and the process exits with that code.
   */
  protected override async catch(error: Error & { exitCode?: number; oclif?: unknown }): Promise<unknown> {
    if (error instanceof Errors.ExitError) return super.catch(error);
    const failure = this.failureOf(error);
    const exit = (failure as { oclif?: { exit?: number } }).oclif?.exit;
    if (exit !== undefined && this.jsonEnabled()) process.exitCode = exit;
    return super.catch(failure);
  }

  /** The error as the CLI reports it: one line with a remedy, and the exit code (CLIError). */
  protected failureOf(error: Error): Error {
    if (isMosaicError(error)) {
      return new Errors.CLIError(error.describe(), {
        exit: error.kind === 'unavailable' ? exitCodes.unavailable : exitCodes.usage,
      });
    }
    if (!(error instanceof ConnectError)) return error;
    // The gateway answered "unavailable" itself (a peer or a service behind it is down): its
    // message says what and how to fix it. Only a failure to reach the gateway is ours to explain.
    const answeredByGateway = error.details.length > 0 || error.rawMessage.includes('Remedy:');
    if (answeredByGateway && error.code === Code.Unavailable) {
      return new Errors.CLIError(error.rawMessage, { exit: exitCodes.unavailable });
    }
    if (
      !answeredByGateway &&
      (error.code === Code.Unavailable ||
        error.code === Code.DeadlineExceeded ||
        /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EPROTO|fetch failed/.test(error.rawMessage))
    ) {
      return new Errors.CLIError(
        `cannot reach the gateway admin API at ${this.adminEndpoint()} (${error.rawMessage}). Remedy: start the gateway (\`npm start\` or \`mosaic serve\`), or point --endpoint / MOSAIC_ENDPOINT at it.`,
        { exit: exitCodes.unavailable },
      );
    }
    return new Errors.CLIError(`${Code[error.code]}: ${error.rawMessage}`, { exit: exitCodes.failure });
  }
}
