import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import type { GetVisibleOptions, ItemKey, ItemStore, ListVisibleOptions } from './item-store.js';
import { itemToProto } from './item-views.js';

/** A visible item rendered for the wire, with the key that pages after it. */
export interface VisibleItemView extends ItemKey {
  item: MessageInitShape<typeof ItemSchema>;
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

  async getVisible(options: GetVisibleOptions): Promise<MessageInitShape<typeof ItemSchema> | null> {
    const record = await this.store.getVisible(options);
    return record ? itemToProto(record) : null;
  }
}
