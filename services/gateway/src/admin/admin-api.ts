import type { Client, HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  type AddPeerRequest,
  AdminService,
  type CreateEnrollmentUrlRequest,
  type CreateGrantRequest,
  CrlState,
  type ListGrantsRequest,
  type ListPeersRequest,
  PeerStatus,
  type QueryAuditEventsRequest,
  TokenRole,
  type UpdateGrantRequest,
} from '@mosaic/contracts/v1/admin_pb';
import type { AuditService } from '@mosaic/contracts/v1/audit_pb';
import { type CaService, CertificateStatus } from '@mosaic/contracts/v1/ca_pb';
import { UserRole } from '@mosaic/contracts/v1/directory_pb';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import {
  buildEnrollmentUrl,
  callerKey,
  decodeCursor,
  type Ed25519KeyPair,
  encodeCursor,
  MosaicError,
  mintUserToken,
  requireUuid,
  type Sealer,
  type ServiceDeps,
  withUnimplemented,
} from '@mosaic/platform';
import type { ItemStore } from '../data/item-store.js';
import { createItem, deleteItem, updateItem } from '../data/items-admin.js';
import type { DirectoryStore } from '../directory/directory-store.js';
import { enrollWithPeer } from '../peers/enroll-with-peer.js';
import type { PeerStatusName, PeerStore } from '../peers/peer-store.js';
import { buildDoctorReport, tierByName } from './doctor-report.js';
import { peerToProto, teamToProto, userToProto } from './views.js';

const version = '0.1.0';
const apiVersion = 'mosaic.federation.v1';

export interface AdminApiDeps {
  service: ServiceDeps;
  directory: DirectoryStore;
  items: ItemStore;
  peers: PeerStore;
  sealer: Sealer;
  grants: Client<typeof GrantsService>;
  ca: Client<typeof CaService>;
  audit: Client<typeof AuditService>;
  /** Signs admin and user tokens (derived from the gateway's master secret). */
  adminKeys: Ed25519KeyPair;
  /** host:port peers enroll at (the enrollment listener, once bound). */
  enrollmentAddress: () => { host: string; port: number };
}

const peerStatusName: Partial<Record<PeerStatus, PeerStatusName>> = {
  [PeerStatus.PENDING]: 'pending',
  [PeerStatus.ACTIVE]: 'active',
  [PeerStatus.DEGRADED]: 'degraded',
  [PeerStatus.REVOKED]: 'revoked',
};

