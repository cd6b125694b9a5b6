import { AdminCommand } from '../../admin-command.js';
import { renderTeamList, type TeamListJson, teamJson } from '../../render/directory-view.js';

export default class TeamList extends AdminCommand<typeof TeamList> {
  static override summary = 'List the teams of this gateway, by name.';
  static override examples = [
    '<%= config.bin %> team list',
    "<%= config.bin %> team list --json | jq -r '.teams[].id'",
  ];

  async run(): Promise<TeamListJson> {
    const client = this.adminClient();
    const teams = await this.allPages(async (pageToken) => {
      const page = await client.listTeams({ pageToken });
      return { items: page.teams, nextPageToken: page.nextPageToken };
    });
    const view: TeamListJson = { version: 1, teams: teams.map(teamJson) };
    if (!this.jsonEnabled()) this.log(renderTeamList(view));
    return view;
  }
}
