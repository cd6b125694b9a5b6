import { randomUUID } from 'node:crypto';
import { MosaicError, queryArrays, queryRows, requireUuid } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { type ResourceName, resourceNoun } from './resource-names.js';

export type TaskStatusName = 'open' | 'in_progress' | 'done' | 'cancelled';

/** Who owns an item: a local user personally, or a local team. */
export type ItemOwner = { kind: 'user'; id: string } | { kind: 'team'; id: string };

/**
 * The editable fields of an item. Fields that do not belong to the item's resource are null
 * (a note has no status; only credentials and API keys have a masked value).
 */
export interface ItemContent {
  /** Title; the name of a credential or API key. */
  title: string;
  body: string;
  /** Lowercase labels. */
  tags: string[];
  /** Tasks only. On update, null keeps the stored status. */
  status: TaskStatusName | null;
  dueAt: Date | null;
  /** Credentials only. */
  kind: string | null;
  username: string | null;
  url: string | null;
  /** API keys only. */
  provider: string | null;
  /** Credentials and API keys: the masked rendering. The secret itself is never stored here. */
  maskedValue: string | null;
  expiresAt: Date | null;
}

export interface NewItem extends ItemContent {
  resource: ResourceName;
  owner: ItemOwner;
}

export interface ItemChange extends ItemContent {
  resource: ResourceName;
  id: string;
}

export interface ItemRecord extends ItemContent {
  id: string;
  resource: ResourceName;
  owner: ItemOwner;
  createdAt: Date;
  /** Millisecond precision (the store truncates), so a JS Date is an exact paging key. */
  updatedAt: Date;
}

/** Where a page ends: the (updated_at, id) of its last item. */
export interface ItemKey {
  updatedAt: Date;
  id: string;
}

/**
 * What a caller may see of the user's items, on top of native RBAC (SPEC §4 step 7). It can only
 * narrow: teams the user is not a member of stay invisible whatever this says.
 */
export interface ItemAccess {
  /** false hides the user's personal items. */
  includePersonal: boolean;
  /** null: every team the user belongs to. A list: only those teams (and only those the user belongs to); [] = none. */
  includeTeams: readonly string[] | null;
}

/** The request's own narrowing (ItemFilter): applied after RBAC and access, never widening them. */
export interface ItemListFilter {
  /** Only items of these teams; absent or empty means no team narrowing. Personal items follow includePersonal. */
  teamIds?: readonly string[];
  /** false leaves personal items out; absent or true keeps them (when access allows). */
  includePersonal?: boolean;
  /** Only items modified at or after this time. */
  updatedAfter?: Date;
  /** Only items carrying every one of these tags. */
  tags?: readonly string[];
}

export interface ListVisibleOptions {
  resource: ResourceName;
  userId: string;
  access: ItemAccess;
  filter?: ItemListFilter;
  /** Rows returned at most (ask for one more than the page to learn whether another page follows). */
  limit: number;
  /** The key of the last item of the previous page; omitted for the first page. */
  after?: ItemKey;
}

export interface GetVisibleOptions {
  resource: ResourceName;
  id: string;
  userId: string;
  access: ItemAccess;
}

/** Where a search page ends: the (rank, id) of its last hit. */
export interface SearchKey {
  /** ts_rank of the hit, as a double (exactly as the store returned it: it is compared for equality). */
  rank: number;
  id: string;
}

export interface SearchVisibleOptions {
  /** Resources to search; every one needs its access in `accessByResource`. None: no hits. */
  resources: readonly ResourceName[];
  userId: string;
  /** What may be seen of each searched resource (native RBAC ∩ this, as for listVisible). */
  accessByResource: Partial<Record<ResourceName, ItemAccess>>;
  /**
   * Keywords, parsed by websearch_to_tsquery('simple', …) and always bound as a parameter. Any
   * text is accepted: empty, blank, or yielding no lexeme (only punctuation): no hits, never an error.
   */
  query: string;
  /** Rows returned at most (one more than the page tells whether another page follows). */
  limit: number;
  /** The key of the last hit of the previous page; omitted for the first page. */
  after?: SearchKey;
}

/** A visible item that matches a search, with its relevance (higher is better). */
export interface ItemSearchHit {
  record: ItemRecord;
  rank: number;
}

/** Rows per query at most: max_rows_per_query (10000) plus the one that tells whether a next page exists. */
const maxLimit = 10_001;

