import { createHash } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { type Timestamp, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@connectrpc/connect';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import {
  FederationService,
  type GetRequest,
  type ListRequest,
  type SearchRequest,
} from '@mosaic/contracts/v1/federation_pb';
import type { ItemFilter, ItemSchema } from '@mosaic/contracts/v1/items_pb';
import { isUuid, MosaicError, withUnimplemented } from '@mosaic/platform';
import { resourceNames } from '../../data/resource-names.js';
import { readSearchQuery } from '../../data/visible-item-views.js';
import { answersBinary, encodedListResponse, listItemsField } from './encoded-list-response.js';
import { admittedGrantKey } from './federation-context.js';
import {
  type NormalizedGrant,
  type ResourceAccess,
  type ResourceName,
  resourceNameOf,
  resourceRefused,
} from './grant-access.js';
import type { PageTokens } from './page-token.js';

/** The read side of the local data the federation verbs need (native RBAC ∩ scope, in SQL). */
export interface VisibleItems {
  listVisible(options: {
    resource: ResourceName;
    userId: string;
    access: ResourceAccess;
    filter?: { teamIds?: string[]; includePersonal?: boolean; updatedAfter?: Date; tags?: string[] };
    limit: number;
    after?: { updatedAt: Date; id: string };
  }): Promise<Array<{ item: MessageInitShape<typeof ItemSchema>; updatedAt: Date; id: string }>>;
  /**
   * The same items as `listVisible`, the first `page.size` already encoded as the repeated Item
   * field `page.fieldNumber`, and the key of the page's last item when another row follows it.
   */
  listVisibleEncoded(
    options: Parameters<VisibleItems['listVisible']>[0],
    page: { size: number; fieldNumber: number },
  ): Promise<{ items: Uint8Array; nextKey: { updatedAt: Date; id: string } | undefined }>;
  getVisible(options: {
    resource: ResourceName;
    id: string;
    userId: string;
    access: ResourceAccess;
  }): Promise<MessageInitShape<typeof ItemSchema> | null>;
  /** Hits best first, each resource read through its own access, in one statement. */
  searchVisible(options: {
    resources: ResourceName[];
    userId: string;
    accessByResource: Partial<Record<ResourceName, ResourceAccess>>;
    query: string;
    limit: number;
    after?: { rank: number; id: string };
  }): Promise<Array<{ item: MessageInitShape<typeof ItemSchema>; rank: number; id: string }>>;
}

/**
 * The peer-facing verbs. The interceptors already admitted the grant (steps 1–4); each handler
 * checks the resource against the scope (5), reads through native RBAC ∩ scope filters (6–7) and
 * caps the page at max_rows_per_query (8).
 */
