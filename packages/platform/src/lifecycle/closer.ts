import type { Logger } from '../log/logger.js';

/**
 * Closes what a process opened, in reverse order of opening, once (the promise is memoised), within
 * a deadline: whatever has not closed by then is abandoned and reported.
 */
export class Closer {
  private readonly steps: Array<{ name: string; close: () => Promise<void> | void }> = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger?: Logger) {}

  add(name: string, close: () => Promise<void> | void): void {
    if (this.closing) throw new Error(`cannot register ${name}: already closing`);
    this.steps.push({ name, close });
  }

  close(deadlineMs: number): Promise<void> {
    this.closing ??= this.run(deadlineMs);
    return this.closing;
  }

  private async run(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (const step of [...this.steps].reverse()) {
      const left = Math.max(deadline - Date.now(), 1);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      });
      try {
        const outcome = await Promise.race([
          Promise.resolve(step.close()).then(() => 'closed' as const),
          timeout,
        ]);
        if (outcome === 'timeout')
          this.logger?.warn({ step: step.name }, 'close deadline passed; abandoning');
      } catch (error) {
        this.logger?.warn({ step: step.name, err: error }, 'close failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
