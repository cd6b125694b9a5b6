import { type Client, Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { MosaicError, RateLimitedError, type RateLimiter } from '@mosaic/platform';
import { admittedGrantKey, peerIdentityKey } from './federation-context.js';
import { admitGrant, identityRefused, type NormalizedGrant, normalizeGrant } from './grant-access.js';

/**
 * Steps 2–4 of the access rule for every federation call, in order, before any handler runs:
 * identity from the verified certificate (401), the grant and its certificate (403), the per-grant
 * rate limit shared by every replica (429). TLS (step 1) already happened in the handshake.
 */
export function federationAccess(deps: {
  grants: Client<typeof GrantsService>;
  rateLimiter: RateLimiter;
}): Interceptor {
  return (next) => async (request) => {
    const peer = request.contextValues.get(peerIdentityKey);
    if (!peer.ok) throw identityRefused(peer.problem);
    const grant = await loadGrant(deps.grants, peer.identity.grantId);
    const refusal = admitGrant(peer.identity, grant, new Date());
    if (refusal) throw refusal;
    const admitted = grant as NormalizedGrant;
    // Fails closed: without the shared bucket no replica can know the grant's rate, so no request passes.
    const bucket = await deps.rateLimiter
      .take(`grant:${admitted.id}`, admitted.rateLimitRpm, 60_000)
      .catch((error: unknown) => {
        throw new MosaicError({
          kind: 'unavailable',
          reason: 'overloaded',
          message:
            'the rate limiter (Valkey) is unreachable, so federation requests are refused until it is back.',
          remedy: "Retry later; the serving gateway's admin sees the cause in `mosaic gateway doctor`.",
          cause: error,
        });
      });
    if (!bucket.allowed) {
      throw new RateLimitedError({
        message: `grant ${admitted.id} is over its limit of ${admitted.rateLimitRpm} requests per minute.`,
        retryAfterSeconds: Math.max(1, Math.ceil(bucket.retryAfterMs / 1000)),
      });
    }
    request.contextValues.set(admittedGrantKey, admitted);
    return next(request);
  };
}

async function loadGrant(
  grants: Client<typeof GrantsService>,
  grantId: string,
): Promise<NormalizedGrant | null> {
  try {
    const { grant } = await grants.getGrant({ grantId });
    return grant ? normalizeGrant(grant) : null;
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return null;
    throw error;
  }
}
