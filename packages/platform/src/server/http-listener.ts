import { randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import {
  type ConnectRouter,
  type ContextValues,
  createContextKey,
  createContextValues,
  type Interceptor,
} from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { ListenAddress } from '../config/config-types.js';
import { formatListenAddress } from '../config/listen-address.js';
import { errorForLog } from '../log/error-for-log.js';
import type { Logger } from '../log/logger.js';
import { connectStreamHandler } from './connect-stream-handler.js';
import { meterNodeResponse, ResponseMeter, responseMeterKey } from './response-meter.js';

export type PlainHandler = (
  request: http.IncomingMessage | http2.Http2ServerRequest,
  response: http.ServerResponse | http2.Http2ServerResponse,
) => boolean | Promise<boolean>;

export interface HttpListenerOptions {
  name: string;
  address: ListenAddress;
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  /** Non-RPC paths (health, metrics, console); returns true when it answered. */
  plain?: PlainHandler;
  /**
   * Serve TLS (HTTP/2 with HTTP/1.1 fallback) instead of cleartext. `insecure` answers the few
   * public, integrity-checked paths that may also be fetched without TLS on the same port (a
   * peer's first contact: the CA bundle it checks against a pinned fingerprint, the CRL).
   */
  tls?: { secure: http2.SecureServerOptions; insecure?: PlainHandler };
  /** Values handlers see in their context, read from the call's connection (default: the remote address). */
  contextValues?: (origin: CallOrigin) => ContextValues;
  /**
   * The largest request message a call may send, in bytes (Connect's readMaxBytes; its default is
   * 4 GiB). Larger ones are refused with resource_exhausted before they are buffered whole.
   */
  readMaxBytes?: number;
  /** Count each response's body bytes for interceptors (`responseMeterKey`); off where nothing reads them. */
  meterResponses?: boolean;
  logger: Logger;
}

export interface RunningListener {
  readonly name: string;
  readonly address: ListenAddress;
  /** http://host:port with the bound port (useful when port 0 was asked for). */
  readonly url: string;
  /** Calls being served right now. */
  inFlight(): number;
  /** Replaces key, certificate, CA or CRL of a TLS listener for new handshakes. */
  setSecureContext(options: http2.SecureServerOptions): void;
  /** New TLS session-ticket keys: tickets issued before cannot resume a session. */
  rotateTicketKeys(): void;
  /** Stops accepting, lets in-flight calls finish, then ends connections; hard-closes at the deadline. */
  close(deadlineMs: number): Promise<void>;
}

/** The connection a call came in on. */
export interface CallOrigin {
  /** Its socket: a TLSSocket on a TLS listener (under HTTP/2, the session's view of it). */
  socket: net.Socket;
  /**
   * What stands for the connection in per-connection caches: the HTTP/2 session (every call of
   * which shares the socket), or the socket itself under HTTP/1.1.
   */
  connection: object;
}

const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n');
/** HTTP/2 streams open at once per connection, at most (as Go's and nginx's defaults, roughly). */
const maxStreamsPerConnection = 256;
/** How long a new connection may wait before its first byte. */
const firstByteTimeoutMs = 10_000;

/** The peer address of the connection a call came in on (for per-source limits and logs). */
export const remoteAddressKey = createContextKey<string>('unknown', { description: 'remote address' });

/**
 * One port serving Connect, gRPC and gRPC-Web over HTTP/2 and HTTP/1.1 alike: with TLS, ALPN picks
 * the protocol of each connection; in cleartext (h2c, prior knowledge) its first bytes do, since
 * Node's h2c server cannot fall back to HTTP/1.1. A listener without plain handlers serves its
 * HTTP/2 calls straight from the streams (connect-stream-handler.ts); one with them goes through
 * Node's compatibility layer, which the plain handlers need.
 */
export async function startHttpListener(options: HttpListenerOptions): Promise<RunningListener> {
  let inFlight = 0;
  let draining = false;
  const drained = new Set<() => void>();
  const callStarted = (ended: { once(event: 'close', listener: () => void): unknown }) => {
    inFlight += 1;
    ended.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) for (const resolve of drained) resolve();
    });
  };
  const meters = new WeakMap<object, ResponseMeter>();
  const baseValues =
    options.contextValues ??
    ((origin: CallOrigin) =>
      createContextValues().set(remoteAddressKey, origin.socket.remoteAddress ?? 'unknown'));
  const originOf = (request: http.IncomingMessage | http2.Http2ServerRequest): CallOrigin => ({
    socket: request.socket,
    connection: ('stream' in request ? request.stream.session : undefined) ?? request.socket,
  });
  const connect = connectNodeAdapter({
    routes: options.routes,
    interceptors: options.interceptors,
    ...(options.readMaxBytes ? { readMaxBytes: options.readMaxBytes } : {}),
    contextValues: options.meterResponses
      ? (request) => baseValues(originOf(request)).set(responseMeterKey, meters.get(request))
      : (request) => baseValues(originOf(request)),
  });

  const handle = async (
    request: http.IncomingMessage | http2.Http2ServerRequest,
    response: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    callStarted(response);
    if (draining && 'setHeader' in response && response instanceof http.ServerResponse) {
      response.setHeader('connection', 'close');
    }
    try {
      if (options.plain && (await options.plain(request, response))) return;
      if (options.meterResponses) meters.set(request, meterNodeResponse(response));
      connect(request, response);
    } catch (error) {
      options.logger.error({ err: error, listener: options.name }, 'request handler failed');
      if (!response.headersSent) {
        response.statusCode = 500;
        response.end();
      }
    }
  };

  const h1 = http.createServer(handle);
  h1.keepAliveTimeout = 5000;
  // Streams one connection may have open at once (Node's default is 2^32 - 1): what a refused or
  // slow call holds is bounded per connection.
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: maxStreamsPerConnection } });
  if (options.plain) {
    h2.on('request', handle);
  } else {
    const serveStream = connectStreamHandler({
      routes: options.routes,
      interceptors: options.interceptors,
      ...(options.readMaxBytes ? { readMaxBytes: options.readMaxBytes } : {}),
      scheme: options.tls ? 'https' : 'http',
      logger: options.logger,
    });
    h2.on('stream', (stream, headers) => {
      callStarted(stream);
      try {
        // A stream's session is set until the stream closes, and the stream was just opened.
        const session = stream.session!;
        const contextValues = baseValues({ socket: session.socket as net.Socket, connection: session });
        const meter = options.meterResponses ? new ResponseMeter() : undefined;
        if (meter) {
          contextValues.set(responseMeterKey, meter);
          stream.once('close', () => meter.finish());
        }
        serveStream(stream, headers, { contextValues, ...(meter ? { meter } : {}) });
      } catch (error) {
        options.logger.error({ err: error, listener: options.name }, 'request handler failed');
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
    });
  }
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  const sockets = new Set<net.Socket>();
  // TLS: HTTP/2 when the client offers it (ALPN), HTTP/1.1 otherwise, each to the server above.
  const secure = options.tls
    ? tls.createServer({ ...options.tls.secure, ALPNProtocols: ['h2', 'http/1.1'] })
    : undefined;
  secure?.on('secureConnection', (socket: tls.TLSSocket) => {
    // A connection's client certificate is fixed once the handshake is done (HTTP/2 forbids
    // renegotiation; this closes it for HTTP/1.1 too), so callers may read a peer's identity once
    // per connection.
    socket.disableRenegotiation();
    if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else h1.emit('connection', socket);
  });
  // Cleartext on a TLS port: only the insecure public paths, everything else is told to use TLS.
  const insecure = http.createServer(async (request, response) => {
    try {
      if (options.tls?.insecure && (await options.tls.insecure(request, response))) return;
    } catch (error) {
      options.logger.error({ err: error, listener: options.name }, 'request handler failed');
    }
    if (!response.headersSent) {
      response.statusCode = 400;
      response.setHeader('content-type', 'text/plain');
      response.end('This port speaks TLS: use https://.\n');
    }
  });
  insecure.keepAliveTimeout = 5000;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Until a server takes the socket over nothing else listens for its errors, and an error
    // without a listener ends the process: a client that connects and resets must not.
    socket.on('error', (error) =>
      options.logger.debug({ err: errorForLog(error), listener: options.name }, 'connection error'),
    );
    // A connection that never says which protocol it speaks is not kept open.
    const silent = () => socket.destroy();
    socket.setTimeout(firstByteTimeoutMs, silent);
    socket.once('data', (head: Buffer) => {
      socket.setTimeout(0);
      socket.off('timeout', silent);
      socket.pause();
      socket.unshift(head);
      if (secure) {
        // A TLS ClientHello starts with the handshake record type 0x16.
        if (head[0] === 0x16) secure.emit('connection', socket);
        else {
          insecure.emit('connection', socket);
          socket.resume();
        }
        return;
      }
      const probe = head.subarray(0, http2Preface.length);
      const isHttp2 = http2Preface.subarray(0, probe.length).equals(probe);
      // The HTTP/2 session reads the socket natively and takes over the unshifted bytes; the
      // HTTP/1.1 parser reads through the stream, which must flow again.
      if (isHttp2) {
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.address.port, options.address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const address = { host: options.address.host, port: bound.port };
  const url = `${secure ? 'https' : 'http'}://${formatListenAddress(address.host === '0.0.0.0' ? { ...address, host: '127.0.0.1' } : address)}`;
  options.logger.info({ listener: options.name, url }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    name: options.name,
    address,
    url,
    inFlight: () => inFlight,
    setSecureContext(secureOptions) {
      if (!secure) throw new Error(`listener ${options.name} does not serve TLS`);
      secure.setSecureContext(secureOptions);
    },
    rotateTicketKeys() {
      if (!secure) throw new Error(`listener ${options.name} does not serve TLS`);
      secure.setTicketKeys(randomBytes(48));
    },
    close(deadlineMs: number) {
      closing ??= (async () => {
        draining = true;
        server.close();
        for (const session of sessions) session.close();
        h1.closeIdleConnections();
        insecure.closeIdleConnections();
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, deadlineMs);
            drained.add(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        for (const socket of sockets) socket.destroy();
        options.logger.info({ listener: options.name }, 'listener closed');
      })();
      return closing;
    },
  };
}
