import { AdminCommand } from '../../admin-command.js';
import { renderUserList, type UserListJson, userJson } from '../../render/directory-view.js';

export default class UserList extends AdminCommand<typeof UserList> {
  static override summary = 'List the local users of this gateway, by username.';
  static override examples = [
    '<%= config.bin %> user list',
    '<%= config.bin %> user list --json | jq -r \'.users[] | select(.username == "alice") | .id\'',
  ];

  async run(): Promise<UserListJson> {
    const client = this.adminClient();
    const users = await this.allPages(async (pageToken) => {
      const page = await client.listUsers({ pageToken });
      return { items: page.users, nextPageToken: page.nextPageToken };
    });
    const view: UserListJson = { version: 1, users: users.map(userJson) };
    if (!this.jsonEnabled()) this.log(renderUserList(view));
    return view;
  }
}
