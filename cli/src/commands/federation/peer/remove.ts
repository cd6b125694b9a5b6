import { Args } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { uuidArg } from '../../../inputs.js';
import { required } from '../../../render/format.js';
import { type PeerRemovedJson, renderPeerRemoved } from '../../../render/peer-view.js';

export default class FederationPeerRemove extends AdminCommand<typeof FederationPeerRemove> {
  static override summary = 'Remove a peer: delete its sealed key and certificate and flush its cache.';
  static override description =
    'Local only: the grant on the serving gateway is not revoked by this; its admin revokes it there (`mosaic federation grant revoke <grant-id>`). Enrolling again needs a new enrollment URL.';
  static override examples = [
    '<%= config.bin %> federation peer remove 3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a',
  ];
  static override args = {
    id: Args.string({ description: 'Peer id (UUID), as shown by `peer list`.', required: true }),
  };

  async run(): Promise<PeerRemovedJson> {
    const peerId = uuidArg(this.args.id, 'peer id');
    const client = this.adminClient();
    const peer = required((await client.getPeer({ peerId })).peer, 'peer');
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
