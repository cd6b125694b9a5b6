import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { Resource } from '@mosaic/contracts/v1/common_pb';
import type { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import {
  type QueryItemSchema,
  type QueryRequest,
  QueryService,
  QueryVerb,
  SignalKind,
  type SignalSchema,
  type SourceOutcomeSchema,
  SourceStatus,
} from '@mosaic/contracts/v1/query_pb';
import { callerKey, isUuid, MosaicError, reasonOfConnectError, withUnimplemented } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { resourceFromProto } from '../data/resource-names.js';
import type { VisibleItemViews } from '../data/visible-item-views.js';
import type { PeerClients } from '../federation/client/peer-clients.js';
import { type PeerRecord, peersOfUser, recordPeerOutcome } from '../peers/peer-store.js';

type Source = { kind: 'local' } | { kind: 'peer'; hostname: string } | { kind: 'all' };

interface SourceResult {
  source: string;
  items: Array<{ item: MessageInitShape<typeof ItemSchema>; updatedAt: number }>;
  outcome: MessageInitShape<typeof SourceOutcomeSchema>;
  signal?: MessageInitShape<typeof SignalSchema>;
}

const defaultPageSize = 100;

/**
 * The agent-facing query API on the requesting gateway: `local`, `federated:<peer>` or `all`
 * (parallel fan-out, merged newest first). Every item says where it came from. Federated results
 * live in this response only: nothing that crosses the boundary is written to this gateway.
 */
export function queryApi(deps: { dataSource: DataSource; items: VisibleItemViews; clients: PeerClients }) {
  const userOf = (context: HandlerContext): string => {
    const caller = context.values.get(callerKey);
    if (caller.kind !== 'user')
      throw new ConnectError('the query API needs a user token', Code.Unauthenticated);
    return caller.claims.userId;
  };

  const local = async (request: QueryRequest, userId: string): Promise<SourceResult> => {
    const started = performance.now();
    const resource = requireResource(request.resource);
    const access = { includePersonal: true, includeTeams: null };
    let rows: SourceResult['items'];
    if (request.verb === QueryVerb.GET) {
      const item = isUuid(request.id)
        ? await deps.items.getVisible({ resource, id: request.id, userId, access })
        : null;
      rows = item ? [{ item, updatedAt: 0 }] : [];
    } else {
      const listed = await deps.items.listVisible({
        resource,
        userId,
        access,
        limit: Math.min(request.pageSize || defaultPageSize, 1000),
      });
      rows = listed.map((row) => ({ item: row.item, updatedAt: row.updatedAt.getTime() }));
    }
    return {
      source: 'local',
      items: rows,
      outcome: {
        source: 'local',
        status: SourceStatus.OK,
        itemCount: rows.length,
        latencyMs: Math.round(performance.now() - started),
      },
    };
  };

  const federated = async (request: QueryRequest, peer: PeerRecord): Promise<SourceResult> => {
    const started = performance.now();
    const outcome = (status: SourceStatus, count: number, message = '') => ({
      source: peer.peerHostname,
      status,
      itemCount: count,
      latencyMs: Math.round(performance.now() - started),
      message,
    });
    try {
      const client = deps.clients.forPeer(peer);
      let items: SourceResult['items'];
      if (request.verb === QueryVerb.GET) {
        try {
          const { item } = await client.get({ resource: request.resource, id: request.id });
          items = item ? [{ item, updatedAt: 0 }] : [];
        } catch (error) {
          if (ConnectError.from(error).code !== Code.NotFound) throw error;
          items = [];
        }
      } else {
        const page = await client.list({
          resource: request.resource,
          pageSize: request.pageSize || defaultPageSize,
          ...(request.filter ? { filter: request.filter } : {}),
        });
        items = page.items.map((item) => ({ item, updatedAt: updatedAtOf(item) }));
      }
      await recordPeerOutcome(deps.dataSource, peer.id, { ok: true });
      return { source: peer.peerHostname, items, outcome: outcome(SourceStatus.OK, items.length) };
    } catch (error) {
      const wire = ConnectError.from(error);
      const reason = reasonOfConnectError(wire);
      await recordPeerOutcome(deps.dataSource, peer.id, { ok: false, reason: wire.rawMessage });
      const [status, kind] =
        wire.code === Code.ResourceExhausted
          ? [SourceStatus.RATE_LIMITED, SignalKind.RATE_LIMITED]
          : wire.code === Code.PermissionDenied || wire.code === Code.Unauthenticated
            ? [
                SourceStatus.DENIED,
                reason === 'grant_revoked' ? SignalKind.PEER_REVOKED : SignalKind.ACCESS_DENIED,
              ]
            : wire.code === Code.Unavailable ||
                wire.code === Code.DeadlineExceeded ||
                wire.code === Code.Canceled
              ? [SourceStatus.OFFLINE, SignalKind.FEDERATION_OFFLINE]
              : [SourceStatus.ERROR, SignalKind.FEDERATION_OFFLINE];
      return {
        source: peer.peerHostname,
        items: [],
        outcome: outcome(status, 0, wire.rawMessage),
        signal: {
          kind,
          peer: peer.peerHostname,
          message:
            kind === SignalKind.FEDERATION_OFFLINE
              ? `federation offline for ${peer.peerHostname}: ${wire.rawMessage}`
              : wire.rawMessage,
        },
      };
    }
  };

  return withUnimplemented(QueryService, {
    async query(request: QueryRequest, context) {
      const userId = userOf(context);
      if (request.verb !== QueryVerb.LIST && request.verb !== QueryVerb.GET) {
        throw new MosaicError({
          kind: 'unimplemented',
          message: 'only the list and get verbs are served by this release.',
          remedy: 'Use verb LIST or GET.',
        });
      }
      const source = parseSource(request.source);
      const peers =
        source.kind === 'local'
          ? []
          : await peersOfUser(deps.dataSource, userId, source.kind === 'peer' ? source.hostname : undefined);
      if (source.kind === 'peer' && peers.length === 0) {
        throw new MosaicError({
          kind: 'not_found',
          message: `no active peer "${source.hostname}" for this user.`,
          remedy: 'List peers with `mosaic federation peer list`; the source is federated:<peer hostname>.',
        });
      }
      const results = await Promise.all([
        ...(source.kind === 'peer' ? [] : [local(request, userId)]),
        ...peers.map((peer) => federated(request, peer)),
      ]);
      const items: Array<MessageInitShape<typeof QueryItemSchema> & { updatedAt: number }> = results.flatMap(
        (result) =>
          result.items.map((row) => ({
            item: row.item,
            source: result.source,
            cached: false,
            updatedAt: row.updatedAt,
          })),
      );
      items.sort((left, right) => right.updatedAt - left.updatedAt);
      return {
        items: items.map(({ updatedAt: _, ...item }) => item),
        sources: results.map((result) => result.outcome),
        signals: results.flatMap((result) => (result.signal ? [result.signal] : [])),
      };
    },
  });
}

function parseSource(value: string): Source {
  if (value === 'local') return { kind: 'local' };
  if (value === 'all') return { kind: 'all' };
  const peer = /^federated:([a-z0-9.-]{1,253})$/i.exec(value)?.[1];
  if (peer) return { kind: 'peer', hostname: peer.toLowerCase() };
  throw new MosaicError({
    kind: 'invalid_argument',
    message: `source "${value.slice(0, 80)}" is not local, all or federated:<peer>.`,
    remedy:
      'Use "local", "all", or "federated:" followed by a peer host name from `mosaic federation peer list`.',
  });
}

function requireResource(resource: Resource) {
  const name = resourceFromProto(resource);
  if (!name) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: 'resource is required.',
      remedy: 'Set resource to tasks, notes, memory, credentials or api_keys.',
    });
  }
  return name;
}

function updatedAtOf(item: MessageInitShape<typeof ItemSchema>): number {
  const value = (item as { item?: { value?: { updatedAt?: { seconds: bigint; nanos: number } } } }).item
    ?.value?.updatedAt;
  return value ? Number(value.seconds) * 1000 + value.nanos / 1e6 : 0;
}
