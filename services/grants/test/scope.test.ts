import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Resource, ScopeSchema } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import {
  isScopeInvalidError,
  isSensitiveScopeError,
  type NormalizedScope,
  parseScopeJson,
  type ScopeInvalidError,
  type ScopeRule,
  type SensitiveScopeError,
  scopeFromProto,
  scopeToJson,
  scopeToProto,
  validateScope,
} from '../src/domain/index.js';

const teamA = '3f2b6c1e-8d4a-4e7b-9c1f-2a5d8e9b0c47';
const teamB = '9a1d7e52-0c3b-4f68-8e21-5b7c9d0f1a36';

/** What `grant create` does with a scope file: parse the text, then validate it. */
function createScope(scope: unknown, options = { allowSensitive: false }): NormalizedScope {
  return validateScope(typeof scope === 'string' ? parseScopeJson(scope) : scope, options);
}

/** Runs `act` and returns the error it threw; fails the test when nothing is thrown. */
function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return expect.fail('the scope was accepted');
}

function invalid(act: () => unknown): ScopeInvalidError {
  const error = thrownBy(act);
  if (!isScopeInvalidError(error)) throw error;
  return error;
}

interface InvalidCase {
  name: string;
  /** A value is validated as is; a string is a scope file's text (parsed first). */
  scope: unknown;
  path: string;
  rule: ScopeRule;
  /** Words of the message that name the rule. */
  says: string;
}

