import type { Interceptor } from '@connectrpc/connect';
import { admittedGrantKey, peerIdentityKey } from './federation-context.js';
import { identityRefused } from './grant-access.js';
import type { GrantAdmission } from './grant-admission.js';
import type { GrantUsageReporter } from './grant-usage.js';

/**
 * Steps 2–4 of the access rule for every federation call, in order, before any handler runs:
 * identity from the verified certificate (401), the grant and its certificate (403), the per-grant
 * rate limit shared by every replica (429). TLS (step 1) already happened in the handshake.
 */
export function federationAccess(admission: GrantAdmission, usage?: GrantUsageReporter): Interceptor {
  return (next) => async (request) => {
    const peer = request.contextValues.get(peerIdentityKey);
    if (!peer.ok) throw identityRefused(peer.problem);
    const grant = await admission.admit(peer.identity);
    request.contextValues.set(admittedGrantKey, grant);
    usage?.used(grant.id);
    return next(request);
  };
}
