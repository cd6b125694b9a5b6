import { createHash } from 'node:crypto';
import { type DescMessage, toBinary, toJson } from '@bufbuild/protobuf';
import { Code, type Interceptor } from '@connectrpc/connect';
import { AuditOutcome, AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { type AuditEmitter, responseMeterKey, toConnectError } from '@mosaic/platform';
import { admittedGrantKey, peerIdentityKey } from './federation-context.js';

const verbOf: Record<string, AuditVerb> = {
  List: AuditVerb.LIST,
  Get: AuditVerb.GET,
  Search: AuditVerb.SEARCH,
  Capabilities: AuditVerb.CAPABILITIES,
  Renew: AuditVerb.RENEW,
};

/**
 * Step 9 of the access rule: every federated request — allowed, denied, rate-limited or failed —
 * becomes an audit event with the grant (when the certificate names one), verb, resource, a hash
 * of the request parameters (never the parameters), outcome, bytes out and latency. Emitting never
 * waits: a slow or absent audit store does not slow the request.
 */
export function federationAudit(emitter: AuditEmitter): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const message = request.stream ? undefined : (request.message as { resource?: number } | undefined);
    const base = () => {
      const admitted = request.contextValues.get(admittedGrantKey);
      const identity = request.contextValues.get(peerIdentityKey);
      return {
        grantId: admitted?.id ?? (identity.ok ? identity.identity.grantId : null),
        verb: verbOf[request.method.name] ?? AuditVerb.UNSPECIFIED,
        resource: typeof message?.resource === 'number' ? message.resource : Resource.UNSPECIFIED,
        queryHash: message ? queryHash(request.method.input, message) : '',
        latencyMs: Math.round(performance.now() - started),
        peer: admitted?.requestingServer ?? '',
        traceId: traceIdOf(request.header.get('traceparent')),
        actor: '',
      };
    };
    try {
      const response = await next(request);
      const meter = request.contextValues.get(responseMeterKey);
      if (meter) {
        // Recorded once the answer is out: bytes as sent, latency including the write.
        meter.onFinished((bytesOut) =>
          emitter.emit({ ...base(), outcome: AuditOutcome.OK, bytesOut, reason: '' }),
        );
      } else {
        const bytesOut = response.stream ? 0 : toBinary(request.method.output, response.message).length;
        emitter.emit({ ...base(), outcome: AuditOutcome.OK, bytesOut, reason: '' });
      }
      return response;
    } catch (error) {
      const code = toConnectError(error).code;
      const outcome =
        code === Code.ResourceExhausted
          ? AuditOutcome.RATE_LIMITED
          : code === Code.Unauthenticated || code === Code.PermissionDenied
            ? AuditOutcome.DENIED
            : code === Code.NotFound || code === Code.InvalidArgument
              ? AuditOutcome.OK
              : AuditOutcome.ERROR;
      emitter.emit({ ...base(), outcome, bytesOut: 0, reason: Code[code] ?? 'unknown' });
      throw error;
    }
  };
}

/** SHA-256 over the request parameters in canonical JSON (sorted keys): comparable, not readable. */
export function queryHash(schema: DescMessage, message: unknown): string {
  let json: unknown;
  try {
    json = toJson(schema, message as never, { alwaysEmitImplicit: false });
  } catch {
    // A request JSON cannot express (a timestamp beyond year 9999, say) is refused by its handler;
    // its audit row still needs a hash, so it gets one of its binary form, marked as such.
    return `bin:${createHash('sha256')
      .update(toBinary(schema, message as never))
      .digest('hex')}`;
  }
  return createHash('sha256').update(canonical(json)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function traceIdOf(traceparent: string | null): string {
  return /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '')?.[1] ?? '';
}