/** The admin API the CLI and the web console call: thin, forwarding to the owning service. */
export function adminApi(deps: AdminApiDeps): ServiceImpl<typeof AdminService> {
  const actor = (context: HandlerContext) => {
    const caller = context.values.get(callerKey);
    return caller.kind === 'admin' ? `admin:${caller.claims.subject}` : caller.kind;
  };

  const enrollmentUrl = async (
    grantId: string,
    ttl?: CreateEnrollmentUrlRequest['ttl'],
    context?: HandlerContext,
  ) => {
    const issued = await deps.grants.createEnrollmentToken({
      grantId,
      ...(ttl ? { ttl } : {}),
      actor: context ? actor(context) : '',
    });
    const root = await deps.ca.getRoot({});
    const { host, port } = deps.enrollmentAddress();
    return {
      enrollmentUrl: buildEnrollmentUrl({
        host,
        port,
        grantId,
        caFingerprint: root.sha256Fingerprint,
        token: issued.token,
      }),
      expiresAt: issued.expiresAt,
      caFingerprint: root.sha256Fingerprint,
    };
  };

  return withUnimplemented(AdminService, {
    async getVersion() {
      return { version, tier: tierByName[deps.service.config.tier], mode: deps.service.target, apiVersion };
    },
    async getDoctorReport() {
      return buildDoctorReport(deps.service);
    },

    // Directory
    async createUser(request) {
      const user = await deps.directory.createUser({
        username: request.username,
        displayName: request.displayName,
        email: request.email,
        role: request.role === UserRole.ADMIN ? 'admin' : 'member',
      });
      return { user: userToProto(user) };
    },
    async getUser(request) {
      const user = await deps.directory.getUser(requireUuid(request.userId, 'user_id'));
      if (!user) throw userNotFound(request.userId);
      return { user: userToProto(user) };
    },
    async listUsers(request) {
      const limit = pageSize(request.pageSize);
      const cursor = request.pageToken ? decodeCursor(request.pageToken, ['u']) : undefined;
      const users = await deps.directory.listUsers(limit + 1, cursor?.u);
      const page = users.slice(0, limit);
      return {
        users: page.map(userToProto),
        nextPageToken: users.length > limit ? encodeCursor({ u: page.at(-1)!.username }) : '',
      };
    },
    async deleteUser(request, context) {
      const userId = requireUuid(request.userId, 'user_id');
      if (!(await deps.directory.getUser(userId))) throw userNotFound(userId);
      // Revoke first: if that fails the user stays, and nothing is left half-done.
      const revoked = await deps.grants.revokeGrantsForSubject({
        subjectUserId: userId,
        reason: 'subject user deleted',
        actor: actor(context),
      });
      await deps.directory.deleteUser(userId);
      // A grant created for the user while this ran is caught by a second pass.
      const late = await deps.grants.revokeGrantsForSubject({
        subjectUserId: userId,
        reason: 'subject user deleted',
        actor: actor(context),
      });
      return { userId, revokedGrantIds: [...new Set([...revoked.revokedGrantIds, ...late.revokedGrantIds])] };
    },
    async createTeam(request) {
      return { team: teamToProto(await deps.directory.createTeam(request)) };
    },
    async listTeams(request) {
      const limit = pageSize(request.pageSize);
      const cursor = request.pageToken ? decodeCursor(request.pageToken, ['n']) : undefined;
      const teams = await deps.directory.listTeams(limit + 1, cursor?.n);
      const page = teams.slice(0, limit);
      return {
        teams: page.map(teamToProto),
        nextPageToken: teams.length > limit ? encodeCursor({ n: page.at(-1)!.name }) : '',
      };
    },
    async addTeamMember(request) {
      const member = await deps.directory.addMember(
        requireUuid(request.teamId, 'team_id'),
        requireUuid(request.userId, 'user_id'),
      );
      return { member: { teamId: member.teamId, userId: member.userId, addedAt: ts(member.addedAt) } };
    },
    async removeTeamMember(request) {
      const removed = await deps.directory.removeMember(
        requireUuid(request.teamId, 'team_id'),
        requireUuid(request.userId, 'user_id'),
      );
      if (!removed) {
        throw new MosaicError({
          kind: 'not_found',
          message: `user ${request.userId} is not a member of team ${request.teamId}.`,
          remedy: 'List the members with `mosaic team members <team-id>`.',
        });
      }
      return {};
    },
    async listTeamMembers(request) {
      const limit = pageSize(request.pageSize);
      const cursor = request.pageToken ? decodeCursor(request.pageToken, ['u']) : undefined;
      const members = await deps.directory.listMembers(
        requireUuid(request.teamId, 'team_id'),
        limit + 1,
        cursor?.u,
      );
      const page = members.slice(0, limit);
      return {
        members: page.map((member) => ({ ...member, addedAt: ts(member.addedAt) })),
        nextPageToken: members.length > limit ? encodeCursor({ u: page.at(-1)!.userId }) : '',
      };
    },

    // Tokens for agents: they query as a local user, never as an admin.
    async createAccessToken(request) {
      if (request.role === TokenRole.ADMIN) {
        throw new MosaicError({
          kind: 'invalid_argument',
          message: 'admin tokens are minted on the gateway host, not through the API.',
          remedy: 'Run `mosaic admin token create` on the gateway host.',
        });
      }
      const userId = requireUuid(request.userId, 'user_id');
      if (!(await deps.directory.getUser(userId))) throw userNotFound(userId);
      const ttlSeconds = request.ttl ? Number(request.ttl.seconds) : 30 * 86400;
      if (ttlSeconds < 60 || ttlSeconds > 365 * 86400) {
        throw new MosaicError({
          kind: 'invalid_argument',
          message: `token lifetime ${ttlSeconds} s is outside 1 minute..365 days.`,
          remedy: 'Leave ttl unset for 30 days.',
        });
      }
      const { token, claims } = await mintUserToken(deps.adminKeys, {
        userId,
        name: request.name || 'agent',
        ttlSeconds,
      });
      return {
        token,
        accessToken: {
          id: claims.tokenId,
          name: claims.name,
          userId,
          role: TokenRole.USER,
          createdAt: ts(new Date()),
          expiresAt: ts(claims.expiresAt),
        },
      };
    },

    // Local data (never crosses gateways)
    async createItem(request) {
      return createItem(deps.items, request);
    },
    async updateItem(request) {
      return updateItem(deps.items, request);
    },
    async deleteItem(request) {
      return deleteItem(deps.items, request);
    },

    // Grants (this gateway serving)
    async createGrant(request: CreateGrantRequest, context) {
      const subjectUserId = requireUuid(request.subjectUserId, 'subject_user_id');
      if (!(await deps.directory.getUser(subjectUserId))) throw userNotFound(subjectUserId);
      // Refuse before anything is written when no enrollment URL could be handed out.
      deps.enrollmentAddress();
      const created = await deps.grants.createGrant({
        subjectUserId,
        requestingServer: request.requestingServer,
        requestingCaFingerprint: request.requestingCaFingerprint,
        ...(request.scope ? { scope: request.scope } : {}),
        scopeJson: request.scopeJson,
        rateLimitRpm: request.rateLimitRpm,
        allowSensitive: request.allowSensitive,
        notes: request.notes,
        actor: actor(context),
      });
      const grant = created.grant!;
      const url = await enrollmentUrl(grant.id, request.enrollmentTtl, context);
      return {
        grant,
        enrollmentUrl: url.enrollmentUrl,
        enrollmentExpiresAt: url.expiresAt,
        caFingerprint: url.caFingerprint,
      };
    },
    async createEnrollmentUrl(request, context) {
      const grantId = requireUuid(request.grantId, 'grant_id');
      const url = await enrollmentUrl(grantId, request.ttl, context);
      return { enrollmentUrl: url.enrollmentUrl, expiresAt: url.expiresAt, caFingerprint: url.caFingerprint };
    },
    async listGrants(request: ListGrantsRequest) {
      return fields(
        await deps.grants.listGrants({
          status: request.status,
          subjectUserId: request.subjectUserId,
          requestingServer: request.requestingServer,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        }),
      );
    },
    async getGrant(request) {
      const grantId = requireUuid(request.grantId, 'grant_id');
      const [{ grant }, certificates] = await Promise.all([
        deps.grants.getGrant({ grantId }),
        deps.ca.listCertificates({ grantId, pageSize: 100 }),
      ]);
      const listed = certificates.certificates.some((record) => record.status === CertificateStatus.REVOKED);
      return {
        grant,
        certificates: certificates.certificates.map((record) => ({ ...record, certificatePem: '' })),
        crlState: listed ? CrlState.LISTED : CrlState.NOT_LISTED,
      };
    },
    async updateGrant(request: UpdateGrantRequest, context) {
      return fields(
        await deps.grants.updateGrant({
          grantId: request.grantId,
          ...(request.scope ? { scope: request.scope } : {}),
          scopeJson: request.scopeJson,
          ...(request.rateLimitRpm !== undefined ? { rateLimitRpm: request.rateLimitRpm } : {}),
          ...(request.notes !== undefined ? { notes: request.notes } : {}),
          allowSensitive: request.allowSensitive,
          actor: actor(context),
        }),
      );
    },
    async revokeGrant(request, context) {
      return fields(
        await deps.grants.revokeGrant({
          grantId: request.grantId,
          reason: request.reason,
          actor: actor(context),
        }),
      );
    },
    async suspendGrant(request, context) {
      return fields(
        await deps.grants.suspendGrant({
          grantId: request.grantId,
          reason: request.reason,
          ...(request.until ? { until: request.until } : {}),
          actor: actor(context),
        }),
      );
    },
    async resumeGrant(request, context) {
      return fields(await deps.grants.resumeGrant({ grantId: request.grantId, actor: actor(context) }));
    },
    async queryAuditEvents(request: QueryAuditEventsRequest) {
      return fields(
        await deps.audit.queryEvents({
          ...(request.filter ? { filter: request.filter } : {}),
          includeCold: request.includeCold,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        }),
      );
    },

    // Peers (this gateway requesting)
    async addPeer(request: AddPeerRequest) {
      const localUserId = request.localUserId ? requireUuid(request.localUserId, 'local_user_id') : null;
      if (localUserId && !(await deps.directory.getUser(localUserId))) throw userNotFound(localUserId);
      const peer = await enrollWithPeer({
        enrollmentUrl: request.enrollmentUrl,
        localUserId,
        requestingHostname: (request.requestingHostname || deps.service.config.publicHostname).toLowerCase(),
        notes: request.notes,
        peers: deps.peers,
        sealer: deps.sealer,
      });
      return { peer: peerToProto(peer) };
    },
    async listPeers(request: ListPeersRequest) {
      const limit = pageSize(request.pageSize);
      const cursor = request.pageToken ? decodeCursor(request.pageToken, ['t', 'id']) : undefined;
      const status = peerStatusName[request.status];
      const peers = await deps.peers.list({
        ...(status ? { status } : {}),
        limit: limit + 1,
        ...(cursor ? { after: { createdAt: new Date(cursor.t!), id: cursor.id! } } : {}),
      });
      const page = peers.slice(0, limit);
      const last = page.at(-1);
      return {
        peers: page.map(peerToProto),
        nextPageToken:
          peers.length > limit && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) : '',
      };
    },
    async getPeer(request) {
      const peer = await deps.peers.get(requireUuid(request.peerId, 'peer_id'));
      if (!peer) throw peerNotFound(request.peerId);
      return { peer: peerToProto(peer) };
    },
    async removePeer(request) {
      const peerId = requireUuid(request.peerId, 'peer_id');
      if (!(await deps.peers.delete(peerId))) throw peerNotFound(peerId);
      return { peerId };
    },
  });
}

/** The fields of a response from another service, to answer with under this API's message type. */
function fields<T extends { $typeName: string }>(message: T): Omit<T, '$typeName'> {
  const { $typeName: _, ...rest } = message;
  return rest;
}

function ts(date: Date) {
  return { seconds: BigInt(Math.floor(date.getTime() / 1000)), nanos: (date.getTime() % 1000) * 1_000_000 };
}

function pageSize(requested: number): number {
  return Math.min(requested || 100, 1000);
}

function userNotFound(userId: string): MosaicError {
  return new MosaicError({
    kind: 'not_found',
    message: `user ${userId} does not exist on this gateway.`,
    remedy: 'List users with `mosaic user list`, or create one with `mosaic user create`.',
  });
}

function peerNotFound(peerId: string): MosaicError {
  return new MosaicError({
    kind: 'not_found',
    message: `peer ${peerId} does not exist.`,
    remedy: 'List peers with `mosaic federation peer list`.',
  });
}
