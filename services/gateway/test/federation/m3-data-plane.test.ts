import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { Code } from '@connectrpc/connect';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import type { Item } from '@mosaic/contracts/v1/items_pb';
import { Sealer } from '@mosaic/platform';
import { expect } from 'chai';
import { connectError } from '../../../../test/support/connect-error.js';
import {
  type ClientCredentials,
  type FederationWire,
  federationClient,
  peerCredentials,
} from '../../../../test/support/federation-client.js';
import { startStack, type TestStack } from '../../../../test/support/stack.js';
import {
  buildClientTemplate,
  defaultMosaicOids,
  loadAuthority,
  signCertificate,
} from '../../../ca/src/domain/index.js';
import { newAuthority, rsaKeyPair } from '../../../ca/test/support/pki.js';
import { VisibleItemViews } from '../../src/data/visible-item-views.js';

const titles = (items: Item[]) => items.map((item) => (item.item.value as { title: string }).title).sort();

describe('M3 data plane over strict mTLS (two stacks: A 127.0.0.2, B 127.0.0.3)', function () {
  this.timeout(90_000);
  let a: TestStack;
  let b: TestStack;
  const ids: Record<string, string> = {};
  const credentials: Record<string, ClientCredentials> = {};

  async function task(title: string, owner: { userId?: string; teamId?: string }) {
    const { item } = await b.admin.createItem({
      item: {
        item: {
          case: 'task',
          value: {
            title,
            owner: {
              owner: owner.userId
                ? { case: 'userId', value: owner.userId }
                : { case: 'teamId', value: owner.teamId! },
            },
          },
        },
      },
    });
    return (item!.item.value as { id: string }).id;
  }

  async function enroll(name: string, subject: string, scope: unknown, allowSensitive = false) {
    const created = await b.admin.createGrant({
      subjectUserId: subject,
      requestingServer: '127.0.0.2',
      scopeJson: JSON.stringify(scope),
      allowSensitive,
    });
    ids[`grant:${name}`] = created.grant!.id;
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl });
    credentials[name] = await peerCredentials(a, peer!.id);
  }

  before(async () => {
    [a, b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3')]);
    const alice = (await b.admin.createUser({ username: 'alice' })).user!.id;
    const bob = (await b.admin.createUser({ username: 'bob' })).user!.id;
    Object.assign(ids, { alice, bob });
    for (const team of ['t1', 't2', 't3']) ids[team] = (await b.admin.createTeam({ name: team })).team!.id;
    for (const team of ['t1', 't2']) await b.admin.addTeamMember({ teamId: ids[team]!, userId: alice });
    await b.admin.addTeamMember({ teamId: ids.t3!, userId: bob });
    for (const n of [1, 2, 3]) ids[`alice-task-${n}`] = await task(`alice personal ${n}`, { userId: alice });
    for (const n of [1, 2]) await task(`t1 task ${n}`, { teamId: ids.t1! });
    for (const n of [1, 2]) await task(`t2 task ${n}`, { teamId: ids.t2! });
    ids['t3-task'] = await task('t3 task', { teamId: ids.t3! });
    ids['bob-task'] = await task('bob personal', { userId: bob });
    const credential = await b.admin.createItem({
      item: {
        item: {
          case: 'credential',
          value: {
            name: 'prod db password',
            maskedValue: '****',
            owner: { owner: { case: 'userId', value: alice } },
          },
        },
      },
    });
    ids['alice-credential'] = (credential.item!.item.value as { id: string }).id;

    await enroll('alice-all', alice, { resources: ['tasks', 'notes'] });
    await enroll('alice-t1', alice, {
      resources: ['tasks'],
      filters: { tasks: { include_teams: [ids.t1] } },
    });
    await enroll('alice-t3', alice, {
      resources: ['tasks'],
      filters: { tasks: { include_teams: [ids.t3], include_personal: false } },
    });
    await enroll('alice-paged', alice, { resources: ['tasks'], max_rows_per_query: 2 });
    await enroll('bob', bob, { resources: ['tasks'] });
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const list = (name: string, pageToken = '') =>
    federationClient(credentials[name]!).list({ resource: Resource.TASKS, pageToken });

  it("M3-1: A→B list tasks returns the subject user's tasks intersected with scope", async () => {
    const { items } = await list('alice-all');
    expect(titles(items)).to.deep.equal([
      'alice personal 1',
      'alice personal 2',
      'alice personal 3',
      't1 task 1',
      't1 task 2',
      't2 task 1',
      't2 task 2',
    ]);
  });

  it("M3-2: include_teams [T1] excludes the user's T2 tasks", async () => {
    const { items } = await list('alice-t1');
    expect(titles(items)).to.deep.equal([
      'alice personal 1',
      'alice personal 2',
      'alice personal 3',
      't1 task 1',
      't1 task 2',
    ]);
  });

  it('M3-3: get credential <id> answers 403 when credentials are excluded', async () => {
    const error = await connectError(
      federationClient(credentials['alice-all']!).get({
        resource: Resource.CREDENTIALS,
        id: ids['alice-credential']!,
      }),
    );
    expect(error.code).to.equal(Code.PermissionDenied);
    expect(error.rawMessage).to.include('credentials is not in the scope');
  });

  it("M3-4 / AC-3: a certificate for grant X cannot read grant Y's subject user", async () => {
    const client = federationClient(credentials['alice-all']!);
    const error = await connectError(client.get({ resource: Resource.TASKS, id: ids['bob-task']! }));
    expect(error.code).to.equal(Code.NotFound);
    const { items } = await client.list({ resource: Resource.TASKS });
    expect(titles(items)).not.to.include('bob personal');
    // And bob's own grant sees bob's data only.
    expect(titles((await list('bob')).items)).to.deep.equal(['bob personal', 't3 task']);
  });

  it('AC-2: A queries B for tasks, notes and memory, each respecting its scope filter', async () => {
    const owner = (value: { userId?: string; teamId?: string }) => ({
      owner: value.userId
        ? { case: 'userId' as const, value: value.userId }
        : { case: 'teamId' as const, value: value.teamId! },
    });
    for (const [title, who] of [
      ['note personal', { userId: ids.alice! }],
      ['note t1', { teamId: ids.t1! }],
    ] as const) {
      await b.admin.createItem({ item: { item: { case: 'note', value: { title, owner: owner(who) } } } });
    }
    for (const [title, who] of [
      ['memory personal', { userId: ids.alice! }],
      ['memory t1', { teamId: ids.t1! }],
      ['memory t2', { teamId: ids.t2! }],
    ] as const) {
      await b.admin.createItem({ item: { item: { case: 'memory', value: { title, owner: owner(who) } } } });
    }
    await enroll('alice-ac2', ids.alice!, {
      resources: ['tasks', 'notes', 'memory'],
      filters: {
        tasks: { include_teams: [] },
        notes: { include_personal: false },
        memory: { include_teams: [ids.t2], include_personal: false },
      },
    });
    const client = federationClient(credentials['alice-ac2']!);
    expect(titles((await client.list({ resource: Resource.TASKS })).items)).to.deep.equal([
      'alice personal 1',
      'alice personal 2',
      'alice personal 3',
    ]);
    expect(titles((await client.list({ resource: Resource.NOTES })).items)).to.deep.equal(['note t1']);
    expect(titles((await client.list({ resource: Resource.MEMORY })).items)).to.deep.equal(['memory t2']);
  });

  it('Capabilities reports the effective scope and the rate limit of the presented grant', async () => {
    const answer = await federationClient(credentials['alice-t1']!).capabilities({});
    expect(answer.grantId).to.equal(ids['grant:alice-t1']);
    expect(answer.subjectUserId).to.equal(ids.alice);
    expect(answer.allowedResources).to.deep.equal([Resource.TASKS]);
    expect(answer.scope?.filters?.tasks?.includeTeams?.teamIds).to.deep.equal([ids.t1]);
    expect(answer.rateLimit?.limitRpm).to.equal(60);
    expect(answer.certificateNotAfter).to.not.equal(undefined);
  });

  it('Get of an out-of-scope item and of a random id give identical answers', async () => {
    const client = federationClient(credentials['alice-all']!);
    const invisible = await connectError(client.get({ resource: Resource.TASKS, id: ids['bob-task']! }));
    const missing = await connectError(
      client.get({ resource: Resource.TASKS, id: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(invisible.code).to.equal(missing.code);
    expect(invisible.rawMessage.replace(ids['bob-task']!, 'X')).to.equal(
      missing.rawMessage.replace('00000000-0000-4000-8000-000000000000', 'X'),
    );
    const visible = await client.get({ resource: Resource.TASKS, id: ids['alice-task-1']! });
    expect((visible.item!.item.value as { title: string }).title).to.equal('alice personal 1');
  });

  it('M3-10: a scope cannot exceed native RBAC: a team the user is not in yields nothing', async () => {
    const { items } = await list('alice-t3');
    expect(items).to.deep.equal([]);
  });

  it('M3-7: max_rows_per_query caps a page; page tokens give the rest without duplicates or gaps', async () => {
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await list('alice-paged', token);
      expect(page.items.length).to.be.at.most(2);
      seen.push(...titles(page.items));
      token = page.nextPageToken;
      pages += 1;
    } while (token && pages < 10);
    expect(pages).to.equal(4);
    expect(seen.sort()).to.deep.equal(titles((await list('alice-all')).items));
    expect(new Set(seen).size).to.equal(seen.length);
  });

  it('List answers the same items and pages over Connect with protobuf or JSON and over gRPC', async () => {
    // Binary answers are written from the rows straight to the wire (data/item-wire.ts), JSON
    // ones through the reflective path: both must carry the same messages, page tokens included.
    const pagesOver = async (wire: FederationWire) => {
      const client = federationClient(credentials['alice-paged']!, wire);
      const pages: Array<{ items: Item[]; nextPageToken: string }> = [];
      let pageToken = '';
      do {
        const page = await client.list({ resource: Resource.TASKS, pageToken });
        pages.push({ items: page.items, nextPageToken: page.nextPageToken });
        pageToken = page.nextPageToken;
      } while (pageToken && pages.length < 10);
      return pages;
    };
    // Counts the encoded reads (the real method still runs): the wire choice must reach them.
    const encodedReads = { count: 0 };
    const original = VisibleItemViews.prototype.listVisibleEncoded;
    VisibleItemViews.prototype.listVisibleEncoded = function (this: VisibleItemViews, ...args) {
      encodedReads.count += 1;
      return original.apply(this, args);
    };
    try {
      const overProto = await pagesOver('connect-proto');
      expect(encodedReads.count).to.equal(4);
      expect(overProto).to.have.length(4);
      expect(overProto.flatMap((page) => page.items)).to.have.length(7);
      for (const item of overProto.flatMap((page) => page.items)) {
        const task = item.item.value as {
          id: string;
          createdAt?: unknown;
          updatedAt?: unknown;
          owner?: unknown;
        };
        expect(item.resource).to.equal(Resource.TASKS);
        expect(task.id).to.match(/^[0-9a-f-]{36}$/);
        expect(task.owner).to.not.equal(undefined);
        expect(task.createdAt).to.not.equal(undefined);
        expect(task.updatedAt).to.not.equal(undefined);
      }
      expect(await pagesOver('connect-json')).to.deep.equal(overProto);
      expect(encodedReads.count, 'JSON answers take the reflective path').to.equal(4);
      expect(await pagesOver('grpc')).to.deep.equal(overProto);
      expect(encodedReads.count).to.equal(8);
    } finally {
      VisibleItemViews.prototype.listVisibleEncoded = original;
    }
  });

  it('an altered page token answers invalid_argument', async () => {
    const { nextPageToken } = await list('alice-paged');
    const [payload, mac] = nextPageToken.split('.');
    const position = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, string>;
    const forged = `${Buffer.from(JSON.stringify({ ...position, i: ids['bob-task'] })).toString('base64url')}.${mac}`;
    const error = await connectError(list('alice-paged', forged));
    expect(error.code).to.equal(Code.InvalidArgument);
    // A token of one grant is not valid for another.
    const other = await connectError(list('alice-all', nextPageToken));
    expect(other.code).to.equal(Code.InvalidArgument);
  });

  it('a filter.updated_after outside the range of a timestamp answers invalid_argument, and a real one filters', async () => {
    const client = federationClient(credentials['alice-all']!);
    for (const updatedAfter of [
      { seconds: 10n ** 15n },
      { seconds: -(10n ** 15n) },
      { seconds: 0n, nanos: -1 },
    ]) {
      const error = await connectError(client.list({ resource: Resource.TASKS, filter: { updatedAfter } }));
      expect(error.code).to.equal(Code.InvalidArgument);
      expect(error.rawMessage).to.include('filter.updated_after');
    }
    const past = await client.list({ resource: Resource.TASKS, filter: { updatedAfter: { seconds: 0n } } });
    expect(past.items).to.have.length.above(0);
    const future = await client.list({
      resource: Resource.TASKS,
      filter: { updatedAfter: { seconds: 253_402_300_799n } },
    });
    expect(future.items).to.deep.equal([]);
  });

  describe('identity and grant checks', () => {
    async function forge(options: {
      grantId: string;
      subjectUserId: string;
      drop: string[];
    }): Promise<ClientCredentials> {
      const [row] = await b.db.query<{ id: string; certificate_pem: string; key_sealed: Buffer }>(
        "SELECT id, certificate_pem, key_sealed FROM ca.authorities WHERE state = 'active'",
      );
      const key = new Sealer(Buffer.from(b.env.MOSAIC_MASTER_KEY!, 'base64url')).unseal(row!.key_sealed, {
        purpose: 'ca-key',
        aad: row!.id,
      });
      const authority = loadAuthority({
        id: row!.id,
        certificatePem: row!.certificate_pem,
        privateKeyPem: key.toString(),
      });
      const keys = rsaKeyPair();
      const template = buildClientTemplate({
        authority,
        grant: {
          grantId: options.grantId,
          subjectUserId: options.subjectUserId,
          requestingServer: '127.0.0.2',
        },
        subjectPublicKeyInfo: keys.publicKey.export({ type: 'spki', format: 'der' }),
        lifetimeMs: 3_600_000,
        crlDistributionUrl: 'http://127.0.0.3/crl',
        now: new Date(),
        oids: defaultMosaicOids,
      });
      template.extensions = template.extensions.filter((extension) => !options.drop.includes(extension.oid));
      const signed = signCertificate(authority, template);
      return { ...credentials['alice-all']!, certPem: signed.pem, keyPem: keys.privateKeyPem };
    }

    it('M3-6: a certificate of the right CA with malformed or missing OIDs → 401', async () => {
      for (const drop of [
        [defaultMosaicOids.grantId, defaultMosaicOids.subjectUserId],
        [defaultMosaicOids.subjectUserId],
      ]) {
        const forged = await forge({ grantId: ids['grant:alice-all']!, subjectUserId: ids.alice!, drop });
        const error = await connectError(federationClient(forged).list({ resource: Resource.TASKS }));
        expect(error.code, `without ${drop.join(', ')}`).to.equal(Code.Unauthenticated);
        expect(error.rawMessage).to.match(/extension \(1\.3\.6\.1\.4\.1\.99999\.[12]\) is missing/);
      }
    });

    it("a valid certificate of B's CA that is not the grant's current one → 403", async () => {
      const forged = await forge({ grantId: ids['grant:alice-all']!, subjectUserId: ids.alice!, drop: [] });
      const error = await connectError(federationClient(forged).list({ resource: Resource.TASKS }));
      expect(error.code).to.equal(Code.PermissionDenied);
      expect(error.rawMessage).to.include('not the current certificate');
    });

    it('M3-6: a valid certificate whose grant is revoked in the database → 403; pending and suspended too', async () => {
      const client = federationClient(credentials.bob!);
      for (const [status, text] of [
        ['revoked', 'has been revoked'],
        ['suspended', 'is suspended'],
        ['pending', 'still pending'],
      ] as const) {
        await b.db.query('UPDATE grants.grants SET status = $2 WHERE id = $1', [ids['grant:bob'], status]);
        await b.announceGrantChange(ids['grant:bob']!);
        const error = await connectError(client.list({ resource: Resource.TASKS }));
        expect(error.code, status).to.equal(Code.PermissionDenied);
        expect(error.rawMessage).to.include(text);
      }
      await b.db.query("UPDATE grants.grants SET status = 'active' WHERE id = $1", [ids['grant:bob']]);
      await b.announceGrantChange(ids['grant:bob']!);
      expect((await client.list({ resource: Resource.TASKS })).items).to.have.length(2);
    });

    it('M3-5: a certificate signed by an untrusted CA is rejected in the TLS handshake; no handler runs', async () => {
      const metricsBefore = await (await fetch(`${b.running.internalUrl}/metrics`)).text();
      const count = (text: string) =>
        text
          .split('\n')
          .filter(
            (line) =>
              line.startsWith('mosaic_rpc_duration_seconds_count{') && line.includes('FederationService'),
          )
          .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
      const stranger = newAuthority('Untrusted CA');
      const keys = rsaKeyPair();
      const template = buildClientTemplate({
        authority: stranger.authority,
        grant: { grantId: ids['grant:alice-all']!, subjectUserId: ids.alice!, requestingServer: '127.0.0.2' },
        subjectPublicKeyInfo: keys.publicKey.export({ type: 'spki', format: 'der' }),
        lifetimeMs: 3_600_000,
        crlDistributionUrl: 'http://127.0.0.3/crl',
        now: new Date(),
        oids: defaultMosaicOids,
      });
      const signed = signCertificate(stranger.authority, template);
      expect(new X509Certificate(signed.pem).subject).to.include(`grant-${ids['grant:alice-all']}`);
      const error = await connectError(
        federationClient({
          ...credentials['alice-all']!,
          certPem: signed.pem,
          keyPem: keys.privateKeyPem,
        }).list({
          resource: Resource.TASKS,
        }),
      );
      // The server aborts the handshake (TLS alert), so the client never gets an RPC status.
      // The RPC never gets a status from a handler: the stream dies with the connection.
      expect(error.code).to.be.oneOf([Code.Unavailable, Code.Internal, Code.Unknown, Code.Canceled]);
      // On the wire: the server's TLS alert refusing the certificate (TLS 1.3 sends it right after
      // the client's Finished, before any application data is read).
      const url = new URL(credentials['alice-all']!.baseUrl);
      let handshakeCompleted = false;
      const alert = await new Promise<string>((resolve) => {
        const socket = tls.connect({
          host: url.hostname,
          port: Number(url.port),
          ca: credentials['alice-all']!.caPem,
          cert: signed.pem,
          key: keys.privateKeyPem,
          ALPNProtocols: ['h2'],
          // TLS 1.2: the client certificate is judged inside the handshake, so the alert ends it.
          maxVersion: 'TLSv1.2',
        });
        socket.on('error', (failure: NodeJS.ErrnoException) => resolve(failure.code ?? failure.message));
        socket.on('close', () => resolve('closed without an alert'));
        // Read, so the alert that follows the handshake is processed.
        socket.on('data', () => {});
        socket.on('secureConnect', () => {
          handshakeCompleted = true;
          socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
        });
      });
      // Node's TLS server refuses the unverified certificate as the handshake finishes: the
      // connection is reset (or alerted) before the client ever sees the handshake complete.
      expect(alert).to.match(/ECONNRESET|ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED)/);
      expect(handshakeCompleted).to.equal(false);
      const metricsAfter = await (await fetch(`${b.running.internalUrl}/metrics`)).text();
      expect(count(metricsAfter)).to.equal(count(metricsBefore));
    });
  });
});
