import type http from 'node:http';
import type http2 from 'node:http2';
import { createContextKey } from '@connectrpc/connect';

/**
 * Counts the body bytes of one response as they are written and tells its listeners once the
 * response is over (sent, or cut short). Interceptors that need the size of what went out (the
 * audit's bytes_out) read it here rather than encoding the response a second time.
 */
export class ResponseMeter {
  private bytes = 0;
  private listeners: Array<(bytesOut: number) => void> = [];
  private done = false;

  /** Body bytes handed to the connection. */
  add(bytes: number): void {
    this.bytes += bytes;
  }

  /** Calls `listener` with the body bytes written once the response is over (at once if it is). */
  onFinished(listener: (bytesOut: number) => void): void {
    if (this.done) listener(this.bytes);
    else this.listeners.push(listener);
  }

  /** The response is over: its listeners learn what it sent. Later calls change nothing. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    for (const listener of this.listeners) listener(this.bytes);
    this.listeners = [];
  }
}

/** A meter of what `response` writes (Node's HTTP/1.1 and HTTP/2 compatibility responses). */
export function meterNodeResponse(response: http.ServerResponse | http2.Http2ServerResponse): ResponseMeter {
  const meter = new ResponseMeter();
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => unknown;
  const count = (chunk: unknown) => {
    if (typeof chunk === 'string') meter.add(Buffer.byteLength(chunk));
    else if (chunk instanceof Uint8Array) meter.add(chunk.byteLength);
  };
  // Own properties shadow the prototype's methods for this one response only.
  (response as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
    count(chunk);
    return write(chunk, ...rest);
  };
  (response as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') count(chunk);
    return end(chunk, ...rest);
  };
  response.once('close', () => meter.finish());
  return meter;
}

/** The meter of the response a call is answered on; undefined outside a listener. */
export const responseMeterKey = createContextKey<ResponseMeter | undefined>(undefined, {
  description: 'response meter',
});
