import { fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { Resource } from '@mosaic/contracts/v1/common_pb';
import { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import {
  type QueryItemSchema,
  type QueryRequest,
  QueryResponseSchema,
  QueryService,
  QueryVerb,
  SignalKind,
  type SignalSchema,
  type SourceOutcomeSchema,
  SourceStatus,
} from '@mosaic/contracts/v1/query_pb';
import { callerKey, isUuid, MosaicError, reasonOfConnectError, withUnimplemented } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { itemFromRow, resourceColumns } from '../data/item-store.js';
import { itemToProto } from '../data/item-views.js';
import { updatedAtOfRow } from '../data/item-wire.js';
import { type ResourceName, resourceFromProto, resourceNames } from '../data/resource-names.js';
import { readSearchQuery, type VisibleItemViews } from '../data/visible-item-views.js';
import type { PeerClients } from '../federation/client/peer-clients.js';
import { answersBinary } from '../federation/server/encoded-list-response.js';
import { PeerOutcomeRecorder } from '../peers/peer-outcome-recorder.js';
import { type PeerRecord, peersOfUser } from '../peers/peer-store.js';
import {
  encodeQueryResponse,
  preEncoded,
  updatedAtOfItemBytes,
  type WireItem,
  type WireQueryItem,
} from './query-wire.js';

type Source = { kind: 'local' } | { kind: 'peer'; hostname: string } | { kind: 'all' };

/** A SEARCH request, read once before any source is asked. */
interface SearchPlan {
  query: string;
  /** What the local store searches: the requested resources, or all five (the user's own data). */
  localResources: ResourceName[];
}

interface SourceRow {
  /** LIST: a local row or a peer's Item bytes, written to a binary answer as they are (query-wire.ts). */
  item: WireItem;
  updatedAt: number;
  /** SEARCH: the source's relevance score; 0 for other verbs. */
  score: number;
}

interface SourceResult {
  source: string;
  items: SourceRow[];
  outcome: MessageInitShape<typeof SourceOutcomeSchema>;
  signal?: MessageInitShape<typeof SignalSchema>;
  /** SEARCH on one peer: the peer's own next_page_token, handed through. */
  nextPageToken?: string;
}

const defaultPageSize = 100;

/**
 * The agent-facing query API on the requesting gateway: `local`, `federated:<peer>` or `all`
 * (parallel fan-out; LIST merged newest first, SEARCH by interleaving each source's ranking).
 * Every item says where it came from. Federated results live in this response only: nothing that
 * crosses the boundary is written to this gateway, and SEARCH is never answered from a cache.
 */
export function queryApi(deps: { dataSource: DataSource; items: VisibleItemViews; clients: PeerClients }) {
  const outcomes = new PeerOutcomeRecorder(deps.dataSource);
  const userOf = (context: HandlerContext): string => {
    const caller = context.values.get(callerKey);
    if (caller.kind !== 'user')
      throw new ConnectError('the query API needs a user token', Code.Unauthenticated);
    return caller.claims.userId;
  };

  const local = async (
    request: QueryRequest,
    userId: string,
    search: SearchPlan | null,
  ): Promise<SourceResult> => {
    const started = performance.now();
    const access = { includePersonal: true, includeTeams: null };
    let rows: SourceResult['items'];
    if (search) {
      const hits = await deps.items.searchVisible({
        resources: search.localResources,
        userId,
        accessByResource: Object.fromEntries(search.localResources.map((name) => [name, access])),
        query: search.query,
        limit: Math.min(request.pageSize || defaultPageSize, 1000),
      });
      rows = hits.map((hit) => ({
        item: { kind: 'message', message: hit.item },
        updatedAt: 0,
        score: hit.rank,
      }));
    } else if (request.verb === QueryVerb.GET) {
      const resource = requireResource(request.resource);
      const item = isUuid(request.id)
        ? await deps.items.getVisible({ resource, id: request.id, userId, access })
        : null;
      rows = item ? [{ item: { kind: 'message', message: item }, updatedAt: 0, score: 0 }] : [];
    } else {
      const resource = requireResource(request.resource);
      const listed = await deps.items.listVisibleRows({
        resource,
        userId,
        access,
        limit: Math.min(request.pageSize || defaultPageSize, 1000),
      });
      rows = listed.map((row) => ({
        item: { kind: 'row', resource, row },
        updatedAt: updatedAtOfRow(resource, row),
        score: 0,
      }));
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

  const federated = async (
    request: QueryRequest,
    peer: PeerRecord,
    search: SearchPlan | null,
  ): Promise<SourceResult> => {
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
      let nextPageToken: string | undefined;
      if (search) {
        // Straight to the peer every time: search results are never cached (SPEC §5).
        const found = await client.search({
          query: search.query,
          resources: request.resources,
          pageSize: request.pageSize || defaultPageSize,
          pageToken: request.pageToken,
        });
        items = found.hits.flatMap((hit) =>
          hit.item
            ? [{ item: { kind: 'message', message: hit.item } as const, updatedAt: 0, score: hit.score }]
            : [],
        );
        nextPageToken = found.nextPageToken;
      } else if (request.verb === QueryVerb.GET) {
        try {
          const { item } = await client.get({ resource: request.resource, id: request.id });
          items = item ? [{ item: { kind: 'message', message: item }, updatedAt: 0, score: 0 }] : [];
        } catch (error) {
          if (ConnectError.from(error).code !== Code.NotFound) throw error;
          items = [];
        }
      } else {
        const page = await deps.clients.listWire(peer, {
          resource: request.resource,
          pageSize: request.pageSize || defaultPageSize,
          ...(request.filter ? { filter: request.filter } : {}),
        });
        items = page.items.map((bytes) => ({
          item: { kind: 'bytes', bytes },
          updatedAt: updatedAtOfItemBytes(bytes),
          score: 0,
        }));
      }
      await outcomes.record(peer.id, { ok: true });
      return {
        source: peer.peerHostname,
        items,
        outcome: outcome(SourceStatus.OK, items.length),
        ...(nextPageToken ? { nextPageToken } : {}),
      };
    } catch (error) {
      const wire = ConnectError.from(error);
      const reason = reasonOfConnectError(wire);
      await outcomes.record(peer.id, { ok: false, reason: wire.rawMessage });
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
      if (
        request.verb !== QueryVerb.LIST &&
        request.verb !== QueryVerb.GET &&
        request.verb !== QueryVerb.SEARCH
      ) {
        throw new MosaicError({
          kind: 'invalid_argument',
          message: `verb ${request.verb} is not a query verb.`,
          remedy: 'Use verb LIST, GET or SEARCH.',
        });
      }
      const source = parseSource(request.source);
      const search = request.verb === QueryVerb.SEARCH ? readSearch(request, source) : null;
      // The local read starts before the peer lookup, so `all` waits for max(local, lookup + peers)
      // rather than lookup + max(local, peers). Its failure is observed below, through Promise.all;
      // the catch only keeps it from counting as unhandled while the lookup is still awaited.
      const localPending = source.kind === 'peer' ? undefined : local(request, userId, search);
      localPending?.catch(() => undefined);
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
        ...(localPending ? [localPending] : []),
        ...peers.map((peer) => federated(request, peer, search)),
      ]);
      let items: WireQueryItem[];
      if (search) {
        items = interleaveRankings(results);
      } else {
        const merged = results.flatMap((result) =>
          result.items.map((row) => ({
            item: row.item,
            source: result.source,
            cached: false,
            score: 0,
            updatedAt: row.updatedAt,
          })),
        );
        merged.sort((left, right) => right.updatedAt - left.updatedAt);
        items = merged;
      }
      // A search of one peer pages with that peer's own token; nothing else pages yet.
      const single = search && source.kind === 'peer' && results.length === 1 ? results[0] : undefined;
      const response = {
        items,
        sources: results.map((result) => result.outcome),
        signals: results.flatMap((result) => (result.signal ? [result.signal] : [])),
        nextPageToken: single?.nextPageToken ?? '',
      };
      if (answersBinary(context)) return preEncoded(QueryResponseSchema, encodeQueryResponse(response));
      return { ...response, items: items.map(queryItemMessage) };
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

/**
 * The keywords and resources of a SEARCH, checked before any source is asked. A page token is
 * a peer's own and only meaningful with source federated:<peer>.
 */
function readSearch(request: QueryRequest, source: Source): SearchPlan {
  const query = readSearchQuery(request.query);
  const named = request.resources.map((resource) => {
    const name = resourceFromProto(resource);
    if (!name) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `resources has ${resource}, which is not a resource.`,
        remedy: 'Name resources among tasks, notes, memory, credentials and api_keys, or none to search all.',
      });
    }
    return name;
  });
  if (request.pageToken && source.kind !== 'peer') {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `page_token is not served for a search of source ${request.source}.`,
      remedy:
        'Page a search one peer at a time (source federated:<peer>), or raise page_size; local and all answer one page.',
    });
  }
  const asked = new Set(named);
  return {
    query,
    localResources: asked.size ? resourceNames.filter((name) => asked.has(name)) : [...resourceNames],
  };
}