/** A column of an item read, by the name it has in the select list. */
export type ItemColumn =
  | 'id'
  | 'resource'
  | 'owner_user_id'
  | 'owner_team_id'
  | 'title'
  | 'body'
  | 'tags'
  | 'created_at_ms'
  | 'updated_at_ms'
  | 'status'
  | 'due_at_ms'
  | 'kind'
  | 'username'
  | 'url'
  | 'provider'
  | 'masked_value'
  | 'expires_at_ms';

/**
 * Timestamps travel as epoch milliseconds (float8, exact for whole milliseconds): parsing a number
 * per column is far cheaper than parsing timestamptz text, and a Date holds milliseconds anyway.
 */
const epochMs = (column: string) => `floor(extract(epoch FROM i.${column}) * 1000)::float8 AS ${column}_ms`;

const columnSql: Record<ItemColumn, string> = {
  id: 'i.id',
  resource: 'i.resource',
  owner_user_id: 'i.owner_user_id',
  owner_team_id: 'i.owner_team_id',
  title: 'i.title',
  body: 'i.body',
  // Tags travel as one JSON value: pg parses json with the native JSON.parse, where its text[]
  // parser builds every tag character by character (a tenth of a List's allocations).
  tags: 'to_json(i.tags) AS tags',
  created_at_ms: epochMs('created_at'),
  updated_at_ms: epochMs('updated_at'),
  status: 'i.status',
  due_at_ms: epochMs('due_at'),
  kind: 'i.kind',
  username: 'i.username',
  url: 'i.url',
  provider: 'i.provider',
  masked_value: 'i.masked_value',
  expires_at_ms: epochMs('expires_at'),
};

/**
 * The item columns a statement selects, in order. Rows are read as arrays (`queryArrays`):
 * `at` is where each column sits in one, -1 for a column the statement leaves out.
 */
export interface ItemColumns {
  readonly names: readonly ItemColumn[];
  /** The select list. */
  readonly sql: string;
  readonly at: Readonly<Record<ItemColumn, number>>;
}

function itemColumns(names: readonly ItemColumn[]): ItemColumns {
  const at = Object.fromEntries(
    (Object.keys(columnSql) as ItemColumn[]).map((name) => [name, names.indexOf(name)]),
  ) as Record<ItemColumn, number>;
  return { names, sql: names.map((name) => columnSql[name]).join(', '), at };
}

const commonColumns: ItemColumn[] = [
  'id',
  'resource',
  'owner_user_id',
  'owner_team_id',
  'title',
  'body',
  'tags',
  'created_at_ms',
  'updated_at_ms',
];

/** What one resource's items carry; reads of a single resource fetch no column it leaves empty. */
export const resourceColumns: Readonly<Record<ResourceName, ItemColumns>> = {
  tasks: itemColumns([...commonColumns, 'status', 'due_at_ms']),
  notes: itemColumns(commonColumns),
  memory: itemColumns(commonColumns),
  credentials: itemColumns([...commonColumns, 'kind', 'username', 'url', 'masked_value', 'expires_at_ms']),
  api_keys: itemColumns([...commonColumns, 'provider', 'masked_value', 'expires_at_ms']),
};

/** Every column, for statements that may return items of any resource. */
const columns = itemColumns([
  ...commonColumns,
  'status',
  'due_at_ms',
  'kind',
  'username',
  'url',
  'provider',
  'masked_value',
  'expires_at_ms',
]);

/**
 * Native RBAC ∩ access ∩ request filter, evaluated in SQL at query time (memberships are read by
 * the same statement, so a removed membership hides the team's items from the next query on).
 * $1 resource, $2 user, $3 personal visible, $4 access teams (NULL = all), $5 filter teams (NULL = all).
 */
const visibleItems = `
  FROM items i
  WHERE i.resource = $1
    AND (
      ($3::boolean AND i.owner_user_id = $2::uuid)
      OR i.owner_team_id IN (
        SELECT m.team_id FROM memberships m
        WHERE m.user_id = $2::uuid
          AND ($4::uuid[] IS NULL OR m.team_id = ANY ($4::uuid[]))
          AND ($5::uuid[] IS NULL OR m.team_id = ANY ($5::uuid[]))
      )
    )`;

