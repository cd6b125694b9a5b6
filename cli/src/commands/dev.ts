import { Command, Errors, Flags, ux } from '@oclif/core';
import { exitCodes } from '../base-command.js';
import { DevDir } from '../dev/dev-dir.js';
import { isDevError, isDevInterrupted } from '../dev/dev-error.js';
import { type DevJson, renderDevSummary } from '../dev/dev-summary.js';
import { mosaicInvocation } from '../dev/mosaic-invocation.js';
import { demoHosts, type Progress, TwoGatewayHarness } from '../dev/two-gateways.js';

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export default class Dev extends Command {
  static override summary =
    'Run a local two-gateway federation demo: B serves alice’s data, A is enrolled with it.';
  static override description = [
    `Starts gateway B (serving) on ${demoHosts.b} and gateway A (requesting) on ${demoHosts.a}, each \`mosaic serve --target=all --dev\` in its own process, in the embedded local tier with its own data dir (its own databases) and every listener on a free port. Seeds B through its admin API (users alice and bob, teams platform and finance, tasks, notes and memory for each, one credential for alice), then onboards a grant for alice through the real CLI flow: \`mosaic federation grant create\` on B, \`mosaic federation peer add\` on A.`,
    'It prints both admin API addresses and ready-to-paste commands, then runs until Ctrl-C or SIGTERM and stops both gateways. Without --dir the data lives in a fresh temp dir, removed at the end (unless --keep). With --dir it stays there, and a later run with the same --dir restarts both gateways on their data and skips what is already set up.',
    'Exit codes: 0 success, 1 a gateway or a step failed, 2 bad input (--dir), 3 the loopback addresses are not available, 130 interrupted during setup.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> dev',
    '<%= config.bin %> dev --dir ./demo',
    '<%= config.bin %> dev --setup-only --json --keep --dir /tmp/mosaic-demo',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    dir: Flags.string({
      description:
        'Folder for both gateways’ data (created if missing; reused when an earlier `mosaic dev` wrote it; never removed). Default: a fresh temp dir.',
    }),
    'setup-only': Flags.boolean({
      description: 'Set everything up, print the summary, stop both gateways and exit (tests, CI).',
      default: false,
    }),
    keep: Flags.boolean({
      description: 'Keep the temp dir when the demo stops (a --dir is always kept).',
      default: false,
    }),
  };

  async run(): Promise<DevJson | undefined> {
    const { flags } = await this.parse(Dev);
    const interrupt = new AbortController();
    let harness: TwoGatewayHarness | undefined;
    // A terminal's Ctrl-C may arrive twice (directly and forwarded by bin/run.js): the first one
    // counts; a gateway that does not stop is killed after 15 s anyway.
    const onSignal = (signal: NodeJS.Signals) => {
      if (!interrupt.signal.aborted) interrupt.abort(signal);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, onSignal);
    const progress = this.progress();
    let dir: DevDir | undefined;
    try {
      dir = await DevDir.open(flags.dir);
      harness = new TwoGatewayHarness({
        dir,
        invocation: mosaicInvocation(this.config.root),
        progress,
        interrupt: interrupt.signal,
      });
      const { view, reused } = await harness.setUp();
      const summary = (removedOnStop: boolean) =>
        renderDevSummary(view, {
          setupOnly: flags['setup-only'],
          reused,
          removedOnStop,
          logsDir: dir!.logsDir,
        });
      const removable = dir.temporary && !flags.keep;

      if (flags['setup-only']) {
        await this.stopAll(harness, progress);
        await dir.cleanUp(flags.keep);
        this.log(summary(removable));
        return view;
      }

      if (this.jsonEnabled()) this.logJson(view);
      else this.log(summary(removable));
      const stopping = new Promise<void>((resolve) => {
        if (interrupt.signal.aborted) resolve();
        else interrupt.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([stopping, harness.failure()]);
      await this.stopAll(harness, progress);
      if (await dir.cleanUp(flags.keep)) this.logToStderr(`Removed ${dir.root}.`);
      return undefined;
    } catch (error) {
      progress.stop('failed');
      const forced = await harness?.stop().catch(() => []);
      const removed = await dir?.cleanUp(flags.keep).catch(() => false);
      throw this.failure(error, { forced: forced ?? [], removedDir: removed ? dir!.root : undefined });
    } finally {
      for (const signal of signals) process.off(signal, onSignal);
    }
  }

  /** The --json error object: name, message and exit code only (as every `mosaic` command). */
  protected override toErrorJson(error: unknown): {
    error: { name: string; message: string; oclif: { exit: number } };
  } {
    const failure = error instanceof Error ? error : new Error(String(error));
    const exit = (failure as { oclif?: { exit?: number } }).oclif?.exit ?? exitCodes.failure;
    return { error: { name: failure.name, message: failure.message, oclif: { exit } } };
  }

  private async stopAll(harness: TwoGatewayHarness, progress: Progress): Promise<void> {
    progress.start('Stopping both gateways');
    const forced = await harness.stop();
    progress.stop(forced.length === 0 ? 'done' : `killed ${forced.join(', ')} after 15 s`);
  }

  /** Any failure as one CLIError with its remedy and exit code; under --json oclif prints it as JSON. */
  private failure(error: unknown, after: { forced: string[]; removedDir: string | undefined }): Error {
    let message: string;
    let exit: number;
    if (isDevInterrupted(error)) {
      message = `interrupted (${error.signal}) during setup; both gateways are stopped.`;
      exit = 128 + (signalNumbers[error.signal] ?? 2);
    } else if (isDevError(error)) {
      message = error.describe();
      exit = error.exit;
    } else if (error instanceof Errors.CLIError) {
      return error;
    } else {
      message = `mosaic dev failed: ${error instanceof Error ? error.message : String(error)}`;
      exit = exitCodes.failure;
    }
    const notes = [
      ...(after.forced.length > 0
        ? [`Gateway ${after.forced.join(', ')} did not stop within 15 s and was killed.`]
        : []),
      ...(after.removedDir
        ? [`The temp dir ${after.removedDir} was removed (keep it and its logs with --keep).`]
        : []),
    ];
    if (notes.length > 0) message = `${message}\n${notes.join('\n')}`;
    if (this.jsonEnabled()) process.exitCode = exit;
    return new Errors.CLIError(message, { exit });
  }

  /** Spinners on stderr while waiting (plain lines when stderr is not a terminal); none under --json. */
  private progress(): Progress {
    const active = !this.jsonEnabled();
    let running = false;
    return {
      start(text) {
        if (!active) return;
        if (running) ux.action.stop();
        ux.action.start(text);
        running = true;
      },
      stop(outcome) {
        if (!active || !running) return;
        ux.action.stop(outcome);
        running = false;
      },
    };
  }
}
