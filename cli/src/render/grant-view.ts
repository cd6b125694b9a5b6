import type {
  CreateEnrollmentUrlResponse,
  CreateGrantResponse,
  GetGrantResponse,
  RevokeGrantResponse,
} from '@mosaic/contracts/v1/admin_pb';
import { CrlState } from '@mosaic/contracts/v1/admin_pb';
import { CertificateKind, type CertificateRecord, CertificateStatus } from '@mosaic/contracts/v1/ca_pb';
import {
  type Grant,
  GrantStatus,
  Resource,
  type ResourceFilter,
  RevocationReason,
  type Scope,
} from '@mosaic/contracts/v1/common_pb';
import { cell, enumName, isoOrNull, required, tableDate, textOrNull } from './format.js';
import { lifecycleMark, renderKeyValues, renderTable } from './table.js';

export type GrantStatusName = 'pending' | 'active' | 'suspended' | 'revoked' | 'unknown';
export type ResourceName = 'tasks' | 'notes' | 'memory' | 'credentials' | 'api_keys';

/** A resource filter in the documented JSON form of SPEC §4. */
export interface ResourceFilterJson {
  include_teams?: string[];
  include_personal: boolean;
}

/**
 * A scope in the documented JSON form of SPEC §4 (snake_case, as in a --scope-file), so
 * `grant show --json | jq .grant.scope` can be edited and fed back to `grant update --scope-file`.
 */
export interface ScopeJson {
  resources: string[];
  filters: Partial<Record<ResourceName, ResourceFilterJson>>;
  excluded_resources: string[];
  max_rows_per_query?: number;
}

/** A grant as the CLI prints it in --json (no key material exists on a Grant to begin with). */
export interface GrantJson {
  id: string;
  subjectUserId: string;
  requestingServer: string;
  requestingCaFingerprint: string | null;
  status: GrantStatusName;
  scope: ScopeJson | null;
  rateLimitRpm: number;
  activeCertFingerprint: string | null;
  activeCertSerial: string | null;
  activeCertExpiresAt: string | null;
  previousCertFingerprint: string | null;
  previousCertValidUntil: string | null;
  createdAt: string | null;
  activatedAt: string | null;
  lastUsedAt: string | null;
  suspendedAt: string | null;
  suspendedUntil: string | null;
  suspendReason: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
  notes: string | null;
  updatedAt: string | null;
}

export interface CertificateJson {
  serialNumber: string;
  kind: string;
  status: 'valid' | 'revoked' | 'expired' | 'unknown';
  subject: string;
  sha256Fingerprint: string;
  notBefore: string | null;
  notAfter: string | null;
  issuedAt: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
  issuerBackend: string;
}

export type CrlStateName = 'not_listed' | 'listed' | 'pending' | 'unknown';

export interface GrantListJson {
  version: 1;
  grants: GrantJson[];
}

export interface GrantShowJson {
  version: 1;
  grant: GrantJson;
  certificates: CertificateJson[];
  crlState: CrlStateName;
}

export interface GrantJsonResult {
  version: 1;
  grant: GrantJson;
}

export interface GrantRevokedJson {
  version: 1;
  grant: GrantJson;
  /** Certificates this call put on the CRL (none when an earlier revocation already had). */
  revokedSerialNumbers: string[];
  /** The grant was revoked before this call: its reason and time are the first revocation's. */
  alreadyRevoked: boolean;
}

/** The only --json output that carries a secret: the one-time enrollment URL. */
export interface GrantCreatedJson {
  version: 1;
  grant: GrantJson;
  enrollmentUrl: string;
  enrollmentExpiresAt: string | null;
  caFingerprint: string;
}

export interface EnrollmentUrlJson {
  version: 1;
  grantId: string;
  enrollmentUrl: string;
  enrollmentExpiresAt: string | null;
  caFingerprint: string;
}

const grantStatusNames: Record<number, GrantStatusName> = {
  [GrantStatus.PENDING]: 'pending',
  [GrantStatus.ACTIVE]: 'active',
  [GrantStatus.SUSPENDED]: 'suspended',
  [GrantStatus.REVOKED]: 'revoked',
};

export const grantStatusByName: Record<Exclude<GrantStatusName, 'unknown'>, GrantStatus> = {
  pending: GrantStatus.PENDING,
  active: GrantStatus.ACTIVE,
  suspended: GrantStatus.SUSPENDED,
  revoked: GrantStatus.REVOKED,
};

