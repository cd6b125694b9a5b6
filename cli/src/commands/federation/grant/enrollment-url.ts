import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';
import {
  type EnrollmentUrlJson,
  enrollmentUrlJson,
  renderEnrollmentUrl,
} from '../../../render/grant-view.js';
import { createEnrollmentUrlRequest } from '../../../requests.js';

export default class FederationGrantEnrollmentUrl extends AdminCommand<typeof FederationGrantEnrollmentUrl> {
  static override summary =
    'Issue a new one-time enrollment URL for a pending grant (the previous one stops working).';
  static override description =
    'For when the first URL expired unused or was lost. Only a PENDING grant gets one. The URL is a secret until used: printed once (under enrollmentUrl with --json); send it over a trusted channel.';
  static override examples = [
    '<%= config.bin %> federation grant enrollment-url 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e',
    '<%= config.bin %> federation grant enrollment-url 6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e --enrollment-ttl 120',
  ];
  static override args = {
    id: Args.string({ description: 'Grant id (UUID).', required: true }),
  };
  static override flags = {
    'enrollment-ttl': Flags.integer({
      description: 'Minutes the enrollment URL stays valid (default 15, at most 1440).',
      min: 1,
      max: 1440,
    }),
  };

  async run(): Promise<EnrollmentUrlJson> {
    const request = createEnrollmentUrlRequest({
      grantId: this.args.id,
      ttlMinutes: this.flags['enrollment-ttl'],
    });
    const view = enrollmentUrlJson(request.grantId, await this.adminClient().createEnrollmentUrl(request));
    if (!this.jsonEnabled()) this.log(renderEnrollmentUrl(view, null, new Date()));
    return view;
  }
}
