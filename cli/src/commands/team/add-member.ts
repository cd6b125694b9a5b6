import { Args } from '@oclif/core';
import { AdminCommand } from '../../admin-command.js';
import { uuidArg } from '../../inputs.js';
import {
  renderTeamMemberAdded,
  type TeamMemberAddedJson,
  teamMemberJson,
} from '../../render/directory-view.js';
import { required } from '../../render/format.js';

export default class TeamAddMember extends AdminCommand<typeof TeamAddMember> {
  static override summary = 'Add a user to a team: the user sees the team’s items from then on.';
  static override description =
    'Grants acting as the user see the team’s items too (unless their scope narrows include_teams). Adding a user who is already a member changes nothing; the date shown is when they joined.';
  static override examples = [
    '<%= config.bin %> team add-member 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d 0f8fad5b-d9cb-469f-a165-70867728950e',
  ];
  static override args = {
    'team-id': Args.string({ description: 'Team id (UUID), as shown by `team list`.', required: true }),
    'user-id': Args.string({ description: 'User id (UUID), as shown by `user list`.', required: true }),
  };

  async run(): Promise<TeamMemberAddedJson> {
    const teamId = uuidArg(this.args['team-id'], 'team id');
    const userId = uuidArg(this.args['user-id'], 'user id');
    const response = await this.adminClient().addTeamMember({ teamId, userId });
    const view: TeamMemberAddedJson = {
      version: 1,
      member: teamMemberJson(required(response.member, 'membership')),
    };
    if (!this.jsonEnabled()) this.log(renderTeamMemberAdded(view));
    return view;
  }
}
