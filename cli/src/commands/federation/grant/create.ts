import { Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import { readScopeFile } from '../../../inputs.js';
import { type GrantCreatedJson, grantCreatedJson, renderGrantCreated } from '../../../render/grant-view.js';
import { createGrantRequest } from '../../../requests.js';

export default class FederationGrantCreate extends AdminCommand<typeof FederationGrantCreate> {
  static override summary = 'Grant a requesting gateway read access as one local user, within a scope.';
  static override description = [
    'Creates a PENDING grant and prints a one-time enrollment URL for the admin of the requesting gateway (the peer), who enrolls with `mosaic federation peer add <enrollment-url>`.',
    'The scope file is sent as written; the gateway validates it (SPEC §4) and names every problem with its JSON path. Granting credentials or api_keys needs --allow-sensitive.',
    'The enrollment URL is a secret until used: it is printed once (under enrollmentUrl with --json), works once and expires (15 minutes by default). Send it over a trusted channel. A new one: `mosaic federation grant enrollment-url <grant-id>`.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> federation grant create --user 0f8fad5b-d9cb-469f-a165-70867728950e --peer home.example.org --scope-file scope.json',
    '<%= config.bin %> federation grant create --user 0f8fad5b-d9cb-469f-a165-70867728950e --peer home.example.org --scope-file scope.json --rate-limit 120 --enrollment-ttl 60 --notes "Alice, home server"',
    "<%= config.bin %> federation grant create --user 0f8fad5b-d9cb-469f-a165-70867728950e --peer home.example.org --scope-file scope.json --json | jq -r '.enrollmentUrl'",
  ];
  static override flags = {
    user: Flags.string({
      description: 'Local user (UUID) the grant acts as; that user’s own access bounds every answer.',
      required: true,
    }),
    peer: Flags.string({
      description:
        'Hostname of the requesting gateway, without scheme or port (written into its certificate).',
      required: true,
    }),
    'scope-file': Flags.string({
      description: 'JSON scope: resources, filters, excluded_resources, max_rows_per_query (SPEC §4).',
      required: true,
    }),
    'rate-limit': Flags.integer({
      description: 'Requests per minute for this grant (default 60).',
      min: 1,
      max: 100_000,
    }),
    'allow-sensitive': Flags.boolean({
      description: 'Confirm granting credentials or api_keys (audited).',
      default: false,
    }),
    notes: Flags.string({
      description: 'Admin notes (not secret, never shown to the peer), at most 2000 characters.',
    }),
    'enrollment-ttl': Flags.integer({
      description: 'Minutes the enrollment URL stays valid (default 15, at most 1440).',
      min: 1,
      max: 1440,
    }),
  };

  async run(): Promise<GrantCreatedJson> {
    const flags = this.flags;
    // Everything is checked here first: a bad flag or an unreadable scope file sends nothing.
    const request = createGrantRequest({
      user: flags.user,
      peer: flags.peer,
      scopeJson: await readScopeFile(flags['scope-file']),
      rateLimit: flags['rate-limit'],
      allowSensitive: flags['allow-sensitive'],
      notes: flags.notes,
      enrollmentTtlMinutes: flags['enrollment-ttl'],
    });
    this.refusalContext = `scope from ${flags['scope-file']}`;
    const view = grantCreatedJson(await this.adminClient().createGrant(request));
    if (!this.jsonEnabled()) this.log(renderGrantCreated(view, new Date()));
    return view;
  }
}
