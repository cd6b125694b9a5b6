import { Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { type GrantListJson, grantJson, renderGrantList } from '../../../render/grant-view.js';
import { grantStatusOptions, listGrantsRequest } from '../../../requests.js';

export default class FederationGrantList extends AdminCommand<typeof FederationGrantList> {
  static override summary = 'List the grants this gateway serves, newest first.';
  static override description =
    'One row per grant: id, status, subject user, requesting gateway (peer), rate limit, creation and last use (UTC). Filters combine with AND.';
  static override examples = [
    '<%= config.bin %> federation grant list',
    '<%= config.bin %> federation grant list --status active',
    "<%= config.bin %> federation grant list --peer home.example.org --json | jq -r '.grants[].id'",
  ];
  static override flags = {
    status: Flags.string({ description: 'Only grants in this status.', options: [...grantStatusOptions] }),
    user: Flags.string({ description: 'Only grants acting as this local user (UUID).' }),
    peer: Flags.string({ description: 'Only grants for this requesting gateway hostname.' }),
  };

  async run(): Promise<GrantListJson> {
    const filter = {
      status: this.flags.status as (typeof grantStatusOptions)[number] | undefined,
      user: this.flags.user,
      peer: this.flags.peer,
    };
    const client = this.adminClient();
    const grants = await this.allPages(async (pageToken) => {
      const page = await client.listGrants(listGrantsRequest({ ...filter, pageToken }));
      return { items: page.grants, nextPageToken: page.nextPageToken };
    });
    const view: GrantListJson = { version: 1, grants: grants.map(grantJson) };
    if (!this.jsonEnabled()) this.log(renderGrantList(view));
    return view;
  }
}
