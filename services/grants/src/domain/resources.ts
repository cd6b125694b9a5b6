import { Resource } from '@mosaic/contracts/v1/common_pb';

/** The kinds of data a grant can expose, in their canonical order (SPEC §4). */
export const resourceNames = ['tasks', 'notes', 'memory', 'credentials', 'api_keys'] as const;

export type ResourceName = (typeof resourceNames)[number];

/** Resources whose grant needs an explicit `--allow-sensitive` and that are excluded by default. */
export const sensitiveResources: readonly ResourceName[] = ['credentials', 'api_keys'];

const protoByName: Readonly<Record<ResourceName, Resource>> = {
  tasks: Resource.TASKS,
  notes: Resource.NOTES,
  memory: Resource.MEMORY,
  credentials: Resource.CREDENTIALS,
  api_keys: Resource.API_KEYS,
};

const nameByProto: ReadonlyMap<Resource, ResourceName> = new Map(
  resourceNames.map((name) => [protoByName[name], name]),
);

export function isResourceName(value: unknown): value is ResourceName {
  return typeof value === 'string' && (resourceNames as readonly string[]).includes(value);
}

export function isSensitiveResource(name: ResourceName): boolean {
  return sensitiveResources.includes(name);
}

export function resourceToProto(name: ResourceName): Resource {
  return protoByName[name];
}

/** The scope name of a protobuf resource; null for RESOURCE_UNSPECIFIED and numbers this build does not know. */
export function resourceFromProto(resource: Resource): ResourceName | null {
  return nameByProto.get(resource) ?? null;
}

/** Sorts resource names into the canonical order of `resourceNames`. */
export function sortResources(names: Iterable<ResourceName>): ResourceName[] {
  return [...names].sort((a, b) => resourceNames.indexOf(a) - resourceNames.indexOf(b));
}
