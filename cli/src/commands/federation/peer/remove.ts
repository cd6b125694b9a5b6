import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { exitCodes } from '../../../base-command.js';
import { UsageError, uuidArg } from '../../../inputs.js';
import { required } from '../../../render/format.js';
import { type PeerRemovedJson, renderPeerRemoved } from '../../../render/peer-view.js';

export default class FederationPeerRemove extends AdminCommand<typeof FederationPeerRemove> {
  static override summary = 'Remove a peer: delete its sealed key and certificate and flush its cache.';
  static override description =
    'Local only: the grant on the serving gateway is not revoked by this; its admin revokes it there (`mosaic federation grant revoke <grant-id>`). Enrolling again needs a new enrollment URL. Asks for confirmation on a terminal; without one (scripts, CI) --yes is required.';
  static override examples = [
    '<%= config.bin %> federation peer remove 3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a',
    '<%= config.bin %> federation peer remove 3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a --yes --json',
  ];
  static override args = {
    id: Args.string({ description: 'Peer id (UUID), as shown by `peer list`.', required: true }),
  };
  static override flags = {
    yes: Flags.boolean({
      char: 'y',
      description: 'Confirm without asking (required when stdin is not a terminal).',
      default: false,
    }),
  };

  async run(): Promise<PeerRemovedJson> {
    const peerId = uuidArg(this.args.id, 'peer id');
    if (!this.flags.yes && process.stdin.isTTY !== true) {
      throw new UsageError(
        `refusing to remove peer ${peerId} without confirmation: stdin is not a terminal.`,
        're-run with --yes to confirm. Removing the peer deletes its sealed key; enrolling again needs a new enrollment URL.',
      );
    }
    const client = this.adminClient();
    const peer = required((await client.getPeer({ peerId })).peer, 'peer');
    if (!this.flags.yes) {
      this.logToStderr(
        `Removing peer ${peer.peerHostname} (${peerId}, grant ${peer.grantId}): its sealed key and certificate are deleted here; the grant on ${peer.peerHostname} stays until its admin revokes it.`,
      );
      if (!(await this.confirm('Remove the peer?'))) {
        this.error('cancelled; nothing was removed.', { exit: exitCodes.failure });
      }
    }
    const response = await client.removePeer({ peerId });
    const view: PeerRemovedJson = {
      version: 1,
      peerId: response.peerId || peerId,
      peerHostname: peer.peerHostname,
      grantId: peer.grantId,
    };
    if (!this.jsonEnabled()) this.log(renderPeerRemoved(view));
    return view;
  }
}
