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
  logger: Logger;
}): ConnectStreamHandler {
  const router = createConnectRouter({
    interceptors: options.interceptors,
    acceptCompression: [compressionGzip, compressionBrotli],
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
    const request: UniversalServerRequest = {
      httpVersion: '2.0',
      method: headers[':method'] ?? '',
      url: `${options.scheme}://${headers[':authority'] ?? headers.host ?? 'localhost'}${path}`,
      header: webHeaders(headers),
      body: requestBody(stream),
      signal: abort.signal,
      contextValues: call.contextValues,
    };
    // A unary answer is one message: sent whole with the end of the stream, in one DATA frame.
    const oneMessage =
      handler.method.methodKind === 'unary' || handler.method.methodKind === 'client_streaming';
    handler(request)
      .then((response) => writeResponse(stream, response, { oneMessage, meter: call.meter }))
      .catch((error: unknown) => {
        if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
        // A peer that hung up mid-answer is not the server's failure.
        if (ConnectError.from(error).code === Code.Aborted || abort.signal.aborted) return;
        options.logger.error(
          { err: errorForLog(error), rpc: `${handler.service.typeName}/${handler.method.name}` },
          'answering an RPC over HTTP/2 failed',
        );
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

/**
 * The request body as Connect reads it: the stream's chunks as they arrive (Connect's own limit,
 * readMaxBytes, applies as it reads them). A stream that closes before its body ended fails the read.
 */
function requestBody(stream: http2.ServerHttp2Stream): AsyncIterable<Uint8Array> {
  const chunks: Buffer[] = [];
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    notify();
  });
  stream.once('end', () => {
    ended = true;
    notify();
  });
  stream.once('close', () => {
    if (!ended) failed ??= new ConnectError('the request stream closed before its body ended', Code.Aborted);
    notify();
  });
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Uint8Array>> {
        for (;;) {
          const chunk = chunks.shift();
          if (chunk) return { done: false, value: chunk };
          if (failed) throw failed;
          if (ended) return { done: true, value: undefined };
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
    }),
  };
}

/** Headers or trailers for `stream.respond` / `stream.sendTrailers`, from Connect's Headers. */
function nodeHeaders(headers: Headers | undefined, status?: number): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = status === undefined ? {} : { ':status': status };
  headers?.forEach((value, name) => {
    out[name] = value;
  });
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
    if (stream.destroyed) return;
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
      options.meter?.add(chunk.value.byteLength);
      if (!stream.write(chunk.value)) await drained(stream);
      if (stream.destroyed) return;
    }
    stream.end();
  } finally {
    await body?.return?.();
  }
}

/** Resolves once the stream can take more, or is gone. */
function drained(stream: http2.ServerHttp2Stream): Promise<void> {
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
