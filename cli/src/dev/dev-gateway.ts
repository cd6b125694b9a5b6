import type { CliStep, CliStepContext } from './cli-step.js';
import type { AdminClient } from './dev-admin-client.js';
import type { GatewaySpec } from './gateway-process.js';

/** A demo gateway that is up: where it is, a typed admin client, and how to run the CLI against it. */
export interface DevGateway {
  spec: GatewaySpec;
  adminUrl: string;
  admin: AdminClient;
  cli: CliStepContext;
}

/**
 * How the setup steps run: every CLI command and RPC is raced against a gateway exiting early and
 * against Ctrl-C, so a failure anywhere stops the setup at once with the right message.
 */
export interface DevSteps {
  cli<T>(gateway: DevGateway, step: CliStep): Promise<T>;
  rpc<T>(gateway: DevGateway, work: Promise<T>): Promise<T>;
}
