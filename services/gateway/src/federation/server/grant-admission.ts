import { type Client, Code, ConnectError } from '@connectrpc/connect';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import {
  type Generations,
  grantGenerationKey,
  MosaicError,
  RateLimitedError,
  type RateLimiter,
} from '@mosaic/platform';
import { LRUCache } from 'lru-cache';
import type { PeerIdentity } from '../../pki/peer-identity.js';
import { admitGrant, type NormalizedGrant, normalizeGrant } from './grant-access.js';

export interface GrantAdmissionOptions {
  grants: Client<typeof GrantsService>;
  rateLimiter: RateLimiter;
  generations: Generations;
  /** A cached grant is read again after this long even when its marker did not move. */
  maxAgeMs?: number;
  /** Grants cached at most (least recently used go first). */
  maxEntries?: number;
}

interface CachedGrant {
  grant: NormalizedGrant | null;
  /** The grant's generation marker as read before the grant was fetched. */
  generation: string;
}

/** Re-reads in a row before giving up on a grant that keeps changing under the request. */
const maxAttempts = 3;
const refillPeriodMs = 60_000;

/**
 * Steps 3 and 4 of the access rule with the grant cached per replica, exact across replicas: the
 * token is taken in one atomic Valkey step that also checks the grant's generation marker (bumped
 * by the grants service after every committed change), so a request admitted from the cache was
 * admitted by the grant as it stands — a suspension, revocation, scope or limit change made
 * anywhere is seen by the next request on every replica. A hit costs one Valkey round trip (the
 * rate limit's own); a miss or a moved marker re-reads the grant from the grants service first.
 */
export class GrantAdmission {
  private readonly cache: LRUCache<string, CachedGrant>;

  constructor(private readonly options: GrantAdmissionOptions) {
    const maxAgeMs = options.maxAgeMs ?? 5_000;
    const maxEntries = options.maxEntries ?? 10_000;
    if (!(maxAgeMs > 0) || !Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(
        `grant cache needs maxAgeMs > 0 and a positive whole maxEntries, not ${maxAgeMs} / ${maxEntries}`,
      );
    }
    this.cache = new LRUCache({ max: maxEntries, ttl: maxAgeMs, ttlAutopurge: false });
  }

  /** The admitted grant; throws the refusal (403), 429 over the limit, 503 without Valkey. */
  async admit(identity: PeerIdentity): Promise<NormalizedGrant> {
    const key = grantGenerationKey(identity.grantId);
    let entry = this.cache.get(identity.grantId);
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (!entry) {
        entry = await this.fetch(
          identity.grantId,
          await this.shared(() => this.options.generations.current(key)),
        );
        continue;
      }
      const refusal = admitGrant(identity, entry.grant, new Date());
      if (refusal) {
        // A refusal is rare: confirm the cached grant is current before answering with it.
        const generation = await this.shared(() => this.options.generations.current(key));
        if (generation === entry.generation) throw refusal;
        entry = await this.fetch(identity.grantId, generation);
        continue;
      }
      const grant = entry.grant as NormalizedGrant;
      const bucket = await this.shared(() =>
        this.options.rateLimiter.takeIfCurrent(`grant:${grant.id}`, grant.rateLimitRpm, refillPeriodMs, {
          key,
          expected: entry!.generation,
        }),
      );
      if (!bucket.current) {
        entry = await this.fetch(identity.grantId, bucket.generation);
        continue;
      }
      if (!bucket.allowed) {
        throw new RateLimitedError({
          message: `grant ${grant.id} is over its limit of ${grant.rateLimitRpm} requests per minute.`,
          retryAfterSeconds: Math.max(1, Math.ceil(bucket.retryAfterMs / 1000)),
        });
      }
      return grant;
    }
    throw new MosaicError({
      kind: 'unavailable',
      reason: 'overloaded',
      message: `grant ${identity.grantId} changed ${maxAttempts} times while this request was admitted.`,
      remedy: 'Retry the request.',
    });
  }

  /** Forgets every cached grant (tests, and an operator's escape hatch). */
  clear(): void {
    this.cache.clear();
  }

  private async fetch(grantId: string, generation: string): Promise<CachedGrant> {
    const entry = { grant: await loadGrant(this.options.grants, grantId), generation };
    this.cache.set(grantId, entry);
    return entry;
  }

  /** Fails closed: without Valkey no replica knows the grant's rate or its latest state. */
  private async shared<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new MosaicError({
        kind: 'unavailable',
        reason: 'overloaded',
        message:
          'the rate limiter (Valkey) is unreachable, so federation requests are refused until it is back.',
        remedy: "Retry later; the serving gateway's admin sees the cause in `mosaic gateway doctor`.",
        cause: error,
      });
    }
  }
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
    // The peer learns that the check could not be made, not the grants service's address or error
    // text (the log keeps them, through the cause).
    throw new MosaicError({
      kind: 'unavailable',
      reason: 'overloaded',
      message: `grant ${grantId} could not be checked: the serving gateway's grants service did not answer.`,
      remedy: 'Retry shortly; if it lasts, the serving gateway’s admin should check `mosaic gateway doctor`.',
      cause: error,
    });
  }
}