const resourceNames: Record<number, ResourceName> = {
  [Resource.TASKS]: 'tasks',
  [Resource.NOTES]: 'notes',
  [Resource.MEMORY]: 'memory',
  [Resource.CREDENTIALS]: 'credentials',
  [Resource.API_KEYS]: 'api_keys',
};

const resourceName = (resource: Resource): string => resourceNames[resource] ?? `unknown(${resource})`;

const crlStateNames: Record<number, CrlStateName> = {
  [CrlState.NOT_LISTED]: 'not_listed',
  [CrlState.LISTED]: 'listed',
  [CrlState.PENDING]: 'pending',
};

const certificateStatusNames: Record<number, CertificateJson['status']> = {
  [CertificateStatus.VALID]: 'valid',
  [CertificateStatus.REVOKED]: 'revoked',
  [CertificateStatus.EXPIRED]: 'expired',
};

function filterJson(filter: ResourceFilter): ResourceFilterJson {
  return {
    ...(filter.includeTeams === undefined ? {} : { include_teams: [...filter.includeTeams.teamIds] }),
    include_personal: filter.includePersonal ?? true,
  };
}

export function scopeJson(scope: Scope): ScopeJson {
  const filters: ScopeJson['filters'] = {};
  const source = scope.filters;
  if (source) {
    for (const key of ['tasks', 'notes', 'memory', 'credentials', 'api_keys'] as const) {
      const filter = source[key === 'api_keys' ? 'apiKeys' : key];
      if (filter) filters[key] = filterJson(filter);
    }
  }
  return {
    resources: scope.resources.map(resourceName),
    filters,
    excluded_resources: scope.excludedResources.map(resourceName),
    ...(scope.maxRowsPerQuery === 0 ? {} : { max_rows_per_query: scope.maxRowsPerQuery }),
  };
}

export function grantJson(grant: Grant): GrantJson {
  return {
    id: grant.id,
    subjectUserId: grant.subjectUserId,
    requestingServer: grant.requestingServer,
    requestingCaFingerprint: textOrNull(grant.requestingCaFingerprint),
    status: grantStatusNames[grant.status] ?? 'unknown',
    scope: grant.scope ? scopeJson(grant.scope) : null,
    rateLimitRpm: grant.rateLimitRpm,
    activeCertFingerprint: textOrNull(grant.activeCertFingerprint),
    activeCertSerial: textOrNull(grant.activeCertSerial),
    activeCertExpiresAt: isoOrNull(grant.activeCertExpiresAt),
    previousCertFingerprint: textOrNull(grant.previousCertFingerprint),
    previousCertValidUntil: isoOrNull(grant.previousCertValidUntil),
    createdAt: isoOrNull(grant.createdAt),
    activatedAt: isoOrNull(grant.activatedAt),
    lastUsedAt: isoOrNull(grant.lastUsedAt),
    suspendedAt: isoOrNull(grant.suspendedAt),
    suspendedUntil: isoOrNull(grant.suspendedUntil),
    suspendReason: textOrNull(grant.suspendReason),
    revokedAt: isoOrNull(grant.revokedAt),
    revokeReason: textOrNull(grant.revokeReason),
    notes: textOrNull(grant.notes),
    updatedAt: isoOrNull(grant.updatedAt),
  };
}

export function certificateJson(record: CertificateRecord): CertificateJson {
  return {
    serialNumber: record.serialNumber,
    kind: enumName(CertificateKind, record.kind),
    status: certificateStatusNames[record.status] ?? 'unknown',
    subject: record.subject,
    sha256Fingerprint: record.sha256Fingerprint,
    notBefore: isoOrNull(record.notBefore),
    notAfter: isoOrNull(record.notAfter),
    issuedAt: isoOrNull(record.issuedAt),
    revokedAt: isoOrNull(record.revokedAt),
    revocationReason:
      record.revocationReason === RevocationReason.UNSPECIFIED
        ? null
        : enumName(RevocationReason, record.revocationReason),
    issuerBackend: record.issuerBackend,
  };
}

export function grantShowJson(response: GetGrantResponse): GrantShowJson {
  return {
    version: 1,
    grant: grantJson(required(response.grant, 'grant')),
    certificates: response.certificates.map(certificateJson),
    crlState: crlStateNames[response.crlState] ?? 'unknown',
  };
}

export function grantCreatedJson(response: CreateGrantResponse): GrantCreatedJson {
  return {
    version: 1,
    grant: grantJson(required(response.grant, 'grant')),
    enrollmentUrl: response.enrollmentUrl,
    enrollmentExpiresAt: isoOrNull(response.enrollmentExpiresAt),
    caFingerprint: response.caFingerprint,
  };
}