/**
 * SEARCH across sources: scores are only comparable within one source, so each source's ranking
 * is interleaved: every source's best hit, then every source's second, and so on; within one
 * such round, by score (then by source order, as asked).
 */
function interleaveRankings(results: SourceResult[]): WireQueryItem[] {
  const merged: WireQueryItem[] = [];
  const rounds = Math.max(0, ...results.map((result) => result.items.length));
  for (let position = 0; position < rounds; position += 1) {
    const round = results.flatMap((result) => {
      const row = result.items[position];
      return row ? [{ item: row.item, source: result.source, cached: false, score: row.score }] : [];
    });
    // Array.prototype.sort is stable: equal scores keep the source order.
    round.sort((left, right) => right.score - left.score);
    merged.push(...round);
  }
  return merged;
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

/** A query item as a message, for a JSON answer (whose codec cannot carry pre-encoded bytes). */
function queryItemMessage(entry: WireQueryItem): MessageInitShape<typeof QueryItemSchema> {
  const { item } = entry;
  return {
    item:
      item.kind === 'row'
        ? itemToProto(itemFromRow(resourceColumns[item.resource], item.row))
        : item.kind === 'bytes'
          ? fromBinary(ItemSchema, item.bytes)
          : item.message,
    source: entry.source,
    cached: entry.cached,
    score: entry.score,
  };
}