const invalidCases: InvalidCase[] = [
  {
    name: 'an unknown resource',
    scope: { resources: ['tasks', 'calendar'] },
    path: 'resources[1]',
    rule: 'resource',
    says: '"calendar" is not a resource (use one of tasks, notes, memory, credentials, api_keys)',
  },
  {
    name: 'a resource that is not a string',
    scope: { resources: [3] },
    path: 'resources[0]',
    rule: 'resource',
    says: '3 is not a resource',
  },
  {
    name: 'empty resources',
    scope: { resources: [] },
    path: 'resources',
    rule: 'non_empty',
    says: 'must list at least one resource',
  },
  {
    name: 'missing resources',
    scope: { max_rows_per_query: 10 },
    path: 'resources',
    rule: 'required',
    says: 'is required',
  },
  {
    name: 'resources not a list',
    scope: { resources: 'tasks' },
    path: 'resources',
    rule: 'type',
    says: 'must be a list',
  },
  {
    name: 'a duplicate resource',
    scope: { resources: ['tasks', 'notes', 'tasks'] },
    path: 'resources[2]',
    rule: 'unique',
    says: '"tasks" is listed more than once (first at resources[0])',
  },
  {
    name: 'a resource both granted and excluded',
    scope: { resources: ['tasks', 'notes'], excluded_resources: ['memory', 'notes'] },
    path: 'excluded_resources[1]',
    rule: 'disjoint',
    says: '"notes" is both granted (in resources) and excluded',
  },
  {
    name: 'a sensitive resource granted and explicitly excluded',
    scope: { resources: ['credentials'], excluded_resources: ['credentials'] },
    path: 'excluded_resources[0]',
    rule: 'disjoint',
    says: '"credentials" is both granted',
  },
  {
    name: 'an unknown excluded resource',
    scope: { resources: ['tasks'], excluded_resources: ['secrets'] },
    path: 'excluded_resources[0]',
    rule: 'resource',
    says: '"secrets" is not a resource',
  },
  {
    name: 'a duplicate excluded resource',
    scope: { resources: ['tasks'], excluded_resources: ['api_keys', 'api_keys'] },
    path: 'excluded_resources[1]',
    rule: 'unique',
    says: '"api_keys" is listed more than once (first at excluded_resources[0])',
  },
  {
    name: 'a filter for a resource not granted',
    scope: { resources: ['tasks'], filters: { notes: { include_personal: false } } },
    path: 'filters.notes',
    rule: 'filter_granted',
    says: 'filters may only name granted resources; "notes" is not in resources',
  },
  {
    name: 'a filter for something that is not a resource',
    scope: { resources: ['tasks'], filters: { calendar: {} } },
    path: 'filters.calendar',
    rule: 'filter_granted',
    says: 'filters may only name granted resources; "calendar" is not a resource',
  },
  {
    name: 'filters not an object',
    scope: { resources: ['tasks'], filters: ['tasks'] },
    path: 'filters',
    rule: 'type',
    says: 'must be a JSON object',
  },
  {
    name: 'an unknown top-level key',
    scope: { resources: ['tasks'], max_rows: 50 },
    path: 'max_rows',
    rule: 'unknown_key',
    says: 'unknown key "max_rows"',
  },
  {
    name: 'an unknown filter key',
    scope: { resources: ['tasks'], filters: { tasks: { include_team: [teamA] } } },
    path: 'filters.tasks.include_team',
    rule: 'unknown_key',
    says: 'unknown key "include_team" (did you mean "include_teams"?)',
  },
  {
    name: 'include_teams with an id that is not a UUID',
    scope: { resources: ['tasks'], filters: { tasks: { include_teams: [teamA, 'engineering'] } } },
    path: 'filters.tasks.include_teams[1]',
    rule: 'uuid',
    says: '"engineering" is not a team id (must be a UUID',
  },
  {
    name: 'include_teams with an id that is not a string',
    scope: { resources: ['notes'], filters: { notes: { include_teams: [42] } } },
    path: 'filters.notes.include_teams[0]',
    rule: 'uuid',
    says: '42 is not a team id',
  },
  {
    name: 'include_teams not a list',
    scope: { resources: ['tasks'], filters: { tasks: { include_teams: teamA } } },
    path: 'filters.tasks.include_teams',
    rule: 'type',
    says: 'must be a list',
  },
  {
    name: 'duplicate team ids',
    scope: { resources: ['memory'], filters: { memory: { include_teams: [teamA, teamB, teamA] } } },
    path: 'filters.memory.include_teams[2]',
    rule: 'unique',
    says: `"${teamA}" is listed more than once (first at filters.memory.include_teams[0])`,
  },
  {
    name: 'duplicate team ids that differ only in case',
    scope: { resources: ['memory'], filters: { memory: { include_teams: [teamA.toUpperCase(), teamA] } } },
    path: 'filters.memory.include_teams[1]',
    rule: 'unique',
    says: `"${teamA}" is listed more than once`,
  },
  {
    name: 'include_personal not a boolean',
    scope: { resources: ['notes'], filters: { notes: { include_personal: 'yes' } } },
    path: 'filters.notes.include_personal',
    rule: 'type',
    says: 'must be true or false (got "yes")',
  },
  ...[0, 10_001, 1.5, '10', -1, null].map(
    (value): InvalidCase => ({
      name: `max_rows_per_query ${JSON.stringify(value)}`,
      scope: { resources: ['tasks'], max_rows_per_query: value },
      path: 'max_rows_per_query',
      rule: 'range',
      says: `must be an integer from 1 to 10000 (got ${JSON.stringify(value)})`,
    }),
  ),
  ...[null, [], 42, true].map(
    (value): InvalidCase => ({
      name: `a scope that is not an object (${JSON.stringify(value)})`,
      scope: value,
      path: '',
      rule: 'type',
      says: 'must be a JSON object',
    }),
  ),
  {
    name: 'a scope file that is a list, not an object',
    scope: '["tasks"]',
    path: '',
    rule: 'type',
    says: 'must be a JSON object (got a list)',
  },
  {
    name: 'a scope file that is a string, not an object',
    scope: '"tasks"',
    path: '',
    rule: 'type',
    says: 'must be a JSON object',
  },
  {
    name: 'invalid JSON text (trailing comma)',
    scope: '{\n  "resources": ["tasks"],\n}\n',
    path: '',
    rule: 'json',
    says: 'is not valid JSON (line 3, column 1',
  },
  {
    name: 'invalid JSON text (bare word)',
    scope: '{"resources": [tasks]}',
    path: '',
    rule: 'json',
    says: 'is not valid JSON (line 1, column 16: unexpected "tasks")',
  },
  {
    name: 'invalid JSON text (truncated)',
    scope: '{"resources": ["tasks"',
    path: '',
    rule: 'json',
    says: 'is not valid JSON (line 1, column 23',
  },
  {
    name: 'an empty scope file',
    scope: '',
    path: '',
    rule: 'json',
    says: 'is not valid JSON (line 1, column 1: the text is empty)',
  },
  {
    name: 'a protobuf scope with RESOURCE_UNSPECIFIED',
    scope: scopeFromProto(create(ScopeSchema, { resources: [Resource.TASKS, Resource.UNSPECIFIED] })),
    path: 'resources[1]',
    rule: 'resource',
    says: '"RESOURCE_UNSPECIFIED" is not a resource',
  },
  {
    name: 'a protobuf scope with a resource number this build does not know',
    scope: scopeFromProto(create(ScopeSchema, { resources: [9 as Resource] })),
    path: 'resources[0]',
    rule: 'resource',
    says: '"unknown resource number 9" is not a resource',
  },
];

