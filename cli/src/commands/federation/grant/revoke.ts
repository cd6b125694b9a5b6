import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { type GrantRevokedJson, grantRevokedJson, renderGrantRevoked } from '../../../render/grant-view.js';
import { revokeGrantRequest } from '../../../requests.js';

export default class FederationGrantRevoke extends AdminCommand<typeof FederationGrantRevoke> {
  static override summary =
    'Revoke a grant for good: its certificates go on the CRL and the peer is cut off.';
  static override description =
    'Revocation is permanent (to pause a grant, use `grant suspend`). Every certificate of the grant is put on the CRL, caches are invalidated and open connections of the grant are closed; the peer’s next request fails. Audited with the reason.';
  static override examples = [
    '<%= config.bin %> federation grant revoke 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --reason "laptop lost"',
  ];
  static override args = {
    id: Args.string({ description: 'Grant id (UUID).', required: true }),
  };
  static override flags = {
    reason: Flags.string({ description: 'Why (not secret); stored with the grant and audited.' }),
  };

  async run(): Promise<GrantRevokedJson> {
    const request = revokeGrantRequest({ grantId: this.args.id, reason: this.flags.reason });
    const response = await this.withSpinner(`Revoking grant ${request.grantId}`, () =>
      this.adminClient().revokeGrant(request),
    );
    const view = grantRevokedJson(response);
    if (!this.jsonEnabled()) this.log(renderGrantRevoked(view, this.flags.reason));
    return view;
  }
}
