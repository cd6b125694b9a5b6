import { resourceNames, sensitiveResources } from './resources.js';

/** `max_rows_per_query` when the scope does not set it. */
export const defaultMaxRowsPerQuery = 500;
/** The largest page a scope may allow. */
export const maxRowsPerQueryLimit = 10_000;
/** `excluded_resources` when the scope does not set it (minus anything explicitly granted). */
export const defaultExcludedResources: readonly string[] = sensitiveResources;

/** A team id: a UUID in 8-4-4-4-12 form, either case (stored lowercase). */
export const uuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * `x-rule` names the scope rule a failing value breaks, so an error maps to its rule by the schema
 * node it failed in rather than by the shape of its path. It is an annotation: it validates nothing.
 */
export const ruleKeyword = 'x-rule';

const resourceName = {
  description: 'A resource name.',
  enum: [...resourceNames],
  [ruleKeyword]: 'resource',
};

const resourceFilter = {
  description: 'Narrows native RBAC for one resource; it can never widen it.',
  type: 'object',
  additionalProperties: false,
  properties: {
    include_teams: {
      description:
        'Only items of these teams stay visible. Absent: every team of the subject user; []: no team.',
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', pattern: uuidPattern, [ruleKeyword]: 'uuid' },
    },
    include_personal: {
      description: "Whether the subject user's personal items stay visible.",
      type: 'boolean',
      default: true,
    },
  },
};

/**
 * JSON Schema (draft-07, as ajv reads it by default) of a grant scope in its documented JSON form
 * (SPEC §4). Unknown keys are refused at every level. What a schema cannot say (resources and
 * excluded_resources disjoint, filters only for granted resources, team ids unique regardless of
 * case) is checked next to it in scope-problems.ts.
 */
export const scopeJsonSchema = {
  title: 'Mosaic Federation grant scope',
  type: 'object',
  additionalProperties: false,
  required: ['resources'],
  properties: {
    resources: {
      description: 'Resources the grant may read; credentials and api_keys need --allow-sensitive.',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: resourceName,
    },
    filters: {
      description: 'Per-resource filters; only granted resources may carry one.',
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(resourceNames.map((name) => [name, resourceFilter])),
    },
    excluded_resources: {
      description:
        'Resources always refused. Absent or empty: credentials and api_keys, minus any of them granted.',
      type: 'array',
      uniqueItems: true,
      items: resourceName,
    },
    max_rows_per_query: {
      description: 'Largest page of any single request.',
      type: 'integer',
      minimum: 1,
      maximum: maxRowsPerQueryLimit,
      default: defaultMaxRowsPerQuery,
      [ruleKeyword]: 'range',
    },
  },
} as const;