export function federationApi(deps: { items: VisibleItems; pageTokens: PageTokens; serverVersion: string }) {
  const admitted = (context: HandlerContext): NormalizedGrant => {
    const grant = context.values.get(admittedGrantKey);
    if (!grant) throw new Error('federation handler reached without an admitted grant');
    return grant;
  };
  const accessFor = (
    grant: NormalizedGrant,
    resource: Resource,
  ): { name: ResourceName; access: ResourceAccess } => {
    const refusal = resourceRefused(grant, resource);
    if (refusal) throw refusal;
    const name = resourceNameOf[resource]!;
    return { name, access: grant.access[name]! };
  };

  return withUnimplemented(FederationService, {
    async list(request: ListRequest, context) {
      const grant = admitted(context);
      const { name, access } = accessFor(grant, request.resource);
      const limit = Math.min(request.pageSize || grant.maxRowsPerQuery, grant.maxRowsPerQuery);
      const filter = readFilter(request.filter);
      const binding = `${grant.id}|${name}|${filterHash(filter)}`;
      const after = request.pageToken ? deps.pageTokens.read(binding, request.pageToken) : undefined;
      const query = {
        resource: name,
        userId: grant.subjectUserId,
        access,
        filter,
        limit: limit + 1,
        ...(after ? { after } : {}),
      };
      if (answersBinary(context)) {
        const { items, nextKey } = await deps.items.listVisibleEncoded(query, {
          size: limit,
          fieldNumber: listItemsField,
        });
        return encodedListResponse(items, nextKey ? deps.pageTokens.issue(binding, nextKey) : '');
      }
      const rows = await deps.items.listVisible(query);
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return {
        items: rows.slice(0, limit).map((row) => row.item),
        nextPageToken: last ? deps.pageTokens.issue(binding, last) : '',
      };
    },

    async get(request: GetRequest, context) {
      const grant = admitted(context);
      const { name, access } = accessFor(grant, request.resource);
      // The same answer for an item that does not exist and one outside the grant: never reveal existence.
      const notFound = new MosaicError({
        kind: 'not_found',
        message: `no ${name} item ${request.id.slice(0, 40)} is visible to this grant.`,
        remedy: 'List the resource to see what this grant can read.',
      });
      if (!isUuid(request.id)) throw notFound;
      const item = await deps.items.getVisible({
        resource: name,
        id: request.id,
        userId: grant.subjectUserId,
        access,
      });
      if (!item) throw notFound;
      return { item };
    },

    async search(request: SearchRequest, context) {
      const grant = admitted(context);
      const resources = searchableResources(grant, request.resources);
      const query = readSearchQuery(request.query);
      const limit = Math.min(request.pageSize || grant.maxRowsPerQuery, grant.maxRowsPerQuery);
      const binding = `search|${grant.id}|${resources.join(',')}|${createHash('sha256').update(query).digest('hex')}`;
      const after = request.pageToken ? deps.pageTokens.readRanked(binding, request.pageToken) : undefined;
      const rows = await deps.items.searchVisible({
        resources,
        userId: grant.subjectUserId,
        accessByResource: Object.fromEntries(resources.map((name) => [name, grant.access[name]!])),
        query,
        limit: limit + 1,
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        hits: page.map((row) => ({ item: row.item, score: row.rank })),
        nextPageToken: rows.length > limit && last ? deps.pageTokens.issueRanked(binding, last) : '',
      };
    },

    async capabilities(_request, context) {
      const grant = admitted(context);
      return {
        grantId: grant.id,
        subjectUserId: grant.subjectUserId,
        status: grant.status,
        ...(grant.scope ? { scope: grant.scope } : {}),
        allowedResources: [...grant.allowed].map(
          (name) =>
            Number(Object.entries(resourceNameOf).find(([, value]) => value === name)![0]) as Resource,
        ),
        rateLimit: { limitRpm: grant.rateLimitRpm },
        ...(grant.certificateNotAfter
          ? { certificateNotAfter: timestampFromDate(grant.certificateNotAfter) }
          : {}),
        serverVersion: deps.serverVersion,
      };
    },
  });
}

/**
 * The resources a search runs over, in canonical order: the requested ones the grant allows (the
 * others are skipped, never searched), or every allowed one when none is named. 403 with
 * resource_not_in_scope, as List and Get, when nothing allowed remains.
 */
function searchableResources(grant: NormalizedGrant, requested: readonly Resource[]): ResourceName[] {
  const asked = [...new Set(requested)];
  const askedNames = new Set(asked.map((resource) => resourceNameOf[resource]));
  const names = resourceNames.filter(
    (name) => grant.allowed.has(name) && (asked.length === 0 || askedNames.has(name)),
  );
  if (names.length > 0) return names;
  if (asked.length === 1) throw resourceRefused(grant, asked[0]!)!;
  const named = asked.map((resource) => resourceNameOf[resource] ?? `resource ${resource}`);
  throw new MosaicError({
    kind: 'permission_denied',
    reason: 'resource_not_in_scope',
    message:
      asked.length === 0
        ? `grant ${grant.id} allows no resource to search.`
        : `none of ${named.join(', ')} is in the scope of grant ${grant.id}.`,
    // The remedy lists what the grant allows, whichever resource was refused.
    remedy: resourceRefused(grant, Resource.UNSPECIFIED)!.remedy,
  });
}

function readFilter(filter: ItemFilter | undefined) {
  if (!filter) return {};
  for (const teamId of filter.teamIds) {
    if (!isUuid(teamId)) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `filter.team_ids has "${teamId.slice(0, 40)}", which is not a team id.`,
        remedy: 'Pass team UUIDs.',
      });
    }
  }
  return {
    ...(filter.teamIds.length ? { teamIds: [...filter.teamIds].sort() } : {}),
    ...(filter.includePersonal !== undefined ? { includePersonal: filter.includePersonal } : {}),
    ...(filter.updatedAfter
      ? { updatedAfter: readTimestamp(filter.updatedAfter, 'filter.updated_after') }
      : {}),
    ...(filter.tags.length ? { tags: [...filter.tags].sort() } : {}),
  };
}

/** The range protobuf's Timestamp allows (0001-01-01 to 9999-12-31 UTC); beyond it a date is meaningless. */
const timestampSeconds = { min: -62_135_596_800n, max: 253_402_300_799n };

function readTimestamp(timestamp: Timestamp, field: string): Date {
  const { seconds, nanos } = timestamp;
  if (seconds < timestampSeconds.min || seconds > timestampSeconds.max || nanos < 0 || nanos > 999_999_999) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `${field} is outside the range of a timestamp (seconds ${String(seconds).slice(0, 24)}, nanos ${nanos}).`,
      remedy: 'Pass a time between 0001-01-01 and 9999-12-31 UTC, with nanos from 0 to 999999999.',
    });
  }
  return new Date(Number(seconds) * 1000 + nanos / 1e6);
}

function filterHash(filter: object): string {
  return createHash('sha256').update(JSON.stringify(filter)).digest('hex').slice(0, 16);
}
