import { expect } from 'chai';
import { cleanEnv, runCli } from '../../test/support/mosaic-process.js';
import { startStack, type TestStack } from '../../test/support/stack.js';
import type { TeamMemberListJson } from '../src/render/directory-view.js';

describe('mosaic team add-member and team members against a gateway (CLI process)', function () {
  this.timeout(60_000);
  let stack: TestStack;

  before(async () => {
    stack = await startStack('127.0.0.8');
  });
  after(async () => {
    await stack?.close();
  });

  it('lists a team’s members; adding one twice changes nothing and says since when they are a member', async () => {
    const env = cleanEnv({ MOSAIC_ENDPOINT: stack.running.adminUrl!, MOSAIC_TOKEN: stack.adminToken });
    const { team } = await stack.admin.createTeam({ name: 'platform' });
    const teamId = team!.id;
    const empty = await runCli(['team', 'members', teamId], env);
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.include('has no members');

    const { user } = await stack.admin.createUser({ username: 'gina' });
    const userId = user!.id;
    const added = await runCli(['team', 'add-member', teamId, userId], env);
    expect(added.code, added.stderr).to.equal(0);
    const again = await runCli(['team', 'add-member', teamId, userId], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(added.stdout);
    expect(again.stdout).to.include(`User ${userId} is a member of team ${teamId} since`);

    const listed = await runCli(['team', 'members', teamId, '--json'], env);
    expect(listed.code, listed.stderr).to.equal(0);
    const view = JSON.parse(listed.stdout) as TeamMemberListJson;
    expect(view.members.map((member) => member.userId)).to.deep.equal([userId]);
    const table = await runCli(['team', 'members', teamId], env);
    expect(table.stdout).to.match(new RegExp(`USER\\s+SINCE[\\s\\S]*${userId}`));

    const unknown = await runCli(['team', 'members', 'not-a-uuid'], env);
    expect(unknown.code).to.equal(2);
  });
});
