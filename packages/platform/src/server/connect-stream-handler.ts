import http2 from 'node:http2';
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
  type Interceptor,
} from '@connectrpc/connect';
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from '@connectrpc/connect/protocol';
import { compressionBrotli, compressionGzip } from '@connectrpc/connect-node';
import { errorForLog } from '../log/error-for-log.js';
import type { Logger } from '../log/logger.js';
import type { ResponseMeter } from './response-meter.js';

/** Serves one HTTP/2 stream: the call's context values, and the meter of its answer if one is kept. */
export type ConnectStreamHandler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  call: { contextValues: ContextValues; meter?: ResponseMeter },
) => void;

const {
  NGHTTP2_CANCEL,
  NGHTTP2_REFUSED_STREAM,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_INADEQUATE_SECURITY,
  NGHTTP2_HTTP_1_1_REQUIRED,
  NGHTTP2_INTERNAL_ERROR,
  NGHTTP2_NO_ERROR,
  NGHTTP2_STREAM_CLOSED,
} = http2.constants;

/**
 * Why a call's signal fires when its stream closed without an error code (the answer was sent, or
 * the connection went away). One shared reason: an abort without one makes Node build a
 * DOMException with a stack trace, a measurable share of a federation call (BENCHMARKS.md).
 */
const streamClosed = new ConnectError('the HTTP/2 stream of the call closed', Code.Canceled);

/** The reason a reset stream gives its call, by RST_STREAM code (as connect-node maps them). */
function closeReason(rstCode: number): ConnectError {
  if (rstCode === NGHTTP2_NO_ERROR || rstCode === NGHTTP2_STREAM_CLOSED) return streamClosed;
  const message = `the HTTP/2 stream was reset with code 0x${rstCode.toString(16)}`;
  switch (rstCode) {
    case NGHTTP2_CANCEL:
      return new ConnectError(message, Code.Canceled);
    case NGHTTP2_REFUSED_STREAM:
      return new ConnectError(message, Code.Unavailable);
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return new ConnectError(message, Code.ResourceExhausted);
    case NGHTTP2_INADEQUATE_SECURITY:
    case NGHTTP2_HTTP_1_1_REQUIRED:
      return new ConnectError(message, Code.PermissionDenied);
    default:
      return new ConnectError(message, Code.Internal);
  }
}

/**
 * Connect, gRPC and gRPC-Web calls served straight from HTTP/2 streams (Node's core API), for
 * listeners that answer nothing but RPCs. The same router, interceptors and protocol handlers as
 * `connectNodeAdapter`, without what sits between them and the stream: Node's HTTP/2
 * compatibility layer (a request and a response object per call, the body read through a
 * Readable's async iterator) and connect-node's conversion of those objects (the URL parsed, a
 * Promise and two listeners per written chunk, a DOMException per call). That layering was about a
 * fifth of the gateway's CPU per federation List.
 */
export function connectStreamHandler(options: {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  /** `https` on a TLS listener: the scheme of the URL handlers see. */
  scheme: 'http' | 'https';
  /** Connect's limit on a request message, in bytes. */
  readMaxBytes?: number;
  logger: Logger;
}): ConnectStreamHandler {
  const router = createConnectRouter({
    interceptors: options.interceptors,
    acceptCompression: [compressionGzip, compressionBrotli],
    ...(options.readMaxBytes ? { readMaxBytes: options.readMaxBytes } : {}),
  });
  options.routes(router);
  const handlers = new Map<string, UniversalHandler>(
    router.handlers.map((handler) => [handler.requestPath, handler]),
  );

  return (stream, headers, call) => {
    // A reset or a write after the peer went away surfaces as an 'error' on the stream; without a
    // listener it would end the process. The call learns of it through its signal.
    stream.on('error', (error) => options.logger.debug({ err: errorForLog(error) }, 'http/2 stream error'));
    const path = headers[':path'] ?? '';
    const query = path.indexOf('?');
    const handler = handlers.get(query < 0 ? path : path.slice(0, query));
    if (!handler) {
      if (!stream.destroyed) {
        stream.respond({ ':status': 404 });
        stream.end();
      }
      return;
    }
    const abort = new AbortController();
    stream.once('close', () => abort.abort(closeReason(stream.rstCode ?? NGHTTP2_NO_ERROR)));
    const body = new RequestBody(stream);
    const request: UniversalServerRequest = {
      httpVersion: '2.0',
      method: headers[':method'] ?? '',
      url: `${options.scheme}://${headers[':authority'] ?? headers.host ?? 'localhost'}${path}`,
      header: webHeaders(headers),
      body,
      signal: abort.signal,
      contextValues: call.contextValues,
    };
    // A unary answer is one message: sent whole with the end of the stream, in one DATA frame.
    const oneMessage =
      handler.method.methodKind === 'unary' || handler.method.methodKind === 'client_streaming';
    handler(request)
      .then(async (response) => {
        await writeResponse(stream, response, { oneMessage, meter: call.meter });
        // Answered before the whole request was read (a refused content type, a message over
        // readMaxBytes): the rest is not wanted.
        body.discardRest();
      })
      .catch((error: unknown) => {
        if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
        // A peer that hung up mid-answer is not the server's failure.
        if (ConnectError.from(error).code === Code.Aborted || abort.signal.aborted) return;
        const rpc = `${handler.service.typeName}/${handler.method.name}`;
        // A request Connect cannot even read (an :authority no URL can hold) is the client's fault.
        if ((error as { code?: unknown }).code === 'ERR_INVALID_URL') {
          options.logger.warn({ rpc }, 'HTTP/2 request refused: its :authority and :path make no URL');
          return;
        }
        options.logger.error({ err: errorForLog(error), rpc }, 'answering an RPC over HTTP/2 failed');
      });
  };
}

