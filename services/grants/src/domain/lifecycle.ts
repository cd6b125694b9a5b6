import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { MosaicError } from '@mosaic/platform';

export const grantStatusNames = ['pending', 'active', 'suspended', 'revoked'] as const;

export type GrantStatusName = (typeof grantStatusNames)[number];

/**
 * The grant lifecycle (SPEC §3, §4): enrollment activates a pending grant, the kill switch
 * suspends and resumes an active one, and anything not yet revoked can be revoked. `revoked` is
 * terminal. A transition to the current state is not a transition and is refused too.
 */
export const grantTransitions: Readonly<Record<GrantStatusName, readonly GrantStatusName[]>> = Object.freeze({
  pending: Object.freeze(['active', 'revoked'] as const),
  active: Object.freeze(['suspended', 'revoked'] as const),
  suspended: Object.freeze(['active', 'revoked'] as const),
  revoked: Object.freeze([] as const),
});

export function canTransition(from: GrantStatusName, to: GrantStatusName): boolean {
  return grantTransitions[from].includes(to);
}

const remedyFrom: Readonly<Record<GrantStatusName, string>> = {
  pending:
    'A pending grant becomes active only when the peer enrolls with its enrollment URL; revoke it if it should never be used.',
  active: 'Suspend the grant to lock it for now, or revoke it to end it for good.',
  suspended: 'Resume the grant to make it active again, or revoke it to end it for good.',
  revoked: 'Create a new grant (mosaic federation grant create) and enroll the peer again.',
};

/** A status change the lifecycle forbids. */
export class InvalidTransitionError extends MosaicError {
  override readonly name = 'InvalidTransitionError';
  readonly grantId: string;
  readonly from: GrantStatusName;
  readonly to: GrantStatusName;

  constructor(options: { grantId: string; from: GrantStatusName; to: GrantStatusName }) {
    const { grantId, from, to } = options;
    super({
      kind: 'failed_precondition',
      reason: 'invalid_transition',
      message: transitionMessage(grantId, from, to),
      remedy: remedyFrom[from],
    });
    this.grantId = grantId;
    this.from = from;
    this.to = to;
  }
}

function transitionMessage(grantId: string, from: GrantStatusName, to: GrantStatusName): string {
  if (from === 'revoked') return `grant ${grantId} is revoked; revoked is terminal and cannot become ${to}`;
  if (from === to) return `grant ${grantId} is already ${from}; ${from} cannot become ${to}`;
  const allowed = grantTransitions[from].join(' or ');
  return `grant ${grantId} is ${from}; ${article(from)} ${from} grant can become ${allowed}, not ${to}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

export function isInvalidTransitionError(value: unknown): value is InvalidTransitionError {
  return value instanceof InvalidTransitionError;
}

/** Throws InvalidTransitionError unless the lifecycle allows `from` → `to`. */
export function assertTransition(grantId: string, from: GrantStatusName, to: GrantStatusName): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError({ grantId, from, to });
}

const protoByStatus: Readonly<Record<GrantStatusName, GrantStatus>> = {
  pending: GrantStatus.PENDING,
  active: GrantStatus.ACTIVE,
  suspended: GrantStatus.SUSPENDED,
  revoked: GrantStatus.REVOKED,
};

export function isGrantStatusName(value: unknown): value is GrantStatusName {
  return typeof value === 'string' && (grantStatusNames as readonly string[]).includes(value);
}

export function statusToProto(status: GrantStatusName): GrantStatus {
  return protoByStatus[status];
}

/** The status name of a protobuf status; null for GRANT_STATUS_UNSPECIFIED ("any" in filters) and unknown numbers. */
export function statusFromProto(status: GrantStatus): GrantStatusName | null {
  return grantStatusNames.find((name) => protoByStatus[name] === status) ?? null;
}
