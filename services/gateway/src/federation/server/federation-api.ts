import { createHash } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { FederationService, type GetRequest, type ListRequest } from '@mosaic/contracts/v1/federation_pb';
import type { ItemFilter, ItemSchema } from '@mosaic/contracts/v1/items_pb';
import { isUuid, MosaicError, withUnimplemented } from '@mosaic/platform';
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
  getVisible(options: {
    resource: ResourceName;
    id: string;
    userId: string;
    access: ResourceAccess;
  }): Promise<MessageInitShape<typeof ItemSchema> | null>;
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
      const rows = await deps.items.listVisible({
        resource: name,
        userId: grant.subjectUserId,
        access,
        filter,
        limit: limit + 1,
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((row) => row.item),
        nextPageToken: rows.length > limit && last ? deps.pageTokens.issue(binding, last) : '',
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
      ? {
          updatedAfter: new Date(
            Number(filter.updatedAfter.seconds) * 1000 + filter.updatedAfter.nanos / 1e6,
          ),
        }
      : {}),
    ...(filter.tags.length ? { tags: [...filter.tags].sort() } : {}),
  };
}

function filterHash(filter: object): string {
  return createHash('sha256').update(JSON.stringify(filter)).digest('hex').slice(0, 16);
}

export { Resource };
