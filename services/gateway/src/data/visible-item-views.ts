import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import { MosaicError } from '@mosaic/platform';
import {
  type GetVisibleOptions,
  type ItemKey,
  type ItemStore,
  itemKeyOfRow,
  type ListVisibleOptions,
  resourceColumns,
  type SearchKey,
  type SearchVisibleOptions,
} from './item-store.js';
import { itemToProto } from './item-views.js';
import { encodeItemsField } from './item-wire.js';

/** A visible item rendered for the wire, with the key that pages after it. */
export interface VisibleItemView extends ItemKey {
  item: MessageInitShape<typeof ItemSchema>;
}

/** A search hit rendered for the wire; `rank` is its score and, with `id`, the key that pages after it. */
export interface SearchHitView extends SearchKey {
  item: MessageInitShape<typeof ItemSchema>;
}

/** Characters of a search query at most (the contract's 1..512). */
export const searchQueryMaxChars = 512;

/**
 * The keywords of a search request, trimmed: invalid_argument when blank (the contract asks for
 * 1..512 characters of plain text) or too long. Anything else is searched as given, bound as a
 * parameter; text without a searchable word (only punctuation) finds nothing.
 */
export function readSearchQuery(value: string, field = 'query'): string {
  const query = value.trim();
  if (query === '') {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `${field} is empty: a search needs at least one keyword.`,
      remedy: `Pass one or more words to look for in titles, bodies and tags, for example "${field}": "deploy checklist".`,
    });
  }
  if ([...query].length > searchQueryMaxChars) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `${field} has ${[...query].length} characters; at most ${searchQueryMaxChars} are allowed.`,
      remedy: 'Search with a few distinctive keywords instead of a whole passage.',
    });
  }
  return query;
}

/**
 * The store's visible reads rendered as contract items: what the federation and query verbs
 * answer with. Visibility is the store's (one SQL statement per call); this only renders.
 */
export class VisibleItemViews {
  constructor(private readonly store: ItemStore) {}

  async listVisible(options: ListVisibleOptions): Promise<VisibleItemView[]> {
    const records = await this.store.listVisible(options);
    return records.map((record) => ({
      item: itemToProto(record),
      updatedAt: record.updatedAt,
      id: record.id,
    }));
  }

  /** The rows behind `listVisible`, for a reader that writes them to the wire itself (query-wire.ts). */
  listVisibleRows(options: ListVisibleOptions): Promise<unknown[][]> {
    return this.store.listVisibleRows(options);
  }

  /**
   * The same items as `listVisible`, the first `pageSize` of them written straight to the wire as
   * the repeated Item field numbered `fieldNumber` (item-wire.ts), and the key of the page's last
   * item when another row follows it (`options.limit` is one more than the page to learn that).
   */
  async listVisibleEncoded(
    options: ListVisibleOptions,
    page: { size: number; fieldNumber: number },
  ): Promise<{ items: Uint8Array; nextKey: ItemKey | undefined }> {
    const rows = await this.store.listVisibleRows(options);
    const last = rows.length > page.size ? rows[page.size - 1] : undefined;
    return {
      items: encodeItemsField(page.fieldNumber, options.resource, rows, page.size),
      nextKey: last ? itemKeyOfRow(resourceColumns[options.resource], last) : undefined,
    };
  }

  async getVisible(options: GetVisibleOptions): Promise<MessageInitShape<typeof ItemSchema> | null> {
    const record = await this.store.getVisible(options);
    return record ? itemToProto(record) : null;
  }

  /** Hits best first (rank, then id, descending). */
  async searchVisible(options: SearchVisibleOptions): Promise<SearchHitView[]> {
    const hits = await this.store.searchVisible(options);
    return hits.map((hit) => ({ item: itemToProto(hit.record), rank: hit.rank, id: hit.record.id }));
  }
}
