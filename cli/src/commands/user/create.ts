import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../admin-command.js';
import { renderUser, type UserJsonResult, userJson } from '../../render/directory-view.js';
import { required } from '../../render/format.js';
import { createUserRequest, userRoleOptions } from '../../requests.js';

export default class UserCreate extends AdminCommand<typeof UserCreate> {
  static override summary = 'Create a local user of this gateway.';
  static override description =
    'Users own personal items and belong to teams; a grant acts as one of them. The username is unique: 1 to 64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit.';
  static override examples = [
    '<%= config.bin %> user create alice --display-name "Alice Martin" --email alice@example.org',
    '<%= config.bin %> user create ops --role admin',
  ];
  static override args = {
    username: Args.string({ description: 'Unique login name.', required: true }),
  };
  static override flags = {
    'display-name': Flags.string({ description: 'Display name.' }),
    email: Flags.string({ description: 'Contact e-mail address.' }),
    role: Flags.string({
      description: 'Role on the admin API (default member).',
      options: [...userRoleOptions],
    }),
  };

  async run(): Promise<UserJsonResult> {
    const request = createUserRequest({
      username: this.args.username,
      displayName: this.flags['display-name'],
      email: this.flags.email,
      role: this.flags.role as (typeof userRoleOptions)[number] | undefined,
    });
    const response = await this.adminClient().createUser(request);
    const view: UserJsonResult = { version: 1, user: userJson(required(response.user, 'user')) };
    if (!this.jsonEnabled()) this.log(['Created.', renderUser(view.user)].join('\n'));
    return view;
  }
}
