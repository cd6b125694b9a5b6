import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../src/log/logger.js';
import { logErrorEvents } from '../src/redis/redis-client.js';

describe('queue error events in the log (logErrorEvents)', () => {
  it('logs the first at once, holds back the rest of a burst, then logs the latest with their count', async () => {
    const lines: Array<{ msg: string; queue?: string; alsoFailed?: number; err?: { message: string } }> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const emitter = new EventEmitter();
    logErrorEvents(emitter, { queue: 'audit' }, createLogger({ service: 'test', destination }), 200);

    for (let attempt = 1; attempt <= 5; attempt += 1) emitter.emit('error', new Error(`attempt ${attempt}`));
    expect(lines.map((line) => [line.err?.message, line.alsoFailed])).to.deep.equal([
      ['attempt 1', undefined],
    ]);

    // The burst stopped: what was held back still reaches the log once the interval is up.
    const deadline = Date.now() + 5_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.map((line) => [line.err?.message, line.alsoFailed])).to.deep.equal([
      ['attempt 1', undefined],
      ['attempt 5', 3],
    ]);
    expect(lines.every((line) => line.msg === 'queue error (BullMQ)' && line.queue === 'audit')).to.equal(
      true,
    );

    // A later error, once an interval has passed since the last line, is logged at once again.
    await new Promise((resolve) => setTimeout(resolve, 250));
    emitter.emit('error', new Error('later'));
    expect(lines.at(-1)?.err?.message).to.equal('later');
    expect(lines).to.have.length(3);
  });
});
