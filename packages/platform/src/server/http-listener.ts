import { randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
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
import type { Logger } from '../log/logger.js';
import { ResponseMeter, responseMeterKey } from './response-meter.js';

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
  /** Values handlers see in their context, read from the request (default: the remote address). */
  contextValues?: (request: http.IncomingMessage | http2.Http2ServerRequest) => ContextValues;
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

const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n');

/** The peer address of the connection a call came in on (for per-source limits and logs). */
export const remoteAddressKey = createContextKey<string>('unknown', { description: 'remote address' });

/**
 * One plaintext port serving Connect, gRPC and gRPC-Web over HTTP/2 (h2c, prior knowledge) and
 * HTTP/1.1 alike. Node's h2c server cannot fall back to HTTP/1.1, so each connection's first bytes
 * pick the protocol.
 */
export async function startHttpListener(options: HttpListenerOptions): Promise<RunningListener> {
  let inFlight = 0;
  let draining = false;
  const drained = new Set<() => void>();
  const meters = new WeakMap<object, ResponseMeter>();
  const baseValues =
    options.contextValues ??
    ((request: http.IncomingMessage | http2.Http2ServerRequest) =>
      createContextValues().set(remoteAddressKey, request.socket.remoteAddress ?? 'unknown'));
  const connect = connectNodeAdapter({
    routes: options.routes,
    interceptors: options.interceptors,
    contextValues: options.meterResponses
      ? (request) => baseValues(request).set(responseMeterKey, meters.get(request))
      : baseValues,
  });

  const handle = async (
    request: http.IncomingMessage | http2.Http2ServerRequest,
    response: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    inFlight += 1;
    response.on('close', () => {
      inFlight -= 1;
      if (inFlight === 0) for (const resolve of drained) resolve();
    });
    if (draining && 'setHeader' in response && response instanceof http.ServerResponse) {
      response.setHeader('connection', 'close');
    }
    try {
      if (options.plain && (await options.plain(request, response))) return;
      if (options.meterResponses) meters.set(request, new ResponseMeter(response));
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
  const h2 = http2.createServer({}, handle);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  const sockets = new Set<net.Socket>();
  const secure = options.tls
    ? http2.createSecureServer({ ...options.tls.secure, allowHTTP1: true }, handle)
    : undefined;
  // A connection's client certificate is fixed once the handshake is done (HTTP/2 forbids
  // renegotiation; this closes it for the HTTP/1.1 fallback too), so callers may read a peer's
  // identity once per connection.
  secure?.on('secureConnection', (socket: tls.TLSSocket) => socket.disableRenegotiation());
  secure?.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
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
    socket.once('data', (head: Buffer) => {
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
