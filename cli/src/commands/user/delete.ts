import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../admin-command.js';
import { exitCodes } from '../../base-command.js';
import { UsageError, uuidArg } from '../../inputs.js';
import { renderUserDeleted, type UserDeletedJson } from '../../render/directory-view.js';
import { required } from '../../render/format.js';

export default class UserDelete extends AdminCommand<typeof UserDelete> {
  static override summary = 'Delete a local user and revoke every grant whose subject is that user.';
  static override description =
    'Revoke-on-delete: every grant acting as this user is revoked (its certificates go on the CRL), so the peers using them are cut off. The peers enrolled on this gateway for the user are removed with them. Asks for confirmation on a terminal; without one (scripts, CI) --yes is required. The last admin cannot be deleted.';
  static override examples = [
    '<%= config.bin %> user delete 0f8fad5b-d9cb-469f-a165-70867728950e',
    '<%= config.bin %> user delete 0f8fad5b-d9cb-469f-a165-70867728950e --yes --json',
  ];
  static override args = {
    id: Args.string({ description: 'User id (UUID), as shown by `user list`.', required: true }),
  };
  static override flags = {
    yes: Flags.boolean({
      char: 'y',
      description: 'Confirm without asking (required when stdin is not a terminal).',
      default: false,
    }),
  };

  async run(): Promise<UserDeletedJson> {
    const userId = uuidArg(this.args.id, 'user id');
    if (!this.flags.yes) {
      if (process.stdin.isTTY !== true) {
        throw new UsageError(
          `refusing to delete user ${userId} without confirmation: stdin is not a terminal.`,
          're-run with --yes to confirm. Deleting the user also revokes every grant whose subject is this user.',
        );
      }
      await this.askToConfirm(userId);
    }
    const response = await this.adminClient().deleteUser({ userId });
    const view: UserDeletedJson = {
      version: 1,
      userId: response.userId || userId,
      revokedGrantIds: [...response.revokedGrantIds],
    };
    if (!this.jsonEnabled()) this.log(renderUserDeleted(view));
    return view;
  }

  private async askToConfirm(userId: string): Promise<void> {
    const client = this.adminClient();
    const user = required((await client.getUser({ userId })).user, 'user');
    const grants = await this.allPages(async (pageToken) => {
      const page = await client.listGrants({ subjectUserId: userId, pageToken });
      return { items: page.grants, nextPageToken: page.nextPageToken };
    });
    const live = grants.filter((grant) => grant.status !== GrantStatus.REVOKED);
    const consequence =
      live.length === 0
        ? 'No live grant acts as this user.'
        : `This revokes ${live.length} grant${live.length === 1 ? '' : 's'} whose subject is this user: ${live
            .map((grant) => `${grant.id} (${grant.requestingServer})`)
            .join(', ')}.`;
    this.logToStderr(`Deleting user ${user.username} (${userId}). ${consequence}`);
    if (!(await this.confirm('Delete the user and revoke these grants?'))) {
      this.error('cancelled; nothing was deleted.', { exit: exitCodes.failure });
    }
  }
}
