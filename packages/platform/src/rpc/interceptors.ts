import { Code, ConnectError, createContextKey, type Interceptor } from '@connectrpc/connect';
import {
  type AdminTokenClaims,
  type UserTokenClaims,
  verifyAdminToken,
  verifyUserToken,
} from '../auth/admin-token.js';
import type { Ed25519KeyPair } from '../auth/ed25519-key.js';
import { verifyInternalToken } from '../auth/internal-token.js';
import { toConnectError } from '../errors/index.js';
import { errorForLog } from '../log/error-for-log.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { type MethodPolicyTable, methodKey } from './method-policy.js';

/** Who is calling, as established by the authentication interceptor. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'service'; service: string }
  | { kind: 'admin'; claims: AdminTokenClaims }
  | { kind: 'user'; claims: UserTokenClaims };

export const callerKey = createContextKey<Caller>(
  { kind: 'anonymous' },
  { description: 'authenticated caller' },
);

/** Logs every call with its outcome; the cause of a failure goes to the log, never to the wire. */
export function requestLogger(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const rpc = methodKey(request.service, request.method);
    try {
      const response = await next(request);
      logger.debug({ rpc, ms: Math.round(performance.now() - started) }, 'rpc ok');
      return response;
    } catch (error) {
      const wire = toConnectError(error);
      const level = wire.code === Code.Internal || wire.code === Code.Unknown ? 'error' : 'info';
      logger[level](
        { rpc, code: Code[wire.code], ms: Math.round(performance.now() - started), err: errorForLog(error) },
        'rpc failed',
      );
      throw wire;
    }
  };
}

export function rpcMetrics(metrics: Metrics): Interceptor {
  return (next) => async (request) => {
    const end = metrics.rpcDuration.startTimer({
      service: request.service.typeName,
      method: request.method.name,
    });
    try {
      const response = await next(request);
      end({ code: 'ok' });
      return response;
    } catch (error) {
      end({ code: Code[toConnectError(error).code] ?? 'unknown' });
      throw error;
    }
  };
}

export interface AuthenticationOptions {
  policy: MethodPolicyTable;
  /** Verifies internal JWTs addressed to this service. */
  internal?: { keys: Pick<Ed25519KeyPair, 'publicKey'>; audienceFor: (serviceTypeName: string) => string };
  /** Verifies admin bearer tokens (gateway admin listener only). */
  admin?: { keys: Pick<Ed25519KeyPair, 'publicKey'> };
}

/** Authenticates by the method's rule; a method without a rule is refused, never allowed. */
export function authentication(options: AuthenticationOptions): Interceptor {
  return (next) => async (request) => {
    const rpc = methodKey(request.service, request.method);
    const rule = options.policy.get(rpc);
    if (!rule) throw new ConnectError(`${rpc} has no access policy and is refused`, Code.PermissionDenied);
    const authorization = request.header.get('authorization');
    switch (rule.kind) {
      case 'public':
        break;
      case 'internal': {
        if (!options.internal)
          throw new ConnectError(`${rpc} is not served on this listener`, Code.PermissionDenied);
        const audience = options.internal.audienceFor(request.service.typeName);
        const caller = await verifyInternalToken(options.internal.keys, audience, authorization);
        if (!rule.callers.includes(caller.service)) {
          throw new ConnectError(`${caller.service} may not call ${rpc}`, Code.PermissionDenied);
        }
        request.contextValues.set(callerKey, { kind: 'service', service: caller.service });
        break;
      }
      case 'admin': {
        if (!options.admin)
          throw new ConnectError(`${rpc} is not served on this listener`, Code.PermissionDenied);
        const claims = await verifyAdminToken(options.admin.keys, authorization);
        request.contextValues.set(callerKey, { kind: 'admin', claims });
        break;
      }
      case 'user': {
        if (!options.admin) {
          throw new ConnectError(`${rpc} is not served on this listener`, Code.PermissionDenied);
        }
        const claims = await verifyUserToken(options.admin.keys, authorization);
        request.contextValues.set(callerKey, { kind: 'user', claims });
        break;
      }
    }
    return next(request);
  };
}

/** Innermost: domain errors become wire errors here, and only here, keeping the cause for the log. */
export function errorMapping(): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      const wire = toConnectError(error);
      // Keep the domain error as the cause (for the log); the wire keeps only message, code and details.
      Object.defineProperty(wire, 'cause', { value: error, enumerable: false });
      throw wire;
    }
  };
}

/** The one interceptor chain, in the one order: logger → metrics → authentication → error mapping. */
export function serverInterceptors(options: {
  logger: Logger;
  metrics: Metrics;
  auth: AuthenticationOptions;
  /** Authorization, rate limits, audit: after authentication, before the handler. */
  after?: Interceptor[];
}): Interceptor[] {
  return [
    requestLogger(options.logger),
    rpcMetrics(options.metrics),
    authentication(options.auth),
    ...(options.after ?? []),
    errorMapping(),
  ];
}
