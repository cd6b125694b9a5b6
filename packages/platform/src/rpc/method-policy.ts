import type { DescMethod, DescService } from '@bufbuild/protobuf';

/** Who may call a method. There is no default: a method missing from the table is refused at start. */
export type CallerRule =
  | { kind: 'public' }
  | { kind: 'internal'; callers: readonly string[] }
  | { kind: 'admin' }
  | { kind: 'user' };

export type MethodPolicyTable = ReadonlyMap<string, CallerRule>;

export function methodKey(service: Pick<DescService, 'typeName'>, method: Pick<DescMethod, 'name'>): string {
  return `${service.typeName}/${method.name}`;
}

/**
 * Builds the table for one service from its descriptor: every method gets `rule` unless `overrides`
 * names it. Overrides for methods the descriptor lacks are refused (a typo would silently allow nothing).
 */
export function policyForService(
  service: DescService,
  rule: CallerRule,
  overrides: Record<string, CallerRule> = {},
): Map<string, CallerRule> {
  const names = new Set(service.methods.map((method) => method.name));
  const unknown = Object.keys(overrides).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(`policy for ${service.typeName} names unknown methods: ${unknown.join(', ')}`);
  }
  return new Map(
    service.methods.map((method) => [methodKey(service, method), overrides[method.name] ?? rule]),
  );
}

export function mergePolicies(...tables: ReadonlyMap<string, CallerRule>[]): Map<string, CallerRule> {
  return new Map(tables.flatMap((table) => [...table]));
}

/** Start-up check that every served method has a rule. */
export function assertPolicyCovers(services: readonly DescService[], table: MethodPolicyTable): void {
  const missing = services.flatMap((service) =>
    service.methods
      .filter((method) => !table.has(methodKey(service, method)))
      .map((m) => methodKey(service, m)),
  );
  if (missing.length > 0) throw new Error(`no access policy for: ${missing.join(', ')}`);
}
