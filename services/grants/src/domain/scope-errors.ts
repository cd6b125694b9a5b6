import { MosaicError } from '@mosaic/platform';
import type { ResourceName } from './resources.js';

/**
 * The rule a scope problem breaks, in words a person can look up:
 * - `json`: the text is not JSON
 * - `type`: a value has the wrong JSON type (the scope itself must be an object)
 * - `unknown_key`: a key the format does not have
 * - `required`: `resources` is missing
 * - `non_empty`: `resources` is empty
 * - `unique`: a list names the same value twice
 * - `resource`: not one of the five resource names
 * - `uuid`: a team id that is not a UUID
 * - `range`: `max_rows_per_query` is not an integer from 1 to 10000
 * - `disjoint`: a resource both granted and excluded
 * - `filter_granted`: a filter for a resource the scope does not grant
 */
export type ScopeRule =
  | 'json'
  | 'type'
  | 'unknown_key'
  | 'required'
  | 'non_empty'
  | 'unique'
  | 'resource'
  | 'uuid'
  | 'range'
  | 'disjoint'
  | 'filter_granted';

/** One violation: where (dotted path, `resources[2]`, `filters.tasks.include_teams[0]`; '' is the scope itself), which rule, and what is wrong. */
export interface ScopeProblem {
  path: string;
  rule: ScopeRule;
  /** What is wrong, without the path (the path is its own field; ScopeInvalidError's message joins them). */
  message: string;
}

const scopeFormat =
  '{"resources": ["tasks", ...], "filters": {"<resource>": {"include_teams": ["<team uuid>"], ' +
  '"include_personal": true}}, "excluded_resources": [...], "max_rows_per_query": 1..10000}';

/** The scope is refused: every problem found is listed, each with its path and rule. */
export class ScopeInvalidError extends MosaicError {
  override readonly name = 'ScopeInvalidError';
  readonly problems: ScopeProblem[];

  constructor(problems: ScopeProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super({
      kind: 'invalid_argument',
      message: [`The scope is invalid (${count}):`, ...problems.map(formatProblem)].join('\n'),
      remedy: `Fix every problem listed and retry. A scope has the form ${scopeFormat} (SPEC §4).`,
    });
    this.problems = problems;
  }
}

export function isScopeInvalidError(value: unknown): value is ScopeInvalidError {
  return value instanceof ScopeInvalidError;
}

/** One line of ScopeInvalidError's message: `  - <path>: <message> [rule <rule>]`. */
export function formatProblem(problem: ScopeProblem): string {
  return `  - ${problem.path === '' ? '(scope)' : problem.path}: ${problem.message} [rule ${problem.rule}]`;
}

/** A valid scope grants credentials or api_keys, but the operator did not confirm it. */
export class SensitiveScopeError extends MosaicError {
  override readonly name = 'SensitiveScopeError';
  /** The sensitive resources the scope grants. */
  readonly resources: ResourceName[];

  constructor(resources: ResourceName[]) {
    const listed = resources.join(' and ');
    super({
      kind: 'failed_precondition',
      message: `The scope grants ${listed}: this hands secrets to the requesting gateway and needs an explicit confirmation.`,
      remedy: `Re-run with --allow-sensitive to confirm (the confirmation is audited), or remove ${listed} from resources.`,
    });
    this.resources = resources;
  }
}

export function isSensitiveScopeError(value: unknown): value is SensitiveScopeError {
  return value instanceof SensitiveScopeError;
}
