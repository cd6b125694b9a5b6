import { Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { type PeerListJson, peerJson, renderPeerList } from '../../../render/peer-view.js';
import { listPeersRequest, peerStatusOptions } from '../../../requests.js';

export default class FederationPeerList extends AdminCommand<typeof FederationPeerList> {
  static override summary = 'List the serving gateways this gateway has enrolled with.';
  static override description =
    'One row per peer: id, hostname, status, grant id on the serving gateway, client certificate expiry, last success and last failure (UTC). Certificates and keys are never printed.';
  static override examples = [
    '<%= config.bin %> federation peer list',
    '<%= config.bin %> federation peer list --status degraded',
    "<%= config.bin %> federation peer list --json | jq '.peers[] | {peerHostname, status}'",
  ];
  static override flags = {
    status: Flags.string({ description: 'Only peers in this status.', options: [...peerStatusOptions] }),
  };

  async run(): Promise<PeerListJson> {
    const status = this.flags.status as (typeof peerStatusOptions)[number] | undefined;
    const client = this.adminClient();
    const peers = await this.allPages(async (pageToken) => {
      const page = await client.listPeers(listPeersRequest({ status, pageToken }));
      return { items: page.peers, nextPageToken: page.nextPageToken };
    });
    const view: PeerListJson = { version: 1, peers: peers.map(peerJson) };
    if (!this.jsonEnabled()) this.log(renderPeerList(view));
    return view;
  }
}
