import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { TeamMemberSchema, TeamSchema, UserRole, UserSchema } from '@mosaic/contracts/v1/directory_pb';
import { expect } from 'chai';
import {
  renderTeamList,
  renderUserDeleted,
  renderUserList,
  teamJson,
  teamMemberJson,
  userJson,
} from '../src/render/directory-view.js';

const at = (iso: string) => timestampFromDate(new Date(iso));
const teamId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('mosaic user / team (rendering)', () => {
  it('user and team views are plain, versionable JSON; tables show one row each', () => {
    const alice = userJson(
      create(UserSchema, {
        id: '0f8fad5b-d9cb-469f-a165-70867728950e',
        username: 'alice',
        displayName: 'Alice Martin',
        role: UserRole.ADMIN,
        teamIds: [teamId],
        createdAt: at('2030-01-02T03:04:05Z'),
      }),
    );
    expect(alice).to.deep.equal({
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      username: 'alice',
      displayName: 'Alice Martin',
      email: null,
      role: 'admin',
      teamIds: [teamId],
      createdAt: '2030-01-02T03:04:05.000Z',
    });
    expect(renderUserList({ version: 1, users: [alice] })).to.match(
      /^0f8fad5b-d9cb-469f-a165-70867728950e\s+alice\s+Alice Martin\s+-\s+admin\s+1\s+2030-01-02 03:04$/m,
    );
    const platform = teamJson(create(TeamSchema, { id: teamId, name: 'platform', memberCount: 3 }));
    expect(platform).to.deep.equal({
      id: teamId,
      name: 'platform',
      description: null,
      memberCount: 3,
      createdAt: null,
    });
    expect(renderTeamList({ version: 1, teams: [platform] })).to.match(
      /^9a8b7c6d\S+\s+platform\s+3\s+-\s+-$/m,
    );
    expect(
      teamMemberJson(
        create(TeamMemberSchema, { teamId, userId: alice.id, addedAt: at('2030-01-03T00:00:00Z') }),
      ),
    ).to.deep.equal({ teamId, userId: alice.id, addedAt: '2030-01-03T00:00:00.000Z' });
  });

  it('user delete says which grants were revoked with the user, or that none were', () => {
    expect(renderUserDeleted({ version: 1, userId: 'u', revokedGrantIds: [] })).to.include(
      'none was revoked',
    );
    expect(renderUserDeleted({ version: 1, userId: 'u', revokedGrantIds: ['g1', 'g2'] })).to.equal(
      'Deleted user u.\nRevoked 2 grants whose subject was this user:\n  g1\n  g2',
    );
  });
});
