import { randomUUID } from 'node:crypto';
import {
  type Duration,
  durationFromMs,
  durationMs,
  timestampDate,
  timestampFromDate,
} from '@bufbuild/protobuf/wkt';
import { type Client, Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { AuditOutcome, AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import { RevocationReason, type Scope } from '@mosaic/contracts/v1/common_pb';
import type {
  GrantsService,
  GrantsServiceActivateGrantRequest,
  GrantsServiceCreateEnrollmentTokenRequest,
  GrantsServiceCreateGrantRequest,
  GrantsServiceListGrantsRequest,
  GrantsServiceRecordGrantUsageRequest,
  GrantsServiceRedeemEnrollmentTokenRequest,
  GrantsServiceRevokeGrantRequest,
  GrantsServiceRevokeGrantsForSubjectRequest,
  GrantsServiceSuspendGrantRequest,
  GrantsServiceUpdateGrantRequest,
} from '@mosaic/contracts/v1/grants_pb';
import {
  decodeCursor,
  encodeCursor,
  errorForLog,
  type Generations,
  grantGenerationKey,
  type Logger,
  MosaicError,
  NotImplementedError,
  requireUuid,
} from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import {
  assertTransition,
  enrollmentTokenTtlMs,
  type GrantStatusName,
  generateEnrollmentToken,
  hashEnrollmentToken,
  type NormalizedScope,
  parseScopeJson,
  scopeFromProto,
  statusFromProto,
  validateScope,
} from '../domain/index.js';
import type { EnrollmentTokenStore } from '../store/enrollment-token-store.js';
import type { GrantRecord } from '../store/grant-record.js';
import type { GrantStore } from '../store/grant-store.js';
import type { AuditRecorder } from './audit-recorder.js';
import { enrollmentTokenGone, grantNotFound } from './grant-errors.js';
import { grantToProto } from './grant-view.js';

export interface GrantsApiDeps {
  dataSource: DataSource;
  grants: GrantStore;
  tokens: EnrollmentTokenStore;
  ca: Client<typeof CaService>;
  audit: AuditRecorder;
  logger: Logger;
  clientCertLifetimeMs: number;
  /** Where a committed change of a grant is announced to the gateways' grant caches. */
  generations: Generations;
}

const hostnamePattern = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;
/** How long a redemption may hold its token while the CA signs. */
const redeemLeaseMs = 60_000;
const maxRateLimitRpm = 100_000;
/** RecordGrantUsage: entries per call (the contract's bound), and how far ahead a gateway's clock may be. */
const maxUsagesPerCall = 1000;
const usageClockSkewMs = 60_000;

/**
 * Grants and their lifecycle (SPEC §4), enrollment tokens, and redemption. Every status change is
 * one conditional update; redemption issues the certificate before the token is consumed, so a bad
 * CSR or a CA outage leaves the token usable.
 */
export class GrantsApi implements ServiceImpl<typeof GrantsService> {
  constructor(private readonly deps: GrantsApiDeps) {}

  async createGrant(request: GrantsServiceCreateGrantRequest) {
    const scope = resolveScope(request, { allowSensitive: request.allowSensitive });
    const grant = await this.deps.grants.insert({
      id: randomUUID(),
      subjectUserId: requireUuid(request.subjectUserId, 'subject_user_id'),
      requestingServer: requireHostname(request.requestingServer),
      requestingCaFingerprint: request.requestingCaFingerprint
        ? requireFingerprint(request.requestingCaFingerprint)
        : null,
      scope,
      rateLimitRpm: rateLimit(request.rateLimitRpm) ?? 60,
      notes: request.notes,
    });
    await this.changed(grant.id);
    await this.deps.audit.record({
      verb: AuditVerb.GRANT_CREATE,
      grantId: grant.id,
      actor: request.actor,
      reason: sensitiveNote(scope, request.allowSensitive),
      peer: grant.requestingServer,
    });
    return { grant: grantToProto(grant) };
  }

  async getGrant(request: { grantId: string }) {
    return { grant: grantToProto(await this.load(request.grantId)) };
  }

  async listGrants(request: GrantsServiceListGrantsRequest) {
    const limit = Math.min(request.pageSize || 100, 1000);
    const cursor = request.pageToken ? decodeCursor(request.pageToken, ['t', 'id']) : undefined;
    const status = statusFromProto(request.status) ?? undefined;
    const rows = await this.deps.grants.list({
      ...(status ? { status } : {}),
      ...(request.subjectUserId
        ? { subjectUserId: requireUuid(request.subjectUserId, 'subject_user_id') }
        : {}),
      ...(request.requestingServer ? { requestingServer: request.requestingServer } : {}),
      limit: limit + 1,
      ...(cursor ? { after: { createdAt: new Date(cursor.t!), id: cursor.id! } } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      grants: page.map(grantToProto),
      nextPageToken:
        rows.length > limit && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) : '',
    };
  }

  async updateGrant(request: GrantsServiceUpdateGrantRequest) {
    const current = await this.load(request.grantId);
    const hasScope = request.scopeJson !== '' || request.scope !== undefined;
    if (!hasScope && request.rateLimitRpm === undefined && request.notes === undefined) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: 'nothing to update: give a scope, a rate limit or notes.',
        remedy: 'Pass --scope-file, --rate-limit or --notes.',
      });
    }
    const scope = hasScope
      ? resolveScope(request, {
          allowSensitive: request.allowSensitive,
          alreadyGranted: current.scope.resources,
        })
      : undefined;
    const updated = await this.deps.grants.update(current.id, {
      ...(scope ? { scope } : {}),
      ...(request.rateLimitRpm !== undefined ? { rateLimitRpm: rateLimit(request.rateLimitRpm) ?? 60 } : {}),
      ...(request.notes !== undefined ? { notes: request.notes } : {}),
    });
    if (!updated) {
      assertTransition(current.id, 'revoked', 'active');
      throw grantNotFound(current.id);
    }
    await this.changed(updated.id);
    await this.deps.audit.record({
      verb: AuditVerb.GRANT_UPDATE,
      grantId: updated.id,
      actor: request.actor,
      reason: [
        scope ? 'scope changed' : '',
        request.rateLimitRpm !== undefined ? `rate limit ${updated.rateLimitRpm}/min` : '',
        scope ? sensitiveNote(scope, request.allowSensitive) : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
    return { grant: grantToProto(updated) };
  }

  async revokeGrant(request: GrantsServiceRevokeGrantRequest) {
    const grantId = requireUuid(request.grantId, 'grant_id');
    const reason = request.reason.trim() || 'revoked by an administrator';
    let grant = await this.deps.grants.transition(grantId, ['pending', 'active', 'suspended'], 'revoked', {
      revoked_at: new Date(),
      revoke_reason: reason,
    });
    const alreadyRevoked = grant === null;
    await this.changed(grantId);
    if (grant) {
      // Audited at the moment it takes effect, whatever happens at the CA next.
      await this.deps.audit.record({
        verb: AuditVerb.GRANT_REVOKE,
        grantId,
        actor: request.actor,
        reason,
        peer: grant.requestingServer,
      });
    } else {
      const current = await this.load(grantId);
      // Revoking again only re-runs the certificate revocation (safe to repeat after a CA outage).
      if (current.status !== 'revoked') assertTransition(grantId, current.status, 'revoked');
      grant = current;
    }
    const revokedSerialNumbers = await this.revokeCertificatesOf(grantId, reason);
    return { grant: grantToProto(grant), revokedSerialNumbers, alreadyRevoked };
  }

  async suspendGrant(request: GrantsServiceSuspendGrantRequest) {
    const grantId = requireUuid(request.grantId, 'grant_id');
    const until = request.until ? timestampDate(request.until) : null;
    if (until && until.getTime() <= Date.now()) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `until (${until.toISOString()}) is in the past.`,
        remedy: 'Give a future time, or none for an open-ended suspension.',
      });
    }
    const grant = await this.move(grantId, ['active'], 'suspended', {
      suspended_at: new Date(),
      suspended_until: until,
      suspend_reason: request.reason,
    });
    await this.changed(grantId);
    await this.deps.audit.record({
      verb: AuditVerb.GRANT_SUSPEND,
      grantId,
      actor: request.actor,
      reason: request.reason,
    });
    return { grant: grantToProto(grant) };
  }

  async resumeGrant(request: { grantId: string; actor: string }) {
    const grantId = requireUuid(request.grantId, 'grant_id');
    const grant = await this.move(grantId, ['suspended'], 'active', {
      suspended_at: null,
      suspended_until: null,
      suspend_reason: '',
    });
    await this.changed(grantId);
    await this.deps.audit.record({ verb: AuditVerb.GRANT_RESUME, grantId, actor: request.actor });
    return { grant: grantToProto(grant) };
  }

  async activateGrant(request: GrantsServiceActivateGrantRequest) {
    const grantId = requireUuid(request.grantId, 'grant_id');
    const certificate = request.certificate;
    if (!certificate?.sha256Fingerprint || !certificate.serialNumber || !certificate.notAfter) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: 'activating a grant needs the issued certificate (fingerprint, serial, not_after).',
        remedy: 'Pass the certificate the CA issued for this grant.',
      });
    }
    const grant = await this.move(grantId, ['pending'], 'active', {
      activated_at: new Date(),
      active_cert_fingerprint: certificate.sha256Fingerprint,
      active_cert_serial: certificate.serialNumber,
      active_cert_expires_at: timestampDate(certificate.notAfter),
    });
    await this.changed(grantId);
    await this.deps.audit.record({ verb: AuditVerb.GRANT_ACTIVATE, grantId, actor: request.actor });
    return { grant: grantToProto(grant) };
  }

  async createEnrollmentToken(request: GrantsServiceCreateEnrollmentTokenRequest) {
    const grant = await this.load(request.grantId);
    if (grant.status !== 'pending') {
      throw new MosaicError({
        kind: 'failed_precondition',
        reason: grant.status === 'revoked' ? 'grant_revoked' : 'invalid_transition',
        message: `grant ${grant.id} is ${grant.status}; only a pending grant can be enrolled.`,
        remedy: 'Create a new grant for a new enrollment.',
      });
    }
    const ttlMs = ttl(request.ttl);
    const { token, hash } = generateEnrollmentToken();
    const expiresAt = new Date(Date.now() + ttlMs);
    const { retired } = await this.deps.tokens.replace(hash, grant.id, expiresAt);
    await this.deps.audit.record({
      verb: AuditVerb.ENROLLMENT_TOKEN_CREATE,
      grantId: grant.id,
      actor: request.actor,
      reason: `expires ${expiresAt.toISOString()}${retired ? `; ${retired} earlier unused URL(s) invalidated` : ''}`,
    });
    return { token, expiresAt: timestampFromDate(expiresAt) };
  }

  async redeemEnrollmentToken(request: GrantsServiceRedeemEnrollmentTokenRequest) {
    const grantId = requireUuid(request.grantId, 'grant_id');
    let hash: Buffer;
    try {
      hash = hashEnrollmentToken(request.token);
    } catch {
      throw enrollmentTokenGone('malformed');
    }
    const claim = await this.deps.tokens.claim(hash, grantId, redeemLeaseMs);
    if (!claim.ok) {
      await this.deps.audit.record({
        verb: AuditVerb.ENROLL,
        grantId,
        outcome: AuditOutcome.DENIED,
        reason: `enrollment token ${claim.why}`,
        peer: request.requestingHostname,
      });
      throw enrollmentTokenGone(claim.why === 'in_use' ? 'being redeemed right now' : claim.why);
    }
    try {
      const grant = await this.load(grantId);
      if (grant.status !== 'pending') {
        throw new MosaicError({
          kind: 'failed_precondition',
          reason: grant.status === 'revoked' ? 'grant_revoked' : 'invalid_transition',
          message: `grant ${grantId} is ${grant.status}; only a pending grant can be enrolled.`,
          remedy: "Ask the peer's admin for a new grant.",
        });
      }
      const requester = request.requestingHostname.trim().toLowerCase();
      if (requester && requester !== grant.requestingServer.toLowerCase()) {
        throw new MosaicError({
          kind: 'permission_denied',
          message: `this enrollment URL was issued for ${grant.requestingServer}, not ${requester}.`,
          remedy: `Enroll from ${grant.requestingServer} (or pass --hostname ${grant.requestingServer} if that is this gateway's name).`,
        });
      }
      const signed = await this.deps.ca.signGrantCsr({
        grantId,
        subjectUserId: grant.subjectUserId,
        requestingServer: grant.requestingServer,
        csrPem: request.csrPem,
        lifetime: durationFromMs(this.deps.clientCertLifetimeMs),
      });
      const certificate = signed.certificate!;
      const activated = await this.deps.dataSource.transaction(async (manager) => {
        if (!(await this.deps.tokens.consume(hash, claim.claimId, manager))) return null;
        return this.deps.grants.transition(
          grantId,
          ['pending'],
          'active',
          {
            activated_at: new Date(),
            active_cert_fingerprint: certificate.sha256Fingerprint,
            active_cert_serial: certificate.serialNumber,
            active_cert_expires_at: timestampDate(certificate.notAfter!),
          },
          manager,
        );
      });
      if (!activated) {
        await this.deps.ca
          .revokeCertificates({
            serialNumbers: [certificate.serialNumber],
            reason: RevocationReason.SUPERSEDED,
          })
          .catch((error: unknown) =>
            this.deps.logger.error({ err: error, grantId }, 'orphan certificate not revoked'),
          );
        throw enrollmentTokenGone('the redemption lease ran out');
      }
      await this.changed(grantId);
      await this.deps.audit.record({
        verb: AuditVerb.ENROLL,
        grantId,
        reason: `certificate ${certificate.serialNumber} issued`,
        peer: grant.requestingServer,
      });
      return { grant: grantToProto(activated), certificate };
    } catch (error) {
      await this.deps.tokens.release(hash, claim.claimId);
      if (error instanceof ConnectError && error.code === Code.InvalidArgument) {
        await this.deps.audit.record({
          verb: AuditVerb.CSR_REJECT,
          grantId,
          outcome: AuditOutcome.DENIED,
          reason: error.rawMessage.slice(0, 300),
          peer: request.requestingHostname,
        });
      }
      throw error;
    }
  }

  async renewGrantCertificate(): Promise<never> {
    throw new NotImplementedError('mosaic.federation.v1.GrantsService/RenewGrantCertificate');
  }

  async revokeGrantsForSubject(request: GrantsServiceRevokeGrantsForSubjectRequest) {
    const subject = requireUuid(request.subjectUserId, 'subject_user_id');
    const reason = request.reason || 'subject user deleted';
    // Every grant of the subject is refused from this statement on, all at once.
    const newlyRevoked = await this.deps.grants.revokeAllForSubject(subject, reason);
    await this.changed(...newlyRevoked.map((grant) => grant.id));
    for (const grant of newlyRevoked) {
      await this.deps.audit.record({
        verb: AuditVerb.GRANT_REVOKE,
        grantId: grant.id,
        actor: request.actor,
        reason,
        peer: grant.requestingServer,
      });
    }
    // Certificates of every grant of the subject, including ones revoked by an earlier attempt that
    // the CA did not confirm: revoking at the CA is idempotent, so a retry completes the job.
    const all = await this.deps.grants.allIdsForSubject(subject);
    for (const grantId of all) await this.revokeCertificatesOf(grantId, reason);
    // What the contract promises: the grants this call revoked, not those revoked before it.
    return { revokedGrantIds: newlyRevoked.map((grant) => grant.id) };
  }

  private async revokeCertificatesOf(grantId: string, reason: string): Promise<string[]> {
    try {
      const revoked = await this.deps.ca.revokeCertificates({
        grantId,
        reason: RevocationReason.PRIVILEGE_WITHDRAWN,
        note: reason,
      });
      if (revoked.revokedSerialNumbers.length > 0) {
        await this.deps.audit.record({
          verb: AuditVerb.CERTIFICATE_REVOKE,
          grantId,
          reason: `certificates ${revoked.revokedSerialNumbers.join(', ')} added to the CRL`,
        });
      }
      return revoked.revokedSerialNumbers;
    } catch (error) {
      throw new MosaicError({
        kind: 'unavailable',
        reason: 'ca_unavailable',
        message: `grant ${grantId} is revoked, but its certificates could not be added to the CRL (${(error as Error).message}).`,
        remedy:
          'Run the revocation again once the CA service is reachable; the grant already refuses every request.',
        cause: error,
      });
    }
  }

  async recordGrantUsage(request: GrantsServiceRecordGrantUsageRequest) {
    if (request.usages.length > maxUsagesPerCall) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `usages has ${request.usages.length} entries; at most ${maxUsagesPerCall} per call.`,
        remedy: `Send them in batches of ${maxUsagesPerCall}.`,
      });
    }
    const usages = request.usages.map((usage, index) => {
      const grantId = requireUuid(usage.grantId, `usages[${index}].grant_id`);
      if (!usage.lastUsedAt) {
        throw new MosaicError({
          kind: 'invalid_argument',
          message: `usages[${index}].last_used_at is missing.`,
          remedy: 'Give the time of the most recent federated request on the grant.',
        });
      }
      const lastUsedAt = timestampDate(usage.lastUsedAt);
      // A usage from the future would hide later real ones (last_used_at never moves back).
      if (Number.isNaN(lastUsedAt.getTime()) || lastUsedAt.getTime() > Date.now() + usageClockSkewMs) {
        throw new MosaicError({
          kind: 'invalid_argument',
          message: `usages[${index}].last_used_at (${usage.lastUsedAt.seconds} s) is not a time up to now.`,
          remedy: 'Report the time a request was served; check the clocks of the gateway and grants hosts.',
        });
      }
      return { grantId, lastUsedAt };
    });
    return { updatedCount: await this.deps.grants.recordUsage(usages) };
  }

  /**
   * Announces committed changes to the gateways' grant caches (after the commit: a cache that
   * re-reads on the new marker must find the new row). A gateway re-reads a cached grant within
   * its maximum age anyway, so a marker that cannot be written delays a change by at most that;
   * it is retried and logged, never failing a change that is already committed.
   */
  private async changed(...grantIds: string[]): Promise<void> {
    for (const grantId of grantIds) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.deps.generations.bump(grantGenerationKey(grantId));
          break;
        } catch (error) {
          if (attempt === 3) {
            this.deps.logger.error(
              { err: errorForLog(error), grantId },
              'grant changed, but the gateways could not be told (Valkey): their caches catch up within their maximum age',
            );
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    }
  }

  private async load(grantId: string): Promise<GrantRecord> {
    const id = requireUuid(grantId, 'grant_id');
    const grant = await this.deps.grants.get(id);
    if (!grant) throw grantNotFound(id);
    return grant;
  }

  /** A conditional transition; when it does not apply, explains why with the lifecycle's words. */
  private async move(
    grantId: string,
    from: GrantStatusName[],
    to: GrantStatusName,
    set: Record<string, unknown>,
  ): Promise<GrantRecord> {
    const moved = await this.deps.grants.transition(grantId, from, to, set);
    if (moved) return moved;
    const current = await this.load(grantId);
    assertTransition(grantId, current.status, to);
    // The lifecycle allows it but the statement did not apply: the grant changed concurrently.
    throw new MosaicError({
      kind: 'failed_precondition',
      reason: 'invalid_transition',
      message: `grant ${grantId} changed while it was being updated (now ${current.status}).`,
      remedy: 'Look at the grant again and retry if still needed.',
    });
  }
}

