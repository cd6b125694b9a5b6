import { expect } from 'chai';
import { cleanEnv, runCli } from '../../test/support/mosaic-process.js';
import { enrolledPeer, twoStacks } from '../../test/support/stack.js';
import type { GrantRevokedJson } from '../src/render/grant-view.js';

describe('mosaic federation grant revoke against a gateway (CLI process, two stacks)', function () {
  this.timeout(90_000);
  const stacks = twoStacks();

  it('a second revoke says the grant was already revoked and keeps the first reason; the first put the certificate on the CRL', async () => {
    const { b } = stacks;
    const { grantId } = await enrolledPeer(stacks);
    const { grant } = await b.admin.getGrant({ grantId });
    const env = cleanEnv({ MOSAIC_ENDPOINT: b.running.adminUrl!, MOSAIC_TOKEN: b.adminToken });

    const first = await runCli(['federation', 'grant', 'revoke', grantId, '--reason', 'laptop lost'], env);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.include(`Put on the CRL: ${grant!.activeCertSerial}.`);
    expect(first.stdout).not.to.include('already revoked');

    const again = await runCli(['federation', 'grant', 'revoke', grantId, '--reason', 'other'], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include('was already revoked');
    expect(again.stdout).to.include('(reason: laptop lost)');
    expect(again.stdout).to.include('The reason given now is not stored');
    expect(again.stdout).to.include('Its certificates were already on the CRL; nothing was added.');
    expect(again.stdout).not.to.include('No certificate had been issued');

    const json = await runCli(['federation', 'grant', 'revoke', grantId, '--json'], env);
    expect(json.code, json.stderr).to.equal(0);
    const view = JSON.parse(json.stdout) as GrantRevokedJson;
    expect(view).to.deep.include({ alreadyRevoked: true, revokedSerialNumbers: [] });
    expect(view.grant.revokeReason).to.equal('laptop lost');
  });
});