/**
 * Native RBAC ∩ access of one searched resource: the same rule as `visibleItems`, with this
 * resource's own parameters ($2 is the user). Only placeholders are generated, never values.
 */
function searchableResource(resource: number, personal: number, teams: number): string {
  return `(i.resource = $${resource}::text
      AND (
        ($${personal}::boolean AND i.owner_user_id = $2::uuid)
        OR i.owner_team_id IN (
          SELECT m.team_id FROM memberships m
          WHERE m.user_id = $2::uuid
            AND ($${teams}::uuid[] IS NULL OR m.team_id = ANY ($${teams}::uuid[]))
        )
      ))`;
}

/**
 * The items of the five resources on this gateway. The read side answers what a user may see
 * (SPEC §4 steps 6-7), one SQL statement per call; nothing is filtered in memory after reading.
 */
export class ItemStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates an item; not_found when the owning user or team does not exist (checked in the same statement). */
  async create(input: NewItem): Promise<ItemRecord> {
    const ownerUserId = input.owner.kind === 'user' ? input.owner.id : null;
    const ownerTeamId = input.owner.kind === 'team' ? input.owner.id : null;
    const rows = await queryArrays(
      this.dataSource,
      `INSERT INTO items AS i (id, resource, owner_user_id, owner_team_id, title, body, tags, status, due_at,
         kind, username, url, provider, masked_value, expires_at)
       SELECT $1::uuid, $2::text, $3::uuid, $4::uuid, $5::text, $6::text, $7::text[], $8::text, $9::timestamptz,
         $10::text, $11::text, $12::text, $13::text, $14::text, $15::timestamptz
       WHERE EXISTS (SELECT 1 FROM users WHERE id = $3::uuid) OR EXISTS (SELECT 1 FROM teams WHERE id = $4::uuid)
       RETURNING ${columns.sql}`,
      [randomUUID(), input.resource, ownerUserId, ownerTeamId, ...contentParams(input)],
    );
    if (!rows[0]) throw ownerNotFound(input.owner);
    return itemFromRow(columns, rows[0]);
  }

  /** Replaces the editable fields; owner and resource stay. Null when no such item of that resource exists. */
  async update(input: ItemChange): Promise<ItemRecord | null> {
    const rows = await queryArrays(
      this.dataSource,
      `UPDATE items AS i SET title = $3, body = $4, tags = $5::text[], status = COALESCE($6::text, i.status),
         due_at = $7, kind = $8, username = $9, url = $10, provider = $11, masked_value = $12, expires_at = $13,
         updated_at = date_trunc('milliseconds', now())
       WHERE i.id = $1 AND i.resource = $2
       RETURNING ${columns.sql}`,
      [requireUuid(input.id, 'id'), input.resource, ...contentParams(input)],
    );
    return rows[0] ? itemFromRow(columns, rows[0]) : null;
  }

  /** Deletes an item; false when no such item of that resource exists. */
  async delete(resource: ResourceName, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      'DELETE FROM items WHERE id = $1 AND resource = $2 RETURNING id',
      [requireUuid(id, 'id'), resource],
    );
    return rows.length === 1;
  }

  /** An item whoever owns it: for the local admin API only, never for a user- or peer-facing read. */
  async getUnscoped(resource: ResourceName, id: string): Promise<ItemRecord | null> {
    const rows = await queryArrays(
      this.dataSource,
      `SELECT ${columns.sql} FROM items i WHERE i.id = $1 AND i.resource = $2`,
      [requireUuid(id, 'id'), resource],
    );
    return rows[0] ? itemFromRow(columns, rows[0]) : null;
  }

  /**
   * The items of `resource` the user may see through `access`, narrowed by `filter`, newest change
   * first: ordered by (updated_at DESC, id DESC) and paged by that key.
   */
  async listVisible(options: ListVisibleOptions): Promise<ItemRecord[]> {
    const layout = resourceColumns[options.resource];
    return (await this.listVisibleRows(options)).map((row) => itemFromRow(layout, row));
  }

  /**
   * The rows behind `listVisible`, as read: arrays in the order of `resourceColumns[resource]`,
   * for a reader that renders them itself (the federation List writes them straight to the wire).
   */
  async listVisibleRows(options: ListVisibleOptions): Promise<unknown[][]> {
    const statement = listVisibleStatement(options);
    return queryArrays(this.dataSource, statement.text, statement.values);
  }

  /**
   * One item if the user may see it through `access`; null when it does not exist and when it is
   * not visible alike, from the same statement, so callers cannot tell the two apart.
   */
  async getVisible(options: GetVisibleOptions): Promise<ItemRecord | null> {
    const layout = resourceColumns[options.resource];
    const rows = await queryArrays(
      this.dataSource,
      `SELECT ${layout.sql} ${visibleItems} AND i.id = $6::uuid`,
      [...visibilityParams(options, {}), requireUuid(options.id, 'id')],
    );
    return rows[0] ? itemFromRow(layout, rows[0]) : null;
  }

  /**
   * Full-text search over the items of `resources` the user may see, each resource through its
   * own access (native RBAC ∩ access, as listVisible, in the same one statement): the stored
   * `search_vector` (title weight A, body and tags B) against websearch_to_tsquery('simple', query),
   * best first: ordered by (ts_rank DESC, id DESC) and paged by that key.
   */
  async searchVisible(options: SearchVisibleOptions): Promise<ItemSearchHit[]> {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > maxLimit) {
      throw new RangeError(`limit must be an integer from 1 to ${maxLimit}, not ${options.limit}`);
    }
    const resources = [...new Set(options.resources)];
    const userId = requireUuid(options.userId, 'user_id');
    const after = options.after
      ? { rank: options.after.rank, id: requireUuid(options.after.id, 'id') }
      : null;
    if (after && !Number.isFinite(after.rank))
      throw new RangeError(`after.rank must be finite, not ${after.rank}`);
    // PostgreSQL text cannot hold NUL, and no stored item contains one: it separates words like a space.
    const query = options.query.replaceAll('\u0000', ' ');
    if (resources.length === 0 || query.trim() === '') return [];
    const params: unknown[] = [query, userId, after?.rank ?? null, after?.id ?? null, options.limit];
    const predicates = resources.map((resource) => {
      const access = options.accessByResource[resource];
      if (!access) throw new RangeError(`no access given for searched resource ${resource}`);
      params.push(
        resource,
        access.includePersonal,
        access.includeTeams === null
          ? null
          : access.includeTeams.map((id) => requireUuid(id, 'include_teams')),
      );
      return searchableResource(params.length - 2, params.length - 1, params.length);
    });
    // ts_rank is a real; as a double it converts exactly and survives a JS number both ways, so
    // the keyset comparison sees the very value it ordered by. numnode() = 0: the query has no
    // lexeme (blank or punctuation only), which matches nothing.
    const rows = await queryArrays(
      this.dataSource,
      `SELECT hit.* FROM (
         SELECT ${columns.sql}, ts_rank(i.search_vector, q.query)::double precision AS rank
         FROM items i, websearch_to_tsquery('simple', $1::text) AS q (query)
         WHERE numnode(q.query) > 0
           AND i.search_vector @@ q.query
           AND (${predicates.join('\n             OR ')})
       ) hit
       WHERE $3::double precision IS NULL OR (hit.rank, hit.id) < ($3::double precision, $4::uuid)
       ORDER BY hit.rank DESC, hit.id DESC
       LIMIT $5`,
      params,
    );
    // The rank follows the item's columns.
    const rankAt = columns.names.length;
    return rows.map((row) => ({ record: itemFromRow(columns, row), rank: Number(row[rankAt]) }));
  }

  /** The teams the user belongs to now (native RBAC's team part). */
  async visibleTeamIds(userId: string): Promise<string[]> {
    const rows = await queryRows<{ team_id: string }>(
      this.dataSource,
      'SELECT team_id FROM memberships WHERE user_id = $1 ORDER BY team_id',
      [requireUuid(userId, 'user_id')],
    );
    return rows.map((row) => row.team_id);
  }
}