export function enrollmentUrlJson(grantId: string, response: CreateEnrollmentUrlResponse): EnrollmentUrlJson {
  return {
    version: 1,
    grantId,
    enrollmentUrl: response.enrollmentUrl,
    enrollmentExpiresAt: isoOrNull(response.expiresAt),
    caFingerprint: response.caFingerprint,
  };
}

export function grantRevokedJson(response: RevokeGrantResponse): GrantRevokedJson {
  return {
    version: 1,
    grant: grantJson(required(response.grant, 'grant')),
    revokedSerialNumbers: [...response.revokedSerialNumbers],
    alreadyRevoked: response.alreadyRevoked,
  };
}

/** What a revocation did, after the grant itself: the CRL, and whether it had been revoked before. */
export function renderGrantRevoked(view: GrantRevokedJson, reasonGiven: string | undefined): string {
  const serials = view.revokedSerialNumbers;
  const crl =
    serials.length > 0
      ? `Put on the CRL: ${serials.join(', ')}.`
      : view.alreadyRevoked && view.grant.activeCertSerial
        ? 'Its certificates were already on the CRL; nothing was added.'
        : 'No certificate had been issued for this grant; nothing was added to the CRL.';
  if (!view.alreadyRevoked) return [renderGrant(view.grant), '', crl].join('\n');
  const first = `Grant ${view.grant.id} was already revoked${view.grant.revokedAt ? ` at ${view.grant.revokedAt}` : ''}${
    view.grant.revokeReason ? ` (reason: ${view.grant.revokeReason})` : ''
  }.`;
  const reasonNote =
    reasonGiven && reasonGiven.trim() !== (view.grant.revokeReason ?? '')
      ? ' The reason given now is not stored: a revocation keeps its first reason.'
      : '';
  return [renderGrant(view.grant), '', `${first}${reasonNote}`, crl].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Human output
// ---------------------------------------------------------------------------------------------

export const grantListHeaders = ['ID', 'STATUS', 'SUBJECT', 'PEER', 'RATE', 'CREATED', 'LAST USED'] as const;

export function grantRow(grant: GrantJson): string[] {
  return [
    grant.id,
    lifecycleMark(grant.status),
    grant.subjectUserId,
    grant.requestingServer,
    `${grant.rateLimitRpm}/min`,
    tableDate(grant.createdAt),
    tableDate(grant.lastUsedAt),
  ];
}

export function renderGrantList(view: GrantListJson): string {
  if (view.grants.length === 0) {
    return 'No grants. Create one with `mosaic federation grant create --user <id> --peer <host> --scope-file <file>`.';
  }
  return renderTable(grantListHeaders, view.grants.map(grantRow));
}

function filterLine(resource: string, filter: ResourceFilterJson): string {
  const teams =
    filter.include_teams === undefined
      ? "all of the user's teams"
      : filter.include_teams.length === 0
        ? 'no team items'
        : `only teams ${filter.include_teams.join(', ')}`;
  return `${resource}: ${teams}; ${filter.include_personal ? 'personal items' : 'no personal items'}`;
}

/** The scope in a few readable lines: what is granted, what is excluded, the filters, the page cap. */
export function scopeSummaryLines(scope: ScopeJson | null): string[] {
  if (scope === null) return ['(none reported)'];
  return [
    scope.resources.length > 0 ? scope.resources.join(', ') : '(no resources)',
    `excluded: ${scope.excluded_resources.length > 0 ? scope.excluded_resources.join(', ') : 'none'}`,
    ...Object.entries(scope.filters).map(([resource, filter]) => filterLine(resource, filter)),
    ...(scope.max_rows_per_query === undefined ? [] : [`at most ${scope.max_rows_per_query} rows per query`]),
  ];
}

export function renderGrant(grant: GrantJson): string {
  const rows: Array<[string, string | string[]]> = [
    ['status', lifecycleMark(grant.status)],
    ['subject', `${grant.subjectUserId} (user on this gateway)`],
    ['peer', grant.requestingServer],
    ['scope', scopeSummaryLines(grant.scope)],
    ['rate limit', `${grant.rateLimitRpm} requests/min`],
    ['created', tableDate(grant.createdAt)],
    ['activated', tableDate(grant.activatedAt)],
    ['last used', tableDate(grant.lastUsedAt)],
  ];
  if (grant.requestingCaFingerprint) rows.push(['peer CA', `sha256:${grant.requestingCaFingerprint}`]);
  if (grant.activeCertSerial) {
    rows.push([
      'certificate',
      `serial ${grant.activeCertSerial}, expires ${tableDate(grant.activeCertExpiresAt)}`,
    ]);
  }
  if (grant.previousCertFingerprint) {
    rows.push([
      'previous cert',
      `sha256:${grant.previousCertFingerprint}, accepted until ${tableDate(grant.previousCertValidUntil)}`,
    ]);
  }
  if (grant.status === 'suspended') {
    rows.push([
      'suspended',
      `since ${tableDate(grant.suspendedAt)}, ${grant.suspendedUntil ? `until ${tableDate(grant.suspendedUntil)}` : 'until resumed'}${grant.suspendReason ? `: ${grant.suspendReason}` : ''}`,
    ]);
  }
  if (grant.status === 'revoked') {
    rows.push([
      'revoked',
      `${tableDate(grant.revokedAt)}${grant.revokeReason ? `: ${grant.revokeReason}` : ''}`,
    ]);
  }
  if (grant.notes) rows.push(['notes', grant.notes]);
  return [`Grant ${grant.id}`, renderKeyValues(rows)].join('\n');
}

const crlText: Record<CrlStateName, string> = {
  not_listed: 'not listed (the grant is not revoked)',
  listed: 'listed on the published CRL',
  pending: 'revoked; the CRL listing it is still being published to every replica',
  unknown: 'unknown (the CA could not be asked)',
};

export function renderGrantShow(view: GrantShowJson): string {
  const certificates =
    view.certificates.length === 0
      ? '  none issued yet (the peer has not enrolled)'
      : renderTable(
          ['SERIAL', 'STATUS', 'ISSUED', 'EXPIRES', 'REVOKED', 'SHA-256 FINGERPRINT'],
          view.certificates.map((certificate) => [
            certificate.serialNumber,
            certificate.status,
            tableDate(certificate.issuedAt),
            tableDate(certificate.notAfter),
            certificate.revokedAt === null
              ? '-'
              : `${tableDate(certificate.revokedAt)} ${cell(certificate.revocationReason)}`,
            certificate.sha256Fingerprint,
          ]),
        );
  return [
    renderGrant(view.grant),
    renderKeyValues([['CRL', crlText[view.crlState]]]),
    '',
    'Certificates',
    certificates,
  ].join('\n');
}

/** Whole minutes from now until an ISO time, never negative. */
export function minutesUntil(iso: string | null, now: Date): number | null {
  if (iso === null) return null;
  return Math.max(0, Math.round((new Date(iso).getTime() - now.getTime()) / 60_000));
}

function enrollmentBlock(options: {
  url: string;
  expiresAt: string | null;
  caFingerprint: string;
  peer: string | null;
  now: Date;
}): string {
  const minutes = minutesUntil(options.expiresAt, options.now);
  const lifetime =
    minutes === null ? 'expires at a time the gateway did not report' : `expires in ${minutes} minutes`;
  return [
    'Enrollment URL (SECRET, single-use):',
    `  ${options.url}`,
    renderKeyValues([
      ['expires', options.expiresAt === null ? '-' : `${tableDate(options.expiresAt)} UTC`],
      ['CA fingerprint', `sha256:${options.caFingerprint}`],
    ]),
    '',
    `The URL is single-use and ${lifetime}. Send it to the admin of ${options.peer ?? 'the requesting gateway'} over a trusted channel; they run \`mosaic federation peer add <enrollment-url>\`, which prints the CA fingerprint it pinned: it must match the one above.`,
  ].join('\n');
}

/** `grant create`: the grant, then the one-time URL exactly once, its expiry and the CA fingerprint. */
export function renderGrantCreated(view: GrantCreatedJson, now: Date): string {
  return [
    renderGrant(view.grant),
    '',
    enrollmentBlock({
      url: view.enrollmentUrl,
      expiresAt: view.enrollmentExpiresAt,
      caFingerprint: view.caFingerprint,
      peer: view.grant.requestingServer,
      now,
    }),
  ].join('\n');
}

export function renderEnrollmentUrl(view: EnrollmentUrlJson, peer: string | null, now: Date): string {
  return [
    `New enrollment URL for grant ${view.grantId}; any earlier URL of this grant no longer works.`,
    '',
    enrollmentBlock({
      url: view.enrollmentUrl,
      expiresAt: view.enrollmentExpiresAt,
      caFingerprint: view.caFingerprint,
      peer,
      now,
    }),
  ].join('\n');
}
