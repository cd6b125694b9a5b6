export interface CheckResult {
  name: string;
  ok: boolean;
  latencyMs: number;
  detail: string;
}

export type ReadinessCheck = () => Promise<CheckResult>;

/** Runs one named probe with a deadline; a hung dependency reads as not ready, never as a hang. */
export function timedCheck(name: string, timeoutMs: number, probe: () => Promise<unknown>): ReadinessCheck {
  return async () => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { name, ok: true, latencyMs: Math.round(performance.now() - started), detail: 'ok' };
    } catch (error) {
      return {
        name,
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        detail: String((error as Error).message ?? error).split('\n')[0] ?? 'failed',
      };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Readiness of one service (a name such as `mosaic.federation.v1.CaService`) from its dependency
 * checks. While shutting down a service reports not ready so orchestrators stop routing to it.
 */
export class ServiceHealth {
  private shuttingDown = false;

  constructor(
    readonly name: string,
    private readonly checks: ReadinessCheck[],
  ) {}

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async check(): Promise<{ ready: boolean; checks: CheckResult[] }> {
    const checks = await Promise.all(this.checks.map((run) => run()));
    return { ready: !this.shuttingDown && checks.every((check) => check.ok), checks };
  }
}
