import { create } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type AddPeerRequest,
  AddPeerRequestSchema,
  type CreateEnrollmentUrlRequest,
  CreateEnrollmentUrlRequestSchema,
  type CreateGrantRequest,
  CreateGrantRequestSchema,
  type CreateTeamRequest,
  CreateTeamRequestSchema,
  type CreateUserRequest,
  CreateUserRequestSchema,
  type ListGrantsRequest,
  ListGrantsRequestSchema,
  type ListPeersRequest,
  ListPeersRequestSchema,
  PeerStatus,
  type RevokeGrantRequest,
  RevokeGrantRequestSchema,
  type SuspendGrantRequest,
  SuspendGrantRequestSchema,
  type UpdateGrantRequest,
  UpdateGrantRequestSchema,
} from '@mosaic/contracts/v1/admin_pb';
import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { UserRole } from '@mosaic/contracts/v1/directory_pb';
import { parseEnrollmentUrl } from './enrollment-url.js';
import { hostnameArg, isoTimeArg, notesArg, UsageError, uuidArg } from './inputs.js';
import { userRoleByName } from './render/directory-view.js';
import { grantStatusByName } from './render/grant-view.js';
import { peerStatusByName } from './render/peer-view.js';

/*
 * Every admin request the CLI sends, built from command-line input by pure functions: each checks
 * its input (UsageError, exit 2, nothing sent) and sets exactly the fields admin.proto documents,
 * leaving the rest at their "unset / server default" value.
 */

export const grantStatusOptions = ['pending', 'active', 'suspended', 'revoked'] as const;
export const peerStatusOptions = ['pending', 'active', 'degraded', 'revoked'] as const;
export const userRoleOptions = ['member', 'admin'] as const;

const ttl = (minutes: number) => create(DurationSchema, { seconds: BigInt(minutes * 60) });

export function createGrantRequest(input: {
  user: string;
  peer: string;
  scopeJson: string;
  rateLimit?: number | undefined;
  allowSensitive?: boolean | undefined;
  notes?: string | undefined;
  enrollmentTtlMinutes?: number | undefined;
}): CreateGrantRequest {
  return create(CreateGrantRequestSchema, {
    subjectUserId: uuidArg(input.user, '--user'),
    requestingServer: hostnameArg(input.peer, '--peer'),
    scopeJson: input.scopeJson,
    rateLimitRpm: input.rateLimit ?? 0, // 0: the gateway's default (60)
    allowSensitive: input.allowSensitive ?? false,
    notes: notesArg(input.notes ?? ''),
    ...(input.enrollmentTtlMinutes === undefined ? {} : { enrollmentTtl: ttl(input.enrollmentTtlMinutes) }),
  });
}

export function listGrantsRequest(input: {
  status?: (typeof grantStatusOptions)[number] | undefined;
  user?: string | undefined;
  peer?: string | undefined;
  pageToken?: string | undefined;
}): ListGrantsRequest {
  return create(ListGrantsRequestSchema, {
    status: input.status === undefined ? GrantStatus.UNSPECIFIED : grantStatusByName[input.status],
    subjectUserId: input.user === undefined ? '' : uuidArg(input.user, '--user'),
    requestingServer: input.peer === undefined ? '' : hostnameArg(input.peer, '--peer'),
    pageToken: input.pageToken ?? '',
  });
}

/** Only what is given changes; a request with nothing to change is refused before it is sent. */
export function updateGrantRequest(input: {
  grantId: string;
  scopeJson?: string | undefined;
  rateLimit?: number | undefined;
  notes?: string | undefined;
  allowSensitive?: boolean | undefined;
}): UpdateGrantRequest {
  const grantId = uuidArg(input.grantId, 'grant id');
  if (input.scopeJson === undefined && input.rateLimit === undefined && input.notes === undefined) {
    throw new UsageError(
      'nothing to update: give at least one of --scope-file, --rate-limit, --notes.',
      `e.g. \`mosaic federation grant update ${grantId} --rate-limit 120\` (--allow-sensitive alone changes nothing; it confirms a new scope).`,
    );
  }
  return create(UpdateGrantRequestSchema, {
    grantId,
    ...(input.scopeJson === undefined ? {} : { scopeJson: input.scopeJson }),
    ...(input.rateLimit === undefined ? {} : { rateLimitRpm: input.rateLimit }),
    ...(input.notes === undefined ? {} : { notes: notesArg(input.notes) }),
    allowSensitive: input.allowSensitive ?? false,
  });
}

