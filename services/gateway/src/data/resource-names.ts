import { Resource } from '@mosaic/contracts/v1/common_pb';
import type { Item } from '@mosaic/contracts/v1/items_pb';

/** The five resources by their scope names (SPEC §4), in canonical order; also the `items.resource` values. */
export const resourceNames = ['tasks', 'notes', 'memory', 'credentials', 'api_keys'] as const;

export type ResourceName = (typeof resourceNames)[number];

/** The case of the `Item.item` oneof that carries each resource. */
export type ItemCase = NonNullable<Item['item']['case']>;

const protoByName: Readonly<Record<ResourceName, Resource>> = {
  tasks: Resource.TASKS,
  notes: Resource.NOTES,
  memory: Resource.MEMORY,
  credentials: Resource.CREDENTIALS,
  api_keys: Resource.API_KEYS,
};

const caseByName: Readonly<Record<ResourceName, ItemCase>> = {
  tasks: 'task',
  notes: 'note',
  memory: 'memory',
  credentials: 'credential',
  api_keys: 'apiKey',
};

const nounByName: Readonly<Record<ResourceName, string>> = {
  tasks: 'task',
  notes: 'note',
  memory: 'memory entry',
  credentials: 'credential',
  api_keys: 'API key',
};

const nameByProto: ReadonlyMap<Resource, ResourceName> = new Map(
  resourceNames.map((name) => [protoByName[name], name]),
);

const nameByCase: ReadonlyMap<ItemCase, ResourceName> = new Map(
  resourceNames.map((name) => [caseByName[name], name]),
);

export function isResourceName(value: unknown): value is ResourceName {
  return typeof value === 'string' && (resourceNames as readonly string[]).includes(value);
}

export function resourceToProto(name: ResourceName): Resource {
  return protoByName[name];
}

/** The scope name of a protobuf resource; null for RESOURCE_UNSPECIFIED and numbers this build does not know. */
export function resourceFromProto(resource: Resource): ResourceName | null {
  return nameByProto.get(resource) ?? null;
}

export function itemCaseOf(name: ResourceName): ItemCase {
  return caseByName[name];
}

/** The resource an `Item` oneof case carries; null when no case is set. */
export function resourceOfItemCase(itemCase: Item['item']['case']): ResourceName | null {
  return itemCase === undefined ? null : (nameByCase.get(itemCase) ?? null);
}

/** A resource name for messages: "task", "api key", … */
export function resourceNoun(name: ResourceName): string {
  return nounByName[name];
}