describe('M2-7: a scope with an unknown resource (and every other invalid scope rule) is rejected at grant create with a message naming the rule', () => {
  for (const tc of invalidCases) {
    it(`refuses ${tc.name} (${tc.rule} at ${tc.path || '(scope)'})`, () => {
      const error = invalid(() => createScope(tc.scope));
      expect(error.kind).to.equal('invalid_argument');
      expect(error.name).to.equal('ScopeInvalidError');
      expect(error.problems).to.have.length(1);
      const [problem] = error.problems;
      expect(problem).to.include({ path: tc.path, rule: tc.rule });
      expect(problem!.message).to.include(tc.says);
      const shownPath = tc.path === '' ? '(scope)' : tc.path;
      expect(error.message).to.include(`${shownPath}: ${tc.says}`);
      expect(error.message).to.include(`[rule ${tc.rule}]`);
      expect(error.remedy).to.include('"resources"').and.to.include('max_rows_per_query');
    });
  }

  it('reports every problem of a scope, not just the first, one per line in reading order', () => {
    const error = invalid(() =>
      createScope({ resources: ['tasks', 'calendar'], filters: { notes: {} }, max_rows_per_query: 0 }),
    );
    expect(error.problems.map(({ path, rule }) => ({ path, rule }))).to.deep.equal([
      { path: 'resources[1]', rule: 'resource' },
      { path: 'filters.notes', rule: 'filter_granted' },
      { path: 'max_rows_per_query', rule: 'range' },
    ]);
    const lines = error.message.split('\n');
    expect(lines[0]).to.equal('The scope is invalid (3 problems):');
    expect(lines.slice(1)).to.have.length(3);
    expect(lines[1]).to.include('resources[1]: "calendar" is not a resource');
    expect(lines[2]).to.include('filters.notes: filters may only name granted resources');
    expect(lines[3]).to.include('max_rows_per_query: must be an integer from 1 to 10000');
  });

  it('reports each repeat and each overlap on its own', () => {
    const error = invalid(() =>
      createScope({
        resources: ['tasks', 'notes', 'tasks', 'notes'],
        excluded_resources: ['tasks', 'notes', 'memory'],
      }),
    );
    expect(error.problems.map(({ path, rule }) => `${rule} ${path}`)).to.deep.equal([
      'unique resources[2]',
      'unique resources[3]',
      'disjoint excluded_resources[0]',
      'disjoint excluded_resources[1]',
    ]);
  });

  it('checks the scope before the sensitive confirmation: an invalid scope with credentials is a ScopeInvalidError', () => {
    const error = invalid(() => createScope({ resources: ['credentials'], max_rows_per_query: 0 }));
    expect(error.problems.map((problem) => problem.rule)).to.deep.equal(['range']);
  });
});

