import { Code, ConnectError } from '@connectrpc/connect';
import { ux } from '@oclif/core';
import { exitCodes, MosaicCommand } from '../../base-command.js';
import { type DoctorJson, doctorJson, renderDoctor, unreachableDoctor } from '../../render/doctor-view.js';

export default class GatewayDoctor extends MosaicCommand<typeof GatewayDoctor> {
  static override summary =
    'Check the gateway: tier, config, every dependency and service, with latency and remedies.';
  static override description =
    'Exits 0 when everything is green or yellow, 1 when anything is red. --json prints a stable, versioned object (see README).';
  static override examples = [
    '<%= config.bin %> gateway doctor',
    '<%= config.bin %> gateway doctor --json | jq .overall',
  ];

  async run(): Promise<DoctorJson> {
    const endpoint = this.adminEndpoint();
    const spin = !this.jsonEnabled() && process.stderr.isTTY;
    if (spin) ux.action.start(`Asking ${endpoint}`);
    let view: DoctorJson;
    try {
      view = doctorJson(await this.adminClient().getDoctorReport({}), endpoint);
    } catch (error) {
      if (
        !(error instanceof ConnectError) ||
        error.code === Code.Unauthenticated ||
        error.code === Code.PermissionDenied
      ) {
        throw error;
      }
      const config = this.config_();
      view = unreachableDoctor({
        endpoint,
        tier: config.tier,
        configPath: config.configPath,
        reason: error.rawMessage,
      });
    } finally {
      if (spin) ux.action.stop();
    }
    if (!this.jsonEnabled()) this.log(renderDoctor(view));
    if (view.overall === 'red') process.exitCode = exitCodes.failure;
    return view;
  }
}
