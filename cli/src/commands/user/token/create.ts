import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../admin-command.js';

export default class UserTokenCreate extends AdminCommand<typeof UserTokenCreate> {
  static override summary =
    'Mint a user token for an agent: it queries this gateway (and its peers) as that user.';
  static override description =
    'The token is printed once; give it to the agent as its bearer token for the query API. It cannot call the admin API.';
  static override examples = [
    'export AGENT_TOKEN=$(<%= config.bin %> user token create <user-id> --name laptop-agent --json | jq -r .token)',
  ];
  static override args = {
    userId: Args.string({ description: 'Id (UUID) of the local user the agent acts as.', required: true }),
  };
  static override flags = {
    name: Flags.string({ description: 'What the token is for (shows in logs).', default: 'agent' }),
    'ttl-days': Flags.integer({ description: 'Lifetime in days.', default: 30, min: 1, max: 365 }),
  };

  async run(): Promise<{
    version: 1;
    tokenId: string;
    userId: string;
    expiresAt: string | null;
    token: string;
  }> {
    const { args } = await this.parse(UserTokenCreate);
    const response = await this.adminClient().createAccessToken({
      userId: args.userId,
      name: this.flags.name,
      ttl: { seconds: BigInt(this.flags['ttl-days'] * 86400) },
    });
    const expiresAt = response.accessToken?.expiresAt
      ? new Date(Number(response.accessToken.expiresAt.seconds) * 1000).toISOString()
      : null;
    this.log(response.token);
    this.logToStderr(`token ${response.accessToken?.id} for user ${args.userId}, valid until ${expiresAt}`);
    return {
      version: 1,
      tokenId: response.accessToken?.id ?? '',
      userId: args.userId,
      expiresAt,
      token: response.token,
    };
  }
}