function resolveScope(
  request: { scopeJson: string; scope?: Scope },
  options: { allowSensitive: boolean; alreadyGranted?: readonly NormalizedScope['resources'][number][] },
): NormalizedScope {
  if (request.scopeJson !== '' && request.scope) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: 'both scope and scope_json are set.',
      remedy: 'Send the scope once: as JSON text (scope_json) or as a message (scope).',
    });
  }
  if (request.scopeJson !== '') return validateScope(parseScopeJson(request.scopeJson), options);
  if (request.scope) return validateScope(scopeFromProto(request.scope), options);
  throw new MosaicError({
    kind: 'invalid_argument',
    message: 'a grant needs a scope.',
    remedy: 'Pass --scope-file with the scope JSON (see SPEC §4 for the format).',
  });
}

function requireHostname(value: string): string {
  const host = value.trim().toLowerCase();
  if (!hostnamePattern.test(host)) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `requesting server "${value.slice(0, 80)}" is not a host name.`,
      remedy: "Pass the requesting gateway's host name (e.g. home.example.org) or IP address as --peer.",
    });
  }
  return host;
}

function requireFingerprint(value: string): string {
  const fingerprint = value
    .replace(/^sha256:/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: 'requesting_ca_fingerprint is not a SHA-256 fingerprint.',
      remedy: 'Pass 64 hex characters (colons allowed).',
    });
  }
  return fingerprint;
}

function rateLimit(value: number | undefined): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > maxRateLimitRpm) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `rate limit ${value} is outside 1..${maxRateLimitRpm} requests per minute.`,
      remedy: 'Pass a whole number of requests per minute, e.g. --rate-limit 60.',
    });
  }
  return value;
}

function ttl(value: Duration | undefined): number {
  if (!value) return enrollmentTokenTtlMs;
  const ms = durationMs(value);
  if (ms < 60_000 || ms > 24 * 60 * 60 * 1000) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `enrollment TTL ${Math.round(ms / 1000)} s is outside 1 minute..24 hours.`,
      remedy: 'Leave it unset for the 15-minute default.',
    });
  }
  return ms;
}

function sensitiveNote(scope: NormalizedScope, allowSensitive: boolean): string {
  const sensitive = scope.resources.filter(
    (resource) => resource === 'credentials' || resource === 'api_keys',
  );
  return sensitive.length > 0 && allowSensitive ? `sensitive resources granted: ${sensitive.join(', ')}` : '';
}
