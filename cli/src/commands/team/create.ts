import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../admin-command.js';
import { renderTeam, type TeamJsonResult, teamJson } from '../../render/directory-view.js';
import { required } from '../../render/format.js';
import { createTeamRequest } from '../../requests.js';

export default class TeamCreate extends AdminCommand<typeof TeamCreate> {
  static override summary = 'Create a team; its items are visible to its members.';
  static override description =
    'Team ids are what scopes reference in filters.<resource>.include_teams. The name is unique: 1 to 64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit.';
  static override examples = ['<%= config.bin %> team create platform --description "Platform engineering"'];
  static override args = {
    name: Args.string({ description: 'Unique team name.', required: true }),
  };
  static override flags = {
    description: Flags.string({ description: 'What the team is for.' }),
  };

  async run(): Promise<TeamJsonResult> {
    const request = createTeamRequest({ name: this.args.name, description: this.flags.description });
    const response = await this.adminClient().createTeam(request);
    const view: TeamJsonResult = { version: 1, team: teamJson(required(response.team, 'team')) };
    if (!this.jsonEnabled()) this.log(['Created.', renderTeam(view.team)].join('\n'));
    return view;
  }
}
