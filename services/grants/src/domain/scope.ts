import { Ajv } from 'ajv';
import { locateJsonSyntaxError } from './json-position.js';
import { isSensitiveResource, type ResourceName, sensitiveResources, sortResources } from './resources.js';
import { ScopeInvalidError, SensitiveScopeError } from './scope-errors.js';
import {
  crossFieldProblems,
  problemsFromSchemaErrors,
  sortProblems,
  uniqueProblems,
} from './scope-problems.js';
import { defaultMaxRowsPerQuery, ruleKeyword, scopeJsonSchema } from './scope-schema.js';

export {
  isResourceName,
  isSensitiveResource,
  type ResourceName,
  resourceFromProto,
  resourceNames,
  resourceToProto,
  sensitiveResources,
  sortResources,
} from './resources.js';
export {
  formatProblem,
  isScopeInvalidError,
  isSensitiveScopeError,
  ScopeInvalidError,
  type ScopeProblem,
  type ScopeRule,
  SensitiveScopeError,
} from './scope-errors.js';
export { scopeFromProto, scopeToProto } from './scope-proto.js';
export {
  defaultExcludedResources,
  defaultMaxRowsPerQuery,
  maxRowsPerQueryLimit,
  scopeJsonSchema,
} from './scope-schema.js';

/** One resource's filter as an operator writes it (SPEC §4). */
export interface ResourceFilterJson {
  include_teams?: string[];
  include_personal?: boolean;
}

/** A scope in its documented JSON form, as written in a `--scope-file` (SPEC §4). */
export interface ScopeJson {
  resources: ResourceName[];
  filters?: Partial<Record<ResourceName, ResourceFilterJson>>;
  excluded_resources?: ResourceName[];
  max_rows_per_query?: number;
}

/** A resource filter with its defaults filled in. */
export interface NormalizedFilter {
  /** Only items of these teams (lowercase, sorted); null = every team the subject user belongs to; [] = no team. */
  include_teams: string[] | null;
  include_personal: boolean;
}

/** The stored form: every default filled in, sorted, deduplicated — what the grant is enforced with. */
export interface NormalizedScope {
  /** In `resourceNames` order. */
  resources: ResourceName[];
  /** One filter for every granted resource (defaults where the scope gave none), none for anything else. */
  filters: Partial<Record<ResourceName, NormalizedFilter>>;
  /** In `resourceNames` order; absent or empty in the input means credentials and api_keys minus any granted. */
  excluded_resources: ResourceName[];
  max_rows_per_query: number;
}

export interface ValidateScopeOptions {
  /** The operator confirmed granting credentials / api_keys (`--allow-sensitive`). */
  allowSensitive: boolean;
  /**
   * Resources the grant already has (on update): a sensitive resource listed here was confirmed
   * before and needs no new confirmation. Only resources a scope adds need `allowSensitive`.
   */
  alreadyGranted?: readonly ResourceName[];
}

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
ajv.addKeyword(ruleKeyword);
const matchesSchema = ajv.compile<ScopeJson>(scopeJsonSchema);

/** JSON.parse for a scope file: bad JSON is a ScopeInvalidError (rule `json`) naming line and column. */
export function parseScopeJson(text: string): unknown {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    const { line, column, description } = locateJsonSyntaxError(source, error);
    throw new ScopeInvalidError([
      {
        path: '',
        rule: 'json',
        message: `is not valid JSON (line ${line}, column ${column}: ${description})`,
      },
    ]);
  }
}

/**
 * Validates a scope in its JSON form and returns its normalised form. Every problem is collected
 * (the schema's and the cross-field rules') and thrown at once as a ScopeInvalidError; only a valid
 * scope is then checked for sensitive resources (SensitiveScopeError without `allowSensitive`).
 */
export function validateScope(input: unknown, options: ValidateScopeOptions): NormalizedScope {
  const schemaProblems = matchesSchema(input)
    ? []
    : problemsFromSchemaErrors(matchesSchema.errors ?? [], input);
  const problems = sortProblems(uniqueProblems([...schemaProblems, ...crossFieldProblems(input)]));
  if (problems.length > 0) throw new ScopeInvalidError(problems);

  const scope = input as ScopeJson;
  const unconfirmed = scope.resources.filter(
    (name) => isSensitiveResource(name) && !options.alreadyGranted?.includes(name),
  );
  if (unconfirmed.length > 0 && !options.allowSensitive) {
    throw new SensitiveScopeError(sortResources(unconfirmed));
  }
  return normalizeScope(scope);
}

/** Fills every default of a scope that passed validation. */
function normalizeScope(scope: ScopeJson): NormalizedScope {
  const resources = sortResources(scope.resources);
  const filters: Partial<Record<ResourceName, NormalizedFilter>> = {};
  for (const name of resources) {
    const filter = scope.filters?.[name];
    filters[name] = {
      include_teams: filter?.include_teams
        ? [...new Set(filter.include_teams.map((team) => team.toLowerCase()))].sort()
        : null,
      include_personal: filter?.include_personal ?? true,
    };
  }
  const explicit = scope.excluded_resources ?? [];
  return {
    resources,
    filters,
    excluded_resources:
      explicit.length > 0
        ? sortResources(explicit)
        : sensitiveResources.filter((name) => !resources.includes(name)),
    max_rows_per_query: scope.max_rows_per_query ?? defaultMaxRowsPerQuery,
  };
}

/** The JSON form of a normalised scope, for display and `--json`; validating it gives the same scope back. */
export function scopeToJson(scope: NormalizedScope): ScopeJson {
  const filters: Partial<Record<ResourceName, ResourceFilterJson>> = {};
  for (const name of scope.resources) {
    const filter = scope.filters[name];
    if (!filter) continue;
    filters[name] = {
      ...(filter.include_teams === null ? {} : { include_teams: [...filter.include_teams] }),
      include_personal: filter.include_personal,
    };
  }
  return {
    resources: [...scope.resources],
    filters,
    excluded_resources: [...scope.excluded_resources],
    max_rows_per_query: scope.max_rows_per_query,
  };
}

/** Access rule step 5 (SPEC §4): the resource is granted and not excluded. */
export function scopeAllowsResource(scope: NormalizedScope, resource: ResourceName): boolean {
  return scope.resources.includes(resource) && !scope.excluded_resources.includes(resource);
}
