import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  CreateItemRequest,
  CreateItemResponseSchema,
  DeleteItemRequest,
  DeleteItemResponseSchema,
  UpdateItemRequest,
  UpdateItemResponseSchema,
} from '@mosaic/contracts/v1/admin_pb';
import { MosaicError, requireUuid } from '@mosaic/platform';
import { type ItemStore, itemNotFound } from './item-store.js';
import { itemFromProto, itemToProto } from './item-views.js';
import { resourceFromProto } from './resource-names.js';

// The local writes of AdminService (CreateItem, UpdateItem, DeleteItem): this gateway's own data
// only, never another gateway's. Owner existence is checked by the store's INSERT itself.

export async function createItem(
  store: ItemStore,
  request: CreateItemRequest,
): Promise<MessageInitShape<typeof CreateItemResponseSchema>> {
  const created = await store.create(itemFromProto(request.item, 'create'));
  return { item: itemToProto(created) };
}

export async function updateItem(
  store: ItemStore,
  request: UpdateItemRequest,
): Promise<MessageInitShape<typeof UpdateItemResponseSchema>> {
  const { owner, ...change } = itemFromProto(request.item, 'update');
  if (owner) {
    // Owner and resource stay: refuse a request that believes otherwise rather than ignore it.
    const current = await store.getUnscoped(change.resource, change.id);
    if (!current) throw itemNotFound(change.resource, change.id);
    if (current.owner.kind !== owner.kind || current.owner.id !== owner.id) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `the owner of ${change.id} cannot change (it is ${current.owner.kind} ${current.owner.id}).`,
        remedy:
          'Leave the owner unset or unchanged; to move the item, create it under the new owner and delete this one.',
      });
    }
  }
  const updated = await store.update(change);
  if (!updated) throw itemNotFound(change.resource, change.id);
  return { item: itemToProto(updated) };
}

export async function deleteItem(
  store: ItemStore,
  request: DeleteItemRequest,
): Promise<MessageInitShape<typeof DeleteItemResponseSchema>> {
  const resource = resourceFromProto(request.resource);
  if (!resource) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `resource ${request.resource} is not a resource this gateway knows.`,
      remedy: 'Set resource to one of tasks, notes, memory, credentials, api_keys.',
    });
  }
  const id = requireUuid(request.id, 'id');
  if (!(await store.delete(resource, id))) throw itemNotFound(resource, id);
  return { id };
}
