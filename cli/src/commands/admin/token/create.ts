import path from 'node:path';
import { deriveEd25519, loadInstanceSecret, mintAdminToken } from '@mosaic/platform';
import { Flags } from '@oclif/core';
import { MosaicCommand } from '../../../base-command.js';
import { UsageError } from '../../../inputs.js';

export default class AdminTokenCreate extends MosaicCommand<typeof AdminTokenCreate> {
  static override summary =
    'Mint an admin bearer token for the gateway admin API (run it on the gateway host).';
  static override description =
    "Signs the token with a key derived from the gateway's master secret (MOSAIC_MASTER_KEY or the data dir), so it needs no running gateway. The token is printed once; store it in MOSAIC_TOKEN.";
  static override examples = [
    'export MOSAIC_TOKEN=$(<%= config.bin %> admin token create --subject ops --json | jq -r .token)',
  ];
  static override flags = {
    subject: Flags.string({
      description: 'Who the token is for (shows in logs and audit).',
      default: 'admin',
    }),
    'ttl-days': Flags.integer({ description: 'Lifetime in days.', default: 30, min: 1, max: 365 }),
  };

  async run(): Promise<{ version: 1; subject: string; tokenId: string; expiresAt: string; token: string }> {
    const subject = this.flags.subject.trim();
    // It names the token's holder in logs and audit rows: a blank or unprintable one names no one.
    if (subject === '' || subject.length > 128 || /\p{Cc}/u.test(subject)) {
      throw new UsageError(
        `--subject must name who the token is for: 1 to 128 printable characters (got ${subject === '' ? 'an empty one' : `${subject.length} characters`}).`,
        'Pass a name such as --subject ops or --subject alice@example.org.',
      );
    }
    const config = this.config_();
    // The gateway's master secret: only the gateway host (and its operator) can mint admin tokens.
    const secret = await loadInstanceSecret({
      purpose: "gateway's master secret",
      envName: 'MOSAIC_MASTER_KEY',
      file: path.join(config.dataDir, 'secrets', 'master.key'),
      createIfMissing: false,
    });
    const { token, claims } = await mintAdminToken(deriveEd25519(secret, 'admin-token v1'), {
      subject,
      ttlSeconds: this.flags['ttl-days'] * 86400,
    });
    this.log(token);
    this.logToStderr(
      `token ${claims.tokenId} for "${claims.subject}", valid until ${claims.expiresAt.toISOString()}`,
    );
    return {
      version: 1,
      subject: claims.subject,
      tokenId: claims.tokenId,
      expiresAt: claims.expiresAt.toISOString(),
      token,
    };
  }
}
