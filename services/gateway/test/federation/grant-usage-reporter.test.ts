import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { GrantsService, type GrantsServiceRecordGrantUsageRequest } from '@mosaic/contracts/v1/grants_pb';
import { createLogger, withUnimplemented } from '@mosaic/platform';
import { expect } from 'chai';
import { GrantUsageReporter } from '../../src/federation/server/grant-usage.js';

const grant = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

describe('grant usage reports to the grants service (a stand-in grants service over HTTP)', () => {
  let server: Server;
  let reporter: GrantUsageReporter;
  const calls: GrantsServiceRecordGrantUsageRequest[] = [];
  let refuse = false;

  before(async () => {
    // The grants service's RecordGrantUsage contract, served for real over Connect; it records calls.
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.service(
          GrantsService,
          withUnimplemented(GrantsService, {
            async recordGrantUsage(request: GrantsServiceRecordGrantUsageRequest) {
              if (refuse) throw new ConnectError('grants database unavailable', Code.Unavailable);
              calls.push(request);
              return { updatedCount: request.usages.length };
            },
          }),
        ),
    });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const grants = createClient(
      GrantsService,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        httpVersion: '1.1',
      }),
    );
    // A flush interval no test outlasts: every report here is an explicit flush.
    reporter = new GrantUsageReporter({
      grants,
      logger: createLogger({ service: 'grant-usage-test', level: 'silent' }),
      flushMs: 3_600_000,
    });
  });
  after(async () => {
    await reporter.close();
    server.close();
  });
  beforeEach(() => {
    calls.length = 0;
    refuse = false;
  });

  const reported = () =>
    calls.flatMap((call) => call.usages.map((usage) => [usage.grantId, timestampMs(usage.lastUsedAt!)]));

  it('sends each grant once per report, with its latest use', async () => {
    reporter.used(grant(1), 1_000);
    reporter.used(grant(1), 3_000);
    reporter.used(grant(1), 2_000);
    reporter.used(grant(2), 5_000);
    await reporter.flush();
    expect(reported()).to.have.deep.members([
      [grant(1), 3_000],
      [grant(2), 5_000],
    ]);
    await reporter.flush();
    expect(calls).to.have.length(1);
  });

  it('keeps what a failed report carried and sends it with the next one, merged with newer uses', async () => {
    reporter.used(grant(3), 1_000);
    reporter.used(grant(4), 1_000);
    refuse = true;
    await reporter.flush();
    expect(calls).to.deep.equal([]);
    refuse = false;
    reporter.used(grant(3), 9_000);
    await reporter.flush();
    expect(reported()).to.have.deep.members([
      [grant(3), 9_000],
      [grant(4), 1_000],
    ]);
  });

  it('splits a report into calls of at most 1000 grants', async () => {
    for (let n = 0; n < 2_500; n += 1) reporter.used(grant(10_000 + n), 1_000);
    await reporter.flush();
    expect(calls.map((call) => call.usages.length)).to.deep.equal([1000, 1000, 500]);
  });
});