describe('scope normalisation', () => {
  it('fills every default of a minimal scope and sorts resources into their canonical order', () => {
    expect(createScope({ resources: ['memory', 'tasks'] })).to.deep.equal({
      resources: ['tasks', 'memory'],
      filters: {
        tasks: { include_teams: null, include_personal: true },
        memory: { include_teams: null, include_personal: true },
      },
      excluded_resources: ['credentials', 'api_keys'],
      max_rows_per_query: 500,
    });
  });

  it('validates and normalises the SPEC §4 example scope', () => {
    const text = JSON.stringify({
      resources: ['tasks', 'notes', 'memory'],
      filters: {
        tasks: { include_teams: [teamA], include_personal: true },
        notes: { include_personal: true, include_teams: [] },
      },
      excluded_resources: ['credentials', 'api_keys'],
      max_rows_per_query: 500,
    });
    expect(createScope(text)).to.deep.equal({
      resources: ['tasks', 'notes', 'memory'],
      filters: {
        tasks: { include_teams: [teamA], include_personal: true },
        notes: { include_teams: [], include_personal: true },
        memory: { include_teams: null, include_personal: true },
      },
      excluded_resources: ['credentials', 'api_keys'],
      max_rows_per_query: 500,
    });
  });

  it('keeps "all the user\'s teams" (include_teams absent → null) apart from "no team" ([])', () => {
    const scope = createScope({
      resources: ['tasks', 'notes'],
      filters: { tasks: { include_personal: false }, notes: { include_teams: [] } },
    });
    expect(scope.filters.tasks).to.deep.equal({ include_teams: null, include_personal: false });
    expect(scope.filters.notes).to.deep.equal({ include_teams: [], include_personal: true });
  });

  it('stores team ids lowercase and sorted', () => {
    const scope = createScope({
      resources: ['tasks'],
      filters: { tasks: { include_teams: [teamB, teamA.toUpperCase()] } },
    });
    expect(scope.filters.tasks?.include_teams).to.deep.equal([teamA, teamB]);
  });

  it('keeps an explicit exclusion list as given (sorted), without adding the defaults', () => {
    const scope = createScope({ resources: ['tasks'], excluded_resources: ['memory', 'notes'] });
    expect(scope.excluded_resources).to.deep.equal(['notes', 'memory']);
  });

  it('treats an empty exclusion list like an absent one (the contract: empty means the default)', () => {
    expect(createScope({ resources: ['tasks'], excluded_resources: [] }).excluded_resources).to.deep.equal([
      'credentials',
      'api_keys',
    ]);
  });

  it('drops an explicitly granted sensitive resource from the default exclusion only', () => {
    const allowSensitive = { allowSensitive: true };
    expect(createScope({ resources: ['api_keys'] }, allowSensitive).excluded_resources).to.deep.equal([
      'credentials',
    ]);
    expect(
      createScope({ resources: ['credentials', 'api_keys'] }, allowSensitive).excluded_resources,
    ).to.deep.equal([]);
  });

  it('keeps max_rows_per_query at the bounds', () => {
    expect(createScope({ resources: ['tasks'], max_rows_per_query: 1 }).max_rows_per_query).to.equal(1);
    expect(createScope({ resources: ['tasks'], max_rows_per_query: 10_000 }).max_rows_per_query).to.equal(
      10_000,
    );
  });

  it('accepts a scope file with a byte-order mark and leaves the input untouched', () => {
    expect(createScope('\uFEFF{"resources":["notes"]}').resources).to.deep.equal(['notes']);
    const input = { resources: ['notes', 'tasks'], filters: { tasks: { include_teams: [teamB, teamA] } } };
    const copy = structuredClone(input);
    createScope(input);
    expect(input).to.deep.equal(copy);
  });
});

