import { Args } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { uuidArg } from '../../../inputs.js';
import { type GrantShowJson, grantShowJson, renderGrantShow } from '../../../render/grant-view.js';

export default class FederationGrantShow extends AdminCommand<typeof FederationGrantShow> {
  static override summary = 'Show one grant with its scope, its certificates and its CRL state.';
  static override description =
    'Certificates are listed newest first, without key material. The scope is printed in its JSON form with --json (`.grant.scope`), ready to edit and pass back with `grant update --scope-file`.';
  static override examples = [
    '<%= config.bin %> federation grant show 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e',
    "<%= config.bin %> federation grant show 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --json | jq '.grant.scope' > scope.json",
  ];
  static override args = {
    id: Args.string({ description: 'Grant id (UUID).', required: true }),
  };

  async run(): Promise<GrantShowJson> {
    const grantId = uuidArg(this.args.id, 'grant id');
    const view = grantShowJson(await this.adminClient().getGrant({ grantId }));
    if (!this.jsonEnabled()) this.log(renderGrantShow(view));
    return view;
  }
}