export function revokeGrantRequest(input: {
  grantId: string;
  reason?: string | undefined;
}): RevokeGrantRequest {
  return create(RevokeGrantRequestSchema, {
    grantId: uuidArg(input.grantId, 'grant id'),
    reason: input.reason ?? '',
  });
}

export function suspendGrantRequest(
  input: { grantId: string; reason?: string | undefined; until?: string | undefined },
  now: Date = new Date(),
): SuspendGrantRequest {
  return create(SuspendGrantRequestSchema, {
    grantId: uuidArg(input.grantId, 'grant id'),
    reason: input.reason ?? '',
    ...(input.until === undefined
      ? {}
      : { until: timestampFromDate(isoTimeArg(input.until, '--until', now)) }),
  });
}

export function createEnrollmentUrlRequest(input: {
  grantId: string;
  ttlMinutes?: number | undefined;
}): CreateEnrollmentUrlRequest {
  return create(CreateEnrollmentUrlRequestSchema, {
    grantId: uuidArg(input.grantId, 'grant id'),
    ...(input.ttlMinutes === undefined ? {} : { ttl: ttl(input.ttlMinutes) }),
  });
}

/** The URL is checked (without ever repeating it) and sent unchanged; the gateway does the enrollment. */
export function addPeerRequest(input: {
  enrollmentUrl: string;
  user?: string | undefined;
  hostname?: string | undefined;
  notes?: string | undefined;
}): { request: AddPeerRequest; host: string; port: number; grantId: string; caFingerprint: string } {
  const parts = parseEnrollmentUrl(input.enrollmentUrl);
  return {
    ...parts,
    request: create(AddPeerRequestSchema, {
      enrollmentUrl: input.enrollmentUrl.trim(),
      localUserId: input.user === undefined ? '' : uuidArg(input.user, '--user'),
      requestingHostname: input.hostname === undefined ? '' : hostnameArg(input.hostname, '--hostname'),
      notes: notesArg(input.notes ?? ''),
    }),
  };
}

export function listPeersRequest(input: {
  status?: (typeof peerStatusOptions)[number] | undefined;
  pageToken?: string | undefined;
}): ListPeersRequest {
  return create(ListPeersRequestSchema, {
    status: input.status === undefined ? PeerStatus.UNSPECIFIED : peerStatusByName[input.status],
    pageToken: input.pageToken ?? '',
  });
}

const directoryNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function directoryName(value: string, what: string): string {
  if (!directoryNamePattern.test(value)) {
    throw new UsageError(
      `${what} "${value.slice(0, 80)}" is not valid.`,
      `use 1 to 64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit.`,
    );
  }
  return value;
}

export function createUserRequest(input: {
  username: string;
  displayName?: string | undefined;
  email?: string | undefined;
  role?: (typeof userRoleOptions)[number] | undefined;
}): CreateUserRequest {
  return create(CreateUserRequestSchema, {
    username: directoryName(input.username, 'username'),
    displayName: input.displayName ?? '',
    email: input.email ?? '',
    role: input.role === undefined ? UserRole.UNSPECIFIED : userRoleByName[input.role],
  });
}

export function createTeamRequest(input: {
  name: string;
  description?: string | undefined;
}): CreateTeamRequest {
  return create(CreateTeamRequestSchema, {
    name: directoryName(input.name, 'team name'),
    description: input.description ?? '',
  });
}