/** The paging key of an item: pass the last item of a page as `after` for the next one. */
export function itemKey(item: ItemRecord): ItemKey {
  return { updatedAt: item.updatedAt, id: item.id };
}

/** `itemKey` of a row read with `layout`'s columns. */
export function itemKeyOfRow(layout: ItemColumns, row: readonly unknown[]): ItemKey {
  return { updatedAt: new Date(row[layout.at.updated_at_ms] as number), id: row[layout.at.id] as string };
}

/**
 * The one statement behind `listVisible`, exported so the benchmark ceilings (bench/) run exactly
 * the query the federation List runs: this is a `pg` query config, rows read as arrays included.
 */
export function listVisibleStatement(options: ListVisibleOptions): {
  text: string;
  values: unknown[];
  rowMode: 'array';
} {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > maxLimit) {
    throw new RangeError(`limit must be an integer from 1 to ${maxLimit}, not ${options.limit}`);
  }
  const filter = options.filter ?? {};
  const after = options.after
    ? { updatedAt: options.after.updatedAt, id: requireUuid(options.after.id, 'id') }
    : null;
  return {
    text: `SELECT ${resourceColumns[options.resource].sql} ${visibleItems}
         AND ($6::timestamptz IS NULL OR i.updated_at >= $6::timestamptz)
         AND i.tags @> $7::text[]
         AND ($8::timestamptz IS NULL OR (i.updated_at, i.id) < ($8::timestamptz, $9::uuid))
       ORDER BY i.updated_at DESC, i.id DESC
       LIMIT $10`,
    values: [
      ...visibilityParams(options, filter),
      filter.updatedAfter ?? null,
      (filter.tags ?? []).map((tag) => tag.trim().toLowerCase()),
      after?.updatedAt ?? null,
      after?.id ?? null,
      options.limit,
    ],
    rowMode: 'array',
  };
}

