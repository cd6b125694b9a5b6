import { create } from '@bufbuild/protobuf';
import {
  Resource,
  type ResourceFilter,
  type Scope,
  type ScopeFilters,
  ScopeSchema,
} from '@mosaic/contracts/v1/common_pb';
import { type ResourceName, resourceFromProto, resourceNames, resourceToProto } from './resources.js';
import type { NormalizedScope, ResourceFilterJson } from './scope.js';

type FilterField = Exclude<keyof ScopeFilters, '$typeName' | '$unknown'>;

/** The ScopeFilters field of each resource (the JSON key `api_keys` is the field `apiKeys`). */
const filterField: Readonly<Record<ResourceName, FilterField>> = {
  tasks: 'tasks',
  notes: 'notes',
  memory: 'memory',
  credentials: 'credentials',
  api_keys: 'apiKeys',
};

/** A normalised scope as the protobuf message: every default explicit, so responses show what is enforced. */
export function scopeToProto(scope: NormalizedScope): Scope {
  const filters: Partial<
    Record<FilterField, { includeTeams?: { teamIds: string[] }; includePersonal: boolean }>
  > = {};
  for (const name of scope.resources) {
    const filter = scope.filters[name];
    if (!filter) continue;
    filters[filterField[name]] = {
      ...(filter.include_teams === null ? {} : { includeTeams: { teamIds: [...filter.include_teams] } }),
      includePersonal: filter.include_personal,
    };
  }
  return create(ScopeSchema, {
    resources: scope.resources.map(resourceToProto),
    filters,
    excludedResources: scope.excluded_resources.map(resourceToProto),
    maxRowsPerQuery: scope.max_rows_per_query,
  });
}

/**
 * A protobuf scope in the JSON form, to be validated by validateScope like any scope file. Unset
 * means absent: no filters message, an empty excluded list and max_rows_per_query 0 leave their key
 * out, so the defaults apply. A resource number this build does not name becomes a string the
 * schema refuses ("RESOURCE_UNSPECIFIED", "unknown resource number 9"), so the problem is reported
 * with its path like any other.
 */
export function scopeFromProto(scope: Scope): unknown {
  const json: Record<string, unknown> = { resources: scope.resources.map(resourceJsonName) };
  if (scope.filters) {
    const filters: Record<string, ResourceFilterJson> = {};
    for (const name of resourceNames) {
      const filter: ResourceFilter | undefined = scope.filters[filterField[name]];
      if (!filter) continue;
      filters[name] = {
        ...(filter.includeTeams ? { include_teams: [...filter.includeTeams.teamIds] } : {}),
        ...(filter.includePersonal === undefined ? {} : { include_personal: filter.includePersonal }),
      };
    }
    json.filters = filters;
  }
  if (scope.excludedResources.length > 0) {
    json.excluded_resources = scope.excludedResources.map(resourceJsonName);
  }
  if (scope.maxRowsPerQuery !== 0) json.max_rows_per_query = scope.maxRowsPerQuery;
  return json;
}

function resourceJsonName(resource: Resource): string {
  const name = resourceFromProto(resource);
  if (name) return name;
  return resource === Resource.UNSPECIFIED ? 'RESOURCE_UNSPECIFIED' : `unknown resource number ${resource}`;
}
