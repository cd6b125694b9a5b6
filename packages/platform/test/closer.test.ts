import { Writable } from 'node:stream';
import { expect } from 'chai';
import { Closer } from '../src/lifecycle/closer.js';
import { createLogger } from '../src/log/logger.js';

/** A logger writing JSON lines into memory, so a test can read what was reported. */
function memoryLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: () => Array<Record<string, unknown>>;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return {
    logger: createLogger({ service: 'test', level: 'debug', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('Closer', function () {
  this.timeout(10_000);

  it('closes in reverse order of registration, once, and a second close returns the same promise', async () => {
    const closed: string[] = [];
    const closer = new Closer();
    for (const name of ['database', 'redis', 'server']) {
      closer.add(name, async () => {
        closed.push(name);
      });
    }
    const first = closer.close(1_000);
    const second = closer.close(1_000);
    expect(second).to.equal(first);
    await first;
    await closer.close(1_000);
    expect(closed).to.deep.equal(['server', 'redis', 'database']);
  });

  it('refuses to register a step once closing has begun', async () => {
    const closer = new Closer();
    await closer.close(1_000);
    expect(() => closer.add('late', () => {})).to.throw('cannot register late: already closing');
  });

  const failures: Array<{ name: string; step: () => Promise<void> | void }> = [
    {
      name: 'throws synchronously',
      step: () => {
        throw new Error('boom (sync)');
      },
    },
    {
      name: 'rejects',
      step: async () => {
        throw new Error('boom (async)');
      },
    },
  ];
  for (const tc of failures) {
    it(`keeps going when a step ${tc.name}, and logs which one failed`, async () => {
      const { logger, lines } = memoryLogger();
      const closed: string[] = [];
      const closer = new Closer(logger);
      closer.add('first', () => {
        closed.push('first');
      });
      closer.add('broken', tc.step);
      closer.add('last', () => {
        closed.push('last');
      });
      await closer.close(1_000);
      expect(closed).to.deep.equal(['last', 'first']);
      const failed = lines().filter((line) => line.msg === 'close failed');
      expect(failed.map((line) => line.step)).to.deep.equal(['broken']);
      expect(failed[0]!.level).to.equal('warn');
      expect((failed[0]!.err as { message: string }).message).to.match(/^boom/);
    });
  }

  it('abandons a step that exceeds the deadline, logs it, and still runs the steps after it', async () => {
    const { logger, lines } = memoryLogger();
    const closed: string[] = [];
    const closer = new Closer(logger);
    closer.add('first', () => {
      closed.push('first');
    });
    closer.add('hung', () => new Promise<void>(() => {}));
    closer.add('last', () => {
      closed.push('last');
    });
    // Mocha's timeout bounds this: a closer that waited for the hung step would never resolve.
    await closer.close(200);
    expect(closed).to.deep.equal(['last', 'first']);
    const abandoned = lines().filter((line) => line.msg === 'close deadline passed; abandoning');
    expect(abandoned.map((line) => line.step)).to.deep.equal(['hung']);
  });
});