/** The request's headers as Connect reads them (pseudo-headers left out). */
function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const name of Object.keys(headers)) {
    if (name.startsWith(':')) continue;
    const value = headers[name];
    if (typeof value === 'string') header.append(name, value);
    else if (Array.isArray(value)) for (const each of value) header.append(name, each);
    else if (value !== undefined) header.append(name, String(value));
  }
  return header;
}

/** Request bytes queued ahead of Connect's reading at most; the stream pauses (and HTTP/2 flow control holds the client) beyond. */
const bodyHighWaterBytes = 64 * 1024;

/** Request bytes thrown away after the answer at most, before the stream is reset. */
const discardMaxBytes = 1024 * 1024;
/** How long a client may go on sending a request already answered before its stream is reset. */
const discardGraceMs = 1_000;

/**
 * The request body as Connect reads it: the stream's chunks as they arrive (Connect's own limit,
 * readMaxBytes, applies as it reads them). Nothing is read until Connect asks, and reading pauses
 * while more than `bodyHighWaterBytes` wait, so a client cannot push more than that past the
 * window HTTP/2 flow control gives it. A stream that closes before its body ended fails the read.
 */
class RequestBody implements AsyncIterable<Uint8Array> {
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private reading = false;
  private discarded: number | undefined;
  private failed: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly stream: http2.ServerHttp2Stream) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.next() };
  }

  /**
   * The answer is out, so whatever of the request is still coming is not wanted. A body never read
   * is left to Node, which closes the stream once the answer ends (flow control holds the client
   * meanwhile). One read in part is read on and thrown away, so the stream can end as HTTP/2
   * expects; a client that sends more than `discardMaxBytes` of it, or is still sending after
   * `discardGraceMs`, has the stream reset (RFC 9113 §8.1: NO_ERROR after a complete answer; the
   * grace lets the answer's trailers leave first).
   */
  discardRest(): void {
    const { stream } = this;
    if (!this.reading || stream.destroyed || stream.readableEnded) return;
    this.discarded = 0;
    this.chunks.length = 0;
    this.queued = 0;
    stream.resume();
    const timer = setTimeout(() => {
      if (!stream.destroyed) stream.close(NGHTTP2_NO_ERROR);
    }, discardGraceMs);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
  }

  private async next(): Promise<IteratorResult<Uint8Array>> {
    if (!this.reading) this.start();
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.queued -= chunk.byteLength;
        if (this.queued <= bodyHighWaterBytes && this.stream.isPaused()) this.stream.resume();
        return { done: false, value: chunk };
      }
      if (this.failed) throw this.failed;
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private start(): void {
    const { stream } = this;
    this.reading = true;
    if (stream.destroyed && !stream.readableEnded) this.fail();
    stream.on('data', (chunk: Buffer) => {
      if (this.discarded !== undefined) {
        this.discarded += chunk.byteLength;
        if (this.discarded > discardMaxBytes) stream.close(NGHTTP2_CANCEL);
        return;
      }
      this.chunks.push(chunk);
      this.queued += chunk.byteLength;
      if (this.queued > bodyHighWaterBytes) stream.pause();
      this.notify();
    });
    stream.once('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.once('close', () => {
      if (!this.ended) this.fail();
      this.notify();
    });
  }

  private fail(): void {
    this.failed ??= new ConnectError('the request stream closed before its body ended', Code.Aborted);
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = undefined;
    waiting?.();
  }
}

/** Headers or trailers for `stream.respond` / `stream.sendTrailers`, from Connect's Headers. */
function nodeHeaders(headers: Headers | undefined, status?: number): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = status === undefined ? {} : { ':status': status };
  headers?.forEach((value, name) => {
    out[name] = value;
  });
  // The one header whose values may not be joined with commas.
  const cookies = headers?.getSetCookie() ?? [];
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

/**
 * Writes Connect's answer to the stream: headers once the first message is there (the handler may
 * set headers until then), the body with backpressure, then trailers when the protocol has them
 * (gRPC). `oneMessage`: the body is gathered first and sent with the end of the stream.
 */
async function writeResponse(
  stream: http2.ServerHttp2Stream,
  response: UniversalServerResponse,
  options: { oneMessage: boolean; meter: ResponseMeter | undefined },
): Promise<void> {
  const body = response.body?.[Symbol.asyncIterator]();
  try {
    let chunk = body ? await body.next() : undefined;
    const pending: Uint8Array[] = [];
    if (options.oneMessage && body) {
      for (; chunk && !chunk.done; chunk = await body.next()) pending.push(chunk.value);
    }
    if (gone(stream)) return;
    const trailer = response.trailer;
    stream.respond(nodeHeaders(response.header, response.status), { waitForTrailers: trailer !== undefined });
    if (trailer) stream.once('wantTrailers', () => stream.sendTrailers(nodeHeaders(trailer)));
    if (options.oneMessage) {
      const whole = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      options.meter?.add(whole.byteLength);
      stream.end(whole);
      return;
    }
    for (; chunk && !chunk.done; chunk = await body!.next()) {
      // The client left: stop taking messages; returning the body ends the handler (its finally runs).
      if (gone(stream)) return;
      options.meter?.add(chunk.value.byteLength);
      if (!stream.write(chunk.value)) await drained(stream);
    }
    if (!gone(stream)) stream.end();
  } finally {
    await body?.return?.();
  }
}

function gone(stream: http2.ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed;
}

/** Resolves once the stream can take more, or is gone (at once if it already is). */
function drained(stream: http2.ServerHttp2Stream): Promise<void> {
  if (gone(stream)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
