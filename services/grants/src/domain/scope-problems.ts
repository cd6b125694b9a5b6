import type { ErrorObject } from 'ajv';
import { isResourceName, resourceNames } from './resources.js';
import type { ScopeProblem, ScopeRule } from './scope-errors.js';
import { maxRowsPerQueryLimit, ruleKeyword } from './scope-schema.js';

const resourceList = resourceNames.join(', ');
const exampleUuid = '3f2b6c1e-8d4a-4e7b-9c1f-2a5d8e9b0c47';

/** Turns ajv's errors (run with allErrors and verbose) into scope problems, one per violation. */
export function problemsFromSchemaErrors(errors: readonly ErrorObject[], root: unknown): ScopeProblem[] {
  return errors.flatMap((error) => problemsFromSchemaError(error, root));
}

function problemsFromSchemaError(error: ErrorObject, root: unknown): ScopeProblem[] {
  const at = pathOfPointer(error.instancePath, root);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      if (at === 'filters') return [filterNotGranted(key, null)];
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      return [{ path: joinPath(at, key), rule: 'unknown_key', message: unknownKeyMessage(key, allowed) }];
    }
    case 'required':
      return [
        {
          path: joinPath(at, String(error.params.missingProperty)),
          rule: 'required',
          message: `is required: list the resources to grant, e.g. ["tasks", "notes"] (use any of ${resourceList})`,
        },
      ];
    case 'minItems':
      return [
        {
          path: at,
          rule: 'non_empty',
          message: `must list at least one resource (use any of ${resourceList})`,
        },
      ];
    case 'uniqueItems':
      return duplicateProblems(at, Array.isArray(error.data) ? error.data : [], (value) =>
        JSON.stringify(value),
      );
    default: {
      const rule = (error.parentSchema?.[ruleKeyword] as ScopeRule | undefined) ?? 'type';
      return [{ path: at, rule, message: valueMessage(rule, error) }];
    }
  }
}

function valueMessage(rule: ScopeRule, error: ErrorObject): string {
  const value = error.data;
  switch (rule) {
    case 'resource':
      return `${render(value)} is not a resource (use one of ${resourceList})`;
    case 'uuid':
      return `${render(value)} is not a team id (must be a UUID such as ${exampleUuid})`;
    case 'range':
      return `must be an integer from 1 to ${maxRowsPerQueryLimit} (got ${render(value)})`;
    default:
      if (error.keyword !== 'type') return `${error.message ?? 'is invalid'} (got ${render(value)})`;
      return `${typeMessage(String(error.params.type))} (got ${render(value)})`;
  }
}

function typeMessage(expected: string): string {
  switch (expected) {
    case 'object':
      return 'must be a JSON object';
    case 'array':
      return 'must be a list';
    case 'boolean':
      return 'must be true or false';
    default:
      return `must be a ${expected}`;
  }
}

/**
 * The rules a JSON Schema cannot express, checked on the raw input so they are reported together
 * with the schema's problems. Each check looks only at values of the right shape; a value of the
 * wrong shape is already a schema problem.
 */
export function crossFieldProblems(input: unknown): ScopeProblem[] {
  if (!isPlainObject(input)) return [];
  const problems: ScopeProblem[] = [];
  const granted = Array.isArray(input.resources)
    ? [...new Set(input.resources.filter(isResourceName))]
    : null;

  if (granted && Array.isArray(input.excluded_resources)) {
    input.excluded_resources.forEach((value, index, all) => {
      if (isResourceName(value) && granted.includes(value) && all.indexOf(value) === index) {
        problems.push({
          path: joinPath('excluded_resources', index),
          rule: 'disjoint',
          message: `"${value}" is both granted (in resources) and excluded; remove it from one of the two lists`,
        });
      }
    });
  }

  if (isPlainObject(input.filters)) {
    for (const [key, filter] of Object.entries(input.filters)) {
      if (!isResourceName(key) || (granted && !granted.includes(key))) {
        problems.push(filterNotGranted(key, granted));
      }
      if (isPlainObject(filter) && Array.isArray(filter.include_teams)) {
        const teams = joinPath(joinPath('filters', key), 'include_teams');
        problems.push(
          ...duplicateProblems(teams, filter.include_teams, (value) =>
            typeof value === 'string' ? value.toLowerCase() : JSON.stringify(value),
          ),
        );
      }
    }
  }
  return problems;
}

function filterNotGranted(key: string, granted: readonly string[] | null): ScopeProblem {
  const why = isResourceName(key)
    ? `"${key}" is not in resources${granted ? ` (granted: ${granted.join(', ') || 'none'})` : ''}`
    : `"${key}" is not a resource (use one of ${resourceList})`;
  return {
    path: joinPath('filters', key),
    rule: 'filter_granted',
    message: `filters may only name granted resources; ${why}`,
  };
}

/** One problem per repeated item, at the repeat, naming where the value first appeared. */
function duplicateProblems(
  at: string,
  items: readonly unknown[],
  keyOf: (value: unknown) => string,
): ScopeProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: ScopeProblem[] = [];
  items.forEach((value, index) => {
    const key = keyOf(value);
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
      return;
    }
    problems.push({
      path: joinPath(at, index),
      rule: 'unique',
      message: `${render(value)} is listed more than once (first at ${joinPath(at, first)})`,
    });
  });
  return problems;
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const suggestion = closest(key, allowed);
  return `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; allowed keys here: ${allowed.join(', ')}`;
}

/** The allowed key a typo most likely meant: same letters in another case, or at most two edits away. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of allowed) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Problems in a stable reading order: by top-level key as the format lists them, then by path. */
export function sortProblems(problems: readonly ScopeProblem[]): ScopeProblem[] {
  const order = ['', 'resources', 'filters', 'excluded_resources', 'max_rows_per_query'];
  const rank = (path: string) => {
    const top = /^[^.[]*/.exec(path)?.[0] ?? '';
    const index = order.indexOf(top);
    return index === -1 ? order.length : index;
  };
  return [...problems].sort(
    (a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path, 'en', { numeric: true }),
  );
}

/** Keeps the first problem of each (path, rule): two checks may find the same violation. */
export function uniqueProblems(problems: readonly ScopeProblem[]): ScopeProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.path}\u0000${problem.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `/filters/tasks/include_teams/0` → `filters.tasks.include_teams[0]`, walking the data to tell list indexes from keys. */
function pathOfPointer(pointer: string, root: unknown): string {
  if (pointer === '') return '';
  let path = '';
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      path = joinPath(path, Number(segment));
      node = node[Number(segment)];
    } else {
      path = joinPath(path, segment);
      node = isPlainObject(node) ? node[segment] : undefined;
    }
  }
  return path;
}

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** A value as it appears in a message: JSON for scalars (long strings cut), a word for containers. */
function render(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'an object';
  if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) return `a ${typeof value}`;
  const json = JSON.stringify(value);
  return json.length > 64 ? `${json.slice(0, 60)}…"` : json;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
