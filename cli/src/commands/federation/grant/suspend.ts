import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { required } from '../../../render/format.js';
import { type GrantJsonResult, grantJson, renderGrant } from '../../../render/grant-view.js';
import { suspendGrantRequest } from '../../../requests.js';

export default class FederationGrantSuspend extends AdminCommand<typeof FederationGrantSuspend> {
  static override summary = 'Kill switch: refuse every request of an active grant until it is resumed.';
  static override description =
    'Takes effect on every gateway replica at the next request and closes the grant’s open connections. Reversible with `grant resume` (or automatically at --until). Only an ACTIVE grant can be suspended.';
  static override examples = [
    '<%= config.bin %> federation grant suspend 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --reason "investigating"',
    '<%= config.bin %> federation grant suspend 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --until 2030-01-31T18:00:00Z',
  ];
  static override args = {
    id: Args.string({ description: 'Grant id (UUID).', required: true }),
  };
  static override flags = {
    reason: Flags.string({ description: 'Why (not secret); audited.' }),
    until: Flags.string({
      description: 'Resume automatically at this ISO 8601 time with a zone (e.g. 2030-01-31T18:00:00Z).',
    }),
  };

  async run(): Promise<GrantJsonResult> {
    const request = suspendGrantRequest({
      grantId: this.args.id,
      reason: this.flags.reason,
      until: this.flags.until,
    });
    const response = await this.adminClient().suspendGrant(request);
    const view: GrantJsonResult = { version: 1, grant: grantJson(required(response.grant, 'grant')) };
    if (!this.jsonEnabled()) this.log(['Suspended.', renderGrant(view.grant)].join('\n'));
    return view;
  }
}
