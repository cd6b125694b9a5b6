import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import {
  assertTransition,
  type GrantStatusName,
  grantStatusNames,
  grantTransitions,
  type InvalidTransitionError,
  isInvalidTransitionError,
  statusFromProto,
  statusToProto,
} from '../src/domain/index.js';

const grantId = '5d0e7c3a-2b1f-4a9e-8c6d-3f4a5b6c7d8e';

const allowed = new Set([
  'pending→active',
  'pending→revoked',
  'active→suspended',
  'active→revoked',
  'suspended→active',
  'suspended→revoked',
]);

function refusal(from: GrantStatusName, to: GrantStatusName): InvalidTransitionError {
  try {
    assertTransition(grantId, from, to);
  } catch (error) {
    if (isInvalidTransitionError(error)) return error;
    throw error;
  }
  return expect.fail(`${from} → ${to} was allowed`);
}

describe('grant lifecycle', () => {
  for (const from of grantStatusNames) {
    for (const to of grantStatusNames) {
      const pair = `${from}→${to}`;
      if (allowed.has(pair)) {
        it(`allows ${from} → ${to}`, () => {
          expect(() => assertTransition(grantId, from, to)).not.to.throw();
        });
      } else {
        it(`refuses ${from} → ${to}, naming both states`, () => {
          const error = refusal(from, to);
          expect(error.kind).to.equal('failed_precondition');
          expect(error.reason).to.equal('invalid_transition');
          expect(error).to.include({ from, to, grantId });
          expect(error.message).to.include(grantId).and.to.include(from).and.to.include(to);
          expect(error.remedy).to.not.equal('');
        });
      }
    }
  }

  it('a grant cannot go from revoked to active', () => {
    const error = refusal('revoked', 'active');
    expect(error.message).to.equal(
      `grant ${grantId} is revoked; revoked is terminal and cannot become active`,
    );
    expect(error.remedy).to.include('Create a new grant');
  });

  it('the transition table is exactly the allowed pairs, and revoked is terminal', () => {
    const pairs = Object.entries(grantTransitions).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
    expect(new Set(pairs)).to.deep.equal(allowed);
    expect(grantTransitions.revoked).to.deep.equal([]);
    expect(Object.isFrozen(grantTransitions) && Object.isFrozen(grantTransitions.active)).to.equal(true);
  });

  it('says what a state can become when the move is refused', () => {
    expect(refusal('pending', 'suspended').message).to.equal(
      `grant ${grantId} is pending; a pending grant can become active or revoked, not suspended`,
    );
    expect(refusal('active', 'active').message).to.include('is already active');
  });

  it('maps statuses to and from the protobuf enum', () => {
    for (const name of grantStatusNames) expect(statusFromProto(statusToProto(name))).to.equal(name);
    expect(statusToProto('suspended')).to.equal(GrantStatus.SUSPENDED);
    expect(statusFromProto(GrantStatus.UNSPECIFIED)).to.equal(null);
    expect(statusFromProto(42 as GrantStatus)).to.equal(null);
  });
});
