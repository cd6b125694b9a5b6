import { Args } from '@oclif/core';
import { AdminCommand } from '../../admin-command.js';
import { uuidArg } from '../../inputs.js';
import {
  renderTeamMemberList,
  type TeamMemberListJson,
  teamMemberJson,
} from '../../render/directory-view.js';

export default class TeamMembers extends AdminCommand<typeof TeamMembers> {
  static override summary = 'List the members of a team, oldest first.';
  static override examples = [
    '<%= config.bin %> team members 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    "<%= config.bin %> team members 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d --json | jq -r '.members[].userId'",
  ];
  static override args = {
    'team-id': Args.string({ description: 'Team id (UUID), as shown by `team list`.', required: true }),
  };

  async run(): Promise<TeamMemberListJson> {
    const teamId = uuidArg(this.args['team-id'], 'team id');
    const client = this.adminClient();
    const members = await this.allPages(async (pageToken) => {
      const page = await client.listTeamMembers({ teamId, pageToken });
      return { items: page.members, nextPageToken: page.nextPageToken };
    });
    const view: TeamMemberListJson = { version: 1, teamId, members: members.map(teamMemberJson) };
    if (!this.jsonEnabled()) this.log(renderTeamMemberList(view));
    return view;
  }
}
