import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { readScopeFile } from '../../../inputs.js';
import { required } from '../../../render/format.js';
import { type GrantJsonResult, grantJson, renderGrant } from '../../../render/grant-view.js';
import { updateGrantRequest } from '../../../requests.js';

export default class FederationGrantUpdate extends AdminCommand<typeof FederationGrantUpdate> {
  static override summary =
    'Change a grant’s scope, rate limit or notes; the next federated request uses them.';
  static override description =
    'Only what you give changes; at least one of --scope-file, --rate-limit, --notes is required. A new scope replaces the old one entirely and is validated like at create (every problem is listed with its JSON path). A revoked grant cannot be changed.';
  static override examples = [
    '<%= config.bin %> federation grant update 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --rate-limit 600',
    '<%= config.bin %> federation grant update 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --scope-file scope.json',
    '<%= config.bin %> federation grant update 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --notes ""',
  ];
  static override args = {
    id: Args.string({ description: 'Grant id (UUID).', required: true }),
  };
  static override flags = {
    'scope-file': Flags.string({ description: 'JSON file with the new scope (replaces the current one).' }),
    'rate-limit': Flags.integer({ description: 'New requests-per-minute limit.', min: 1, max: 100_000 }),
    'allow-sensitive': Flags.boolean({
      description: 'Confirm a new scope that adds credentials or api_keys (audited).',
      default: false,
    }),
    notes: Flags.string({ description: 'New admin notes ("" clears them), at most 2000 characters.' }),
  };

  async run(): Promise<GrantJsonResult> {
    const flags = this.flags;
    const changes = {
      grantId: this.args.id,
      rateLimit: flags['rate-limit'],
      notes: flags.notes,
      allowSensitive: flags['allow-sensitive'],
    };
    const scopeFile = flags['scope-file'];
    const request = updateGrantRequest({
      ...changes,
      scopeJson: scopeFile === undefined ? undefined : await readScopeFile(scopeFile),
    });
    if (scopeFile !== undefined) this.refusalContext = `scope from ${scopeFile}`;
    const response = await this.adminClient().updateGrant(request);
    const view: GrantJsonResult = { version: 1, grant: grantJson(required(response.grant, 'grant')) };
    if (!this.jsonEnabled()) this.log(['Updated.', renderGrant(view.grant)].join('\n'));
    return view;
  }
}