/** $1-$5 of `visibleItems`. */
function visibilityParams(
  options: { resource: ResourceName; userId: string; access: ItemAccess },
  filter: ItemListFilter,
): unknown[] {
  const filterTeams = filter.teamIds?.length ? filter.teamIds.map((id) => requireUuid(id, 'team_ids')) : null;
  return [
    options.resource,
    requireUuid(options.userId, 'user_id'),
    options.access.includePersonal && filter.includePersonal !== false,
    options.access.includeTeams === null
      ? null
      : options.access.includeTeams.map((id) => requireUuid(id, 'include_teams')),
    filterTeams,
  ];
}

/** Parameters of the editable fields, in the order title, body, tags, status, due_at, kind, username, url, provider, masked_value, expires_at. */
function contentParams(content: ItemContent): unknown[] {
  return [
    content.title,
    content.body,
    content.tags,
    content.status,
    content.dueAt,
    content.kind,
    content.username,
    content.url,
    content.provider,
    content.maskedValue,
    content.expiresAt,
  ];
}

/** An item from a row read as an array, with the columns of the statement that read it. */
export function itemFromRow(layout: ItemColumns, row: readonly unknown[]): ItemRecord {
  const { at } = layout;
  const value = (column: ItemColumn) => (at[column] < 0 ? null : (row[at[column]] ?? null));
  const ownerUserId = value('owner_user_id') as string | null;
  return {
    id: value('id') as string,
    resource: value('resource') as ResourceName,
    owner: ownerUserId
      ? { kind: 'user', id: ownerUserId }
      : { kind: 'team', id: value('owner_team_id') as string },
    title: value('title') as string,
    body: value('body') as string,
    tags: (value('tags') as string[] | null) ?? [],
    status: value('status') as TaskStatusName | null,
    dueAt: dateOf(value('due_at_ms')),
    kind: value('kind') as string | null,
    username: value('username') as string | null,
    url: value('url') as string | null,
    provider: value('provider') as string | null,
    maskedValue: value('masked_value') as string | null,
    expiresAt: dateOf(value('expires_at_ms')),
    createdAt: dateOf(value('created_at_ms'))!,
    updatedAt: dateOf(value('updated_at_ms'))!,
  };
}

function dateOf(epochMs: unknown): Date | null {
  return epochMs === null ? null : new Date(epochMs as number);
}

function ownerNotFound(owner: ItemOwner): MosaicError {
  return new MosaicError({
    kind: 'not_found',
    message: `${owner.kind} ${owner.id} does not exist on this gateway.`,
    remedy:
      owner.kind === 'user'
        ? 'Pick an owner from `mosaic user list`, or create the user first (`mosaic user create`).'
        : 'Pick an owner from `mosaic team list`, or create the team first (`mosaic team create`).',
  });
}

/** not_found for an item the admin API was asked to change. */
export function itemNotFound(resource: ResourceName, id: string): MosaicError {
  return new MosaicError({
    kind: 'not_found',
    message: `${resourceNoun(resource)} ${id} does not exist on this gateway.`,
    remedy: 'Check the resource and the id (as returned when the item was created or listed).',
  });
}
