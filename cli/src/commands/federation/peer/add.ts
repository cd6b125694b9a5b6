import { text } from 'node:stream/consumers';
import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { enrollmentAuthority, isEnrollmentUrlError } from '../../../enrollment-url.js';
import { UsageError } from '../../../inputs.js';
import { required } from '../../../render/format.js';
import { type PeerAddedJson, peerJson, renderPeerAdded } from '../../../render/peer-view.js';
import { addPeerRequest } from '../../../requests.js';

export default class FederationPeerAdd extends AdminCommand<typeof FederationPeerAdd> {
  static override summary = 'Enroll with a serving gateway from the one-time URL its admin gave you.';
  static override description = [
    'This gateway pins the serving gateway’s CA by the fingerprint in the URL, generates a key, has a client certificate issued for the grant, seals the key and stores the peer as ACTIVE. The URL works once.',
    'The URL carries a secret token: it is never printed back. Pass "-" to read it from stdin, which keeps it out of the shell history and the process list.',
  ].join('\n\n');
  static override examples = [
    "<%= config.bin %> federation peer add 'mosaic-enroll://work.example.com:8444/6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e?token=…&ca=sha256:…'",
    'pbpaste | <%= config.bin %> federation peer add - --hostname home.example.org',
  ];
  static override args = {
    'enrollment-url': Args.string({
      description: 'The mosaic-enroll://… URL from `grant create` on the serving gateway, or "-" for stdin.',
      required: true,
    }),
  };
  static override flags = {
    user: Flags.string({
      description:
        'Local user (UUID) whose queries may use the peer; it is removed with the user. Without it, every local user’s queries may use it: set it on a gateway with several users.',
    }),
    hostname: Flags.string({
      description:
        'This gateway’s hostname as the serving gateway’s admin entered it with --peer (default: the configured one).',
    }),
    notes: Flags.string({ description: 'Local notes (not secret).' }),
  };

  async run(): Promise<PeerAddedJson> {
    const given = this.args['enrollment-url'];
    const enrollmentUrl = given === '-' ? (await text(process.stdin)).trim() : given;
    let parsed: ReturnType<typeof addPeerRequest>;
    try {
      parsed = addPeerRequest({
        enrollmentUrl,
        user: this.flags.user,
        hostname: this.flags.hostname,
        notes: this.flags.notes,
      });
    } catch (error) {
      if (isEnrollmentUrlError(error)) throw new UsageError(error.message, error.remedy);
      throw error;
    }
    const response = await this.withSpinner(`Enrolling with ${enrollmentAuthority(parsed)}`, () =>
      this.adminClient().addPeer(parsed.request),
    );
    const view: PeerAddedJson = { version: 1, peer: peerJson(required(response.peer, 'peer')) };
    if (!this.jsonEnabled()) this.log(renderPeerAdded(view));
    return view;
  }
}
