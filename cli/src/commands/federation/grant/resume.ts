import { Args } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { uuidArg } from '../../../inputs.js';
import { required } from '../../../render/format.js';
import { type GrantJsonResult, grantJson, renderGrant } from '../../../render/grant-view.js';

export default class FederationGrantResume extends AdminCommand<typeof FederationGrantResume> {
  static override summary = 'Lift the kill switch: a suspended grant becomes active again.';
  static override description = 'Only a SUSPENDED grant can be resumed; a revoked grant stays revoked.';
  static override examples = [
    '<%= config.bin %> federation grant resume 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e',
  ];
  static override args = {
    id: Args.string({ description: 'Grant id (UUID).', required: true }),
  };

  async run(): Promise<GrantJsonResult> {
    const grantId = uuidArg(this.args.id, 'grant id');
    const response = await this.adminClient().resumeGrant({ grantId });
    const view: GrantJsonResult = { version: 1, grant: grantJson(required(response.grant, 'grant')) };
    if (!this.jsonEnabled()) this.log(['Resumed.', renderGrant(view.grant)].join('\n'));
    return view;
  }
}