describe('scope round trip through protobuf and JSON', () => {
  const scopes: { name: string; scope: unknown }[] = [
    { name: 'minimal', scope: { resources: ['tasks'] } },
    {
      name: 'SPEC §4 example',
      scope: {
        resources: ['tasks', 'notes', 'memory'],
        filters: {
          tasks: { include_teams: [teamA], include_personal: true },
          notes: { include_personal: true, include_teams: [] },
        },
        excluded_resources: ['credentials', 'api_keys'],
        max_rows_per_query: 500,
      },
    },
    {
      name: 'everything set',
      scope: {
        resources: ['api_keys', 'memory', 'notes'],
        filters: { memory: { include_teams: [teamB, teamA], include_personal: false }, api_keys: {} },
        excluded_resources: ['tasks'],
        max_rows_per_query: 10_000,
      },
    },
    { name: 'both sensitive resources granted', scope: { resources: ['credentials', 'api_keys'] } },
  ];

  for (const { name, scope } of scopes) {
    it(`NormalizedScope → proto (over the wire) → scopeFromProto → validateScope is the same scope: ${name}`, () => {
      const normalized = createScope(scope, { allowSensitive: true });
      const wire = fromBinary(ScopeSchema, toBinary(ScopeSchema, scopeToProto(normalized)));
      expect(validateScope(scopeFromProto(wire), { allowSensitive: true })).to.deep.equal(normalized);
    });

    it(`NormalizedScope → scopeToJson → validateScope is the same scope: ${name}`, () => {
      const normalized = createScope(scope, { allowSensitive: true });
      const json = JSON.parse(JSON.stringify(scopeToJson(normalized)));
      expect(validateScope(json, { allowSensitive: true })).to.deep.equal(normalized);
    });
  }

  it('writes every default into the protobuf message', () => {
    const proto = scopeToProto(
      createScope({ resources: ['notes'], filters: { notes: { include_teams: [] } } }),
    );
    expect(proto.resources).to.deep.equal([Resource.NOTES]);
    expect(proto.filters?.notes?.includeTeams?.teamIds).to.deep.equal([]);
    expect(proto.filters?.notes?.includePersonal).to.equal(true);
    expect(proto.filters?.tasks).to.equal(undefined);
    expect(proto.excludedResources).to.deep.equal([Resource.CREDENTIALS, Resource.API_KEYS]);
    expect(proto.maxRowsPerQuery).to.equal(500);
  });

  it('reads unset protobuf fields as absent keys, so the defaults apply (max_rows_per_query 0 = server default)', () => {
    const json = scopeFromProto(create(ScopeSchema, { resources: [Resource.MEMORY], maxRowsPerQuery: 0 }));
    expect(json).to.deep.equal({ resources: ['memory'] });
    expect(validateScope(json, { allowSensitive: false }).max_rows_per_query).to.equal(500);
  });

  it('reads a filter with include_teams unset as "all teams" and with an empty team list as "no team"', () => {
    const json = scopeFromProto(
      create(ScopeSchema, {
        resources: [Resource.TASKS, Resource.NOTES],
        filters: { tasks: { includePersonal: false }, notes: { includeTeams: { teamIds: [] } } },
      }),
    );
    expect(validateScope(json, { allowSensitive: false }).filters).to.deep.equal({
      tasks: { include_teams: null, include_personal: false },
      notes: { include_teams: [], include_personal: true },
    });
  });
});

describe('sensitive scope (credentials, api_keys)', () => {
  function sensitive(act: () => unknown): SensitiveScopeError {
    const error = thrownBy(act);
    if (!isSensitiveScopeError(error)) throw error;
    return error;
  }

  for (const resource of ['credentials', 'api_keys'] as const) {
    it(`refuses to grant ${resource} without allowSensitive`, () => {
      const error = sensitive(() => createScope({ resources: ['tasks', resource] }));
      expect(error.kind).to.equal('failed_precondition');
      expect(error.resources).to.deep.equal([resource]);
      expect(error.message).to.include(resource);
      expect(error.remedy).to.include('--allow-sensitive');
    });
  }

  it('grants credentials with allowSensitive, and credentials is then not excluded', () => {
    const scope = createScope({ resources: ['tasks', 'credentials'] }, { allowSensitive: true });
    expect(scope.resources).to.deep.equal(['tasks', 'credentials']);
    expect(scope.excluded_resources).to.deep.equal(['api_keys']);
    expect(scope.excluded_resources).not.to.include('credentials');
  });

  it('names both sensitive resources when both are granted', () => {
    const error = sensitive(() => createScope({ resources: ['api_keys', 'credentials'] }));
    expect(error.resources).to.deep.equal(['credentials', 'api_keys']);
  });

  it('needs no new confirmation for a sensitive resource the grant already has (scope update)', () => {
    const options = { allowSensitive: false, alreadyGranted: ['credentials'] as const };
    expect(validateScope({ resources: ['credentials', 'notes'] }, options).resources).to.deep.equal([
      'notes',
      'credentials',
    ]);
    const error = sensitive(() => validateScope({ resources: ['credentials', 'api_keys'] }, options));
    expect(error.resources).to.deep.equal(['api_keys']);
  });
});
