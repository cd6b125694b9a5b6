import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  type Grant,
  GrantStatus,
  Resource,
  type ResourceFilter,
  type Scope,
} from '@mosaic/contracts/v1/common_pb';
import { MosaicError } from '@mosaic/platform';
import { type IdentityProblem, identityProblemText, type PeerIdentity } from '../../pki/peer-identity.js';

export type ResourceName = 'tasks' | 'notes' | 'memory' | 'credentials' | 'api_keys';

export const resourceNameOf: Partial<Record<Resource, ResourceName>> = {
  [Resource.TASKS]: 'tasks',
  [Resource.NOTES]: 'notes',
  [Resource.MEMORY]: 'memory',
  [Resource.CREDENTIALS]: 'credentials',
  [Resource.API_KEYS]: 'api_keys',
};

/** What a resource's scope filter allows: `includeTeams` null = every team the user is in. */
export interface ResourceAccess {
  includePersonal: boolean;
  includeTeams: string[] | null;
}

/** A grant as the data plane enforces it. */
export interface NormalizedGrant {
  id: string;
  subjectUserId: string;
  requestingServer: string;
  status: GrantStatus;
  activeCertFingerprint: string;
  previousCertFingerprint: string;
  previousCertValidUntil: Date | null;
  suspendedUntil: Date | null;
  rateLimitRpm: number;
  /** Resources granted and not excluded. */
  allowed: Set<ResourceName>;
  access: Partial<Record<ResourceName, ResourceAccess>>;
  maxRowsPerQuery: number;
  scope: Scope | undefined;
  certificateNotAfter: Date | null;
}

export function normalizeGrant(grant: Grant): NormalizedGrant {
  const scope = grant.scope;
  const excluded = new Set((scope?.excludedResources ?? []).map((r) => resourceNameOf[r]));
  const allowed = new Set<ResourceName>();
  const access: Partial<Record<ResourceName, ResourceAccess>> = {};
  for (const resource of scope?.resources ?? []) {
    const name = resourceNameOf[resource];
    if (!name || excluded.has(name)) continue;
    allowed.add(name);
    const filter = (scope?.filters as Record<string, ResourceFilter | undefined> | undefined)?.[
      name === 'api_keys' ? 'apiKeys' : name
    ];
    access[name] = {
      includePersonal: filter?.includePersonal ?? true,
      includeTeams: filter?.includeTeams ? [...filter.includeTeams.teamIds] : null,
    };
  }
  return {
    id: grant.id,
    subjectUserId: grant.subjectUserId,
    requestingServer: grant.requestingServer,
    status: grant.status,
    activeCertFingerprint: grant.activeCertFingerprint,
    previousCertFingerprint: grant.previousCertFingerprint,
    previousCertValidUntil: grant.previousCertValidUntil ? timestampDate(grant.previousCertValidUntil) : null,
    suspendedUntil: grant.suspendedUntil ? timestampDate(grant.suspendedUntil) : null,
    rateLimitRpm: grant.rateLimitRpm || 60,
    allowed,
    access,
    maxRowsPerQuery: scope?.maxRowsPerQuery || 500,
    scope,
    certificateNotAfter: grant.activeCertExpiresAt ? timestampDate(grant.activeCertExpiresAt) : null,
  };
}

/** Step 2 of the access rule: a certificate that does not say which grant it is gets 401. */
export function identityRefused(problem: IdentityProblem): MosaicError {
  return new MosaicError({
    kind: 'unauthenticated',
    reason: 'identity_invalid',
    message: `the client certificate is not a Mosaic grant certificate: ${identityProblemText[problem]}.`,
    remedy:
      'Use the certificate issued at enrollment (`mosaic federation peer add`); enroll again if it was replaced.',
  });
}

/**
 * Step 3 of the access rule: the grant exists, is active (or its suspension has expired), the
 * presented certificate has not expired and is its current one (or the previous one inside the
 * renewal overlap), and the certificate's subject is the grant's. Everything else is 403, with a reason.
 */
export function admitGrant(
  identity: PeerIdentity,
  grant: NormalizedGrant | null,
  now: Date,
): MosaicError | null {
  if (!grant) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'grant_unknown',
      message: `grant ${identity.grantId} is not known here.`,
      remedy: "Ask the serving gateway's admin for a new grant.",
    });
  }
  const suspended =
    grant.status === GrantStatus.SUSPENDED &&
    !(grant.suspendedUntil && grant.suspendedUntil.getTime() <= now.getTime());
  if (grant.status === GrantStatus.REVOKED) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'grant_revoked',
      message: `grant ${grant.id} has been revoked.`,
      remedy: "The serving gateway's admin revoked it; a new grant and enrollment are needed.",
    });
  }
  if (suspended) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'grant_suspended',
      message: `grant ${grant.id} is suspended${grant.suspendedUntil ? ` until ${grant.suspendedUntil.toISOString()}` : ''}.`,
      remedy: "Wait, or ask the serving gateway's admin to resume it.",
    });
  }
  if (grant.status === GrantStatus.PENDING) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'grant_pending',
      message: `grant ${grant.id} is still pending: it has not completed enrollment.`,
      remedy: 'Complete enrollment with `mosaic federation peer add <enrollment-url>`.',
    });
  }
  // The handshake refuses an expired certificate, but a connection opened before it expired stays
  // open: every request checks the validity again, as it does the grant's state.
  if (identity.notAfter.getTime() <= now.getTime()) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'certificate_expired',
      message: `the certificate of grant ${grant.id} expired at ${identity.notAfter.toISOString()}.`,
      remedy: 'Renew it before it expires; once expired, enroll again with a new grant.',
    });
  }
  const current = identity.fingerprint === grant.activeCertFingerprint;
  const previous =
    identity.fingerprint === grant.previousCertFingerprint &&
    grant.previousCertValidUntil !== null &&
    grant.previousCertValidUntil.getTime() > now.getTime();
  if (!current && !previous) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'certificate_not_current',
      message: `the presented certificate is not the current certificate of grant ${grant.id}.`,
      remedy: 'Use the latest certificate (after a renewal the old one stops working).',
    });
  }
  if (identity.subjectUserId !== grant.subjectUserId) {
    return new MosaicError({
      kind: 'permission_denied',
      reason: 'subject_mismatch',
      message: `the certificate's subject user does not match grant ${grant.id}.`,
      remedy: 'Use the certificate issued for this grant.',
    });
  }
  return null;
}

/** Step 5: the resource must be granted and not excluded. */
export function resourceRefused(grant: NormalizedGrant, resource: Resource): MosaicError | null {
  const name = resourceNameOf[resource];
  if (name && grant.allowed.has(name)) return null;
  return new MosaicError({
    kind: 'permission_denied',
    reason: 'resource_not_in_scope',
    message: `${name ?? `resource ${resource}`} is not in the scope of grant ${grant.id}.`,
    remedy: `Allowed here: ${[...grant.allowed].join(', ') || 'nothing'}. Ask the serving gateway's admin to change the scope.`,
  });
}
