import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { PeerSchema, PeerStatus } from '@mosaic/contracts/v1/admin_pb';
import { GrantSchema, GrantStatus, Resource } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import {
  grantJson,
  grantListHeaders,
  grantRow,
  renderGrantList,
  renderGrantRevoked,
} from '../src/render/grant-view.js';
import {
  peerJson,
  peerListHeaders,
  peerRow,
  renderPeerAdded,
  renderPeerList,
} from '../src/render/peer-view.js';

const at = (iso: string) => timestampFromDate(new Date(iso));
const user = '0f8fad5b-d9cb-469f-a165-70867728950e';
const team = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const activeGrant = create(GrantSchema, {
  id: '11111111-1111-4111-8111-111111111111',
  subjectUserId: user,
  requestingServer: 'home.example.org',
  activeCertFingerprint: 'a'.repeat(64),
  activeCertSerial: '1f2e3d',
  activeCertExpiresAt: at('2030-04-01T00:00:00Z'),
  scope: {
    resources: [Resource.TASKS, Resource.NOTES],
    filters: {
      tasks: { includeTeams: { teamIds: [team] }, includePersonal: false },
      notes: { includePersonal: true },
    },
    excludedResources: [Resource.CREDENTIALS, Resource.API_KEYS],
    maxRowsPerQuery: 500,
  },
  rateLimitRpm: 600,
  status: GrantStatus.ACTIVE,
  createdAt: at('2030-03-01T09:05:59Z'),
  activatedAt: at('2030-03-01T09:10:00Z'),
  lastUsedAt: at('2030-03-02T17:45:10Z'),
  notes: 'home server of Alice',
  updatedAt: at('2030-03-01T09:10:00Z'),
});

const pendingGrant = create(GrantSchema, {
  id: '22222222-2222-4222-8222-222222222222',
  subjectUserId: user,
  requestingServer: 'laptop.example.org',
  scope: { resources: [Resource.MEMORY], excludedResources: [Resource.CREDENTIALS, Resource.API_KEYS] },
  rateLimitRpm: 60,
  status: GrantStatus.PENDING,
  createdAt: at('2030-03-03T12:00:00Z'),
  updatedAt: at('2030-03-03T12:00:00Z'),
});

const revokedGrant = create(GrantSchema, {
  id: '33333333-3333-4333-8333-333333333333',
  subjectUserId: '44444444-4444-4444-8444-444444444444',
  requestingServer: 'old.example.org',
  activeCertFingerprint: 'b'.repeat(64),
  activeCertSerial: 'abc',
  scope: { resources: [Resource.TASKS], excludedResources: [Resource.CREDENTIALS, Resource.API_KEYS] },
  rateLimitRpm: 60,
  status: GrantStatus.REVOKED,
  createdAt: at('2030-01-01T00:00:00Z'),
  activatedAt: at('2030-01-01T00:01:00Z'),
  revokedAt: at('2030-02-01T08:30:00Z'),
  revokeReason: 'laptop lost',
  lastUsedAt: at('2030-01-31T23:59:00Z'),
});

const suspendedGrant = create(GrantSchema, {
  id: '55555555-5555-4555-8555-555555555555',
  subjectUserId: user,
  requestingServer: 'home.example.org',
  rateLimitRpm: 60,
  status: GrantStatus.SUSPENDED,
  createdAt: at('2030-01-05T00:00:00Z'),
  suspendedAt: at('2030-03-04T10:00:00Z'),
  suspendedUntil: at('2030-03-05T10:00:00Z'),
  suspendReason: 'investigating',
});

const pem = '-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n';

const activePeer = create(PeerSchema, {
  id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  peerHostname: 'work.example.com',
  peerCaFingerprint: 'c'.repeat(64),
  grantId: activeGrant.id,
  localUserId: user,
  clientCertPem: pem,
  certSerial: '1f2e3d',
  certExpiresAt: at('2030-04-01T00:00:00Z'),
  status: PeerStatus.ACTIVE,
  lastSuccessAt: at('2030-03-02T17:45:10Z'),
  federationEndpoint: 'https://work.example.com:8443',
  createdAt: at('2030-03-01T09:10:00Z'),
  remoteUserId: '66666666-6666-4666-8666-666666666666',
});

const pendingPeer = create(PeerSchema, {
  id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
  peerHostname: 'partner.example.net',
  peerCaFingerprint: 'd'.repeat(64),
  grantId: '77777777-7777-4777-8777-777777777777',
  localUserId: user,
  status: PeerStatus.PENDING,
  createdAt: at('2030-03-03T12:01:00Z'),
});

const revokedPeer = create(PeerSchema, {
  id: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc',
  peerHostname: 'old.example.com',
  peerCaFingerprint: 'e'.repeat(64),
  grantId: revokedGrant.id,
  localUserId: user,
  clientCertPem: pem,
  certSerial: 'abc',
  certExpiresAt: at('2030-02-28T00:00:00Z'),
  status: PeerStatus.REVOKED,
  lastSuccessAt: at('2030-01-31T23:59:00Z'),
  lastFailureAt: at('2030-02-01T08:31:00Z'),
  lastFailureReason: 'grant revoked by the serving gateway',
  createdAt: at('2030-01-01T00:01:00Z'),
});

const degradedPeer = create(PeerSchema, {
  id: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd',
  peerHostname: 'flaky.example.com',
  peerCaFingerprint: 'f'.repeat(64),
  grantId: '88888888-8888-4888-8888-888888888888',
  localUserId: user,
  clientCertPem: pem,
  certSerial: '99',
  certExpiresAt: at('2030-03-06T00:00:00Z'),
  status: PeerStatus.DEGRADED,
  lastSuccessAt: at('2030-03-01T00:00:00Z'),
  lastFailureAt: at('2030-03-04T06:07:08Z'),
  lastFailureReason: 'renewal failed: CA unavailable',
  createdAt: at('2030-02-01T00:00:00Z'),
});

/** Table lines split into cells (two or more spaces separate cells; no cell contains two spaces). */
const cells = (line: string) => line.split(/ {2,}/);

describe('mosaic federation grant list / peer list (rendering)', () => {
  it('M2-8: grant list and peer list render active, pending and revoked entries accurately, in tables and in --json', () => {
    // --- grants: JSON views, exact ---
    const grants = [activeGrant, pendingGrant, revokedGrant, suspendedGrant].map(grantJson);
    expect(grants[0]).to.deep.equal({
      id: '11111111-1111-4111-8111-111111111111',
      subjectUserId: user,
      requestingServer: 'home.example.org',
      requestingCaFingerprint: null,
      status: 'active',
      scope: {
        resources: ['tasks', 'notes'],
        filters: {
          tasks: { include_teams: [team], include_personal: false },
          notes: { include_personal: true },
        },
        excluded_resources: ['credentials', 'api_keys'],
        max_rows_per_query: 500,
      },
      rateLimitRpm: 600,
      activeCertFingerprint: 'a'.repeat(64),
      activeCertSerial: '1f2e3d',
      activeCertExpiresAt: '2030-04-01T00:00:00.000Z',
      previousCertFingerprint: null,
      previousCertValidUntil: null,
      createdAt: '2030-03-01T09:05:59.000Z',
      activatedAt: '2030-03-01T09:10:00.000Z',
      lastUsedAt: '2030-03-02T17:45:10.000Z',
      suspendedAt: null,
      suspendedUntil: null,
      suspendReason: null,
      revokedAt: null,
      revokeReason: null,
      notes: 'home server of Alice',
      updatedAt: '2030-03-01T09:10:00.000Z',
    });
    expect(grants[1]).to.deep.equal({
      id: '22222222-2222-4222-8222-222222222222',
      subjectUserId: user,
      requestingServer: 'laptop.example.org',
      requestingCaFingerprint: null,
      status: 'pending',
      scope: { resources: ['memory'], filters: {}, excluded_resources: ['credentials', 'api_keys'] },
      rateLimitRpm: 60,
      activeCertFingerprint: null,
      activeCertSerial: null,
      activeCertExpiresAt: null,
      previousCertFingerprint: null,
      previousCertValidUntil: null,
      createdAt: '2030-03-03T12:00:00.000Z',
      activatedAt: null,
      lastUsedAt: null,
      suspendedAt: null,
      suspendedUntil: null,
      suspendReason: null,
      revokedAt: null,
      revokeReason: null,
      notes: null,
      updatedAt: '2030-03-03T12:00:00.000Z',
    });
    expect(grants[2]).to.include({
      status: 'revoked',
      revokedAt: '2030-02-01T08:30:00.000Z',
      revokeReason: 'laptop lost',
      lastUsedAt: '2030-01-31T23:59:00.000Z',
    });
    expect(grants[3]).to.include({
      status: 'suspended',
      scope: null,
      suspendedAt: '2030-03-04T10:00:00.000Z',
      suspendedUntil: '2030-03-05T10:00:00.000Z',
      suspendReason: 'investigating',
    });
    const grantList = { version: 1 as const, grants };
    expect(JSON.stringify(grantList)).not.to.include('$typeName');
    expect(JSON.parse(JSON.stringify(grantList))).to.deep.equal(grantList);

    // --- grants: table rows, cell by cell ---
    expect(grantListHeaders).to.deep.equal([
      'ID',
      'STATUS',
      'SUBJECT',
      'PEER',
      'RATE',
      'CREATED',
      'LAST USED',
    ]);
    expect(grants.map(grantRow)).to.deep.equal([
      [
        activeGrant.id,
        '● active',
        user,
        'home.example.org',
        '600/min',
        '2030-03-01 09:05',
        '2030-03-02 17:45',
      ],
      [pendingGrant.id, '○ pending', user, 'laptop.example.org', '60/min', '2030-03-03 12:00', '-'],
      [
        revokedGrant.id,
        '✖ revoked',
        '44444444-4444-4444-8444-444444444444',
        'old.example.org',
        '60/min',
        '2030-01-01 00:00',
        '2030-01-31 23:59',
      ],
      [suspendedGrant.id, '◐ suspended', user, 'home.example.org', '60/min', '2030-01-05 00:00', '-'],
    ]);
    const grantTable = renderGrantList(grantList).split('\n');
    expect(cells(grantTable[0]!)).to.deep.equal([...grantListHeaders]);
    expect(grantTable[1]).to.match(/^-+( {2}-+){6}$/);
    expect(grantTable.slice(2).map(cells)).to.deep.equal(grants.map(grantRow));

    // --- peers: JSON views, exact, and no certificate or key material anywhere ---
    const peers = [activePeer, pendingPeer, revokedPeer, degradedPeer].map(peerJson);
    expect(peers[0]).to.deep.equal({
      id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      peerHostname: 'work.example.com',
      peerCaFingerprint: 'c'.repeat(64),
      federationEndpoint: 'https://work.example.com:8443',
      grantId: activeGrant.id,
      localUserId: user,
      remoteUserId: '66666666-6666-4666-8666-666666666666',
      status: 'active',
      certSerial: '1f2e3d',
      certExpiresAt: '2030-04-01T00:00:00.000Z',
      lastSuccessAt: '2030-03-02T17:45:10.000Z',
      lastFailureAt: null,
      lastFailureReason: null,
      notes: null,
      createdAt: '2030-03-01T09:10:00.000Z',
    });
    expect(peers[1]).to.deep.equal({
      id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
      peerHostname: 'partner.example.net',
      peerCaFingerprint: 'd'.repeat(64),
      federationEndpoint: null,
      grantId: '77777777-7777-4777-8777-777777777777',
      localUserId: user,
      remoteUserId: null,
      status: 'pending',
      certSerial: null,
      certExpiresAt: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      lastFailureReason: null,
      notes: null,
      createdAt: '2030-03-03T12:01:00.000Z',
    });
    expect(peers[2]).to.include({
      status: 'revoked',
      lastFailureAt: '2030-02-01T08:31:00.000Z',
      lastFailureReason: 'grant revoked by the serving gateway',
    });
    expect(peers[3]).to.include({ status: 'degraded', lastFailureReason: 'renewal failed: CA unavailable' });
    const peerList = { version: 1 as const, peers };
    const peerJsonText = JSON.stringify(peerList);
    for (const forbidden of ['BEGIN', 'PEM', 'clientCert', 'Sealed', 'sealed', 'key', '$typeName']) {
      expect(peerJsonText, forbidden).not.to.include(forbidden);
    }

    // --- peers: table rows, cell by cell ---
    expect(peerListHeaders).to.deep.equal([
      'ID',
      'PEER',
      'STATUS',
      'GRANT',
      'CERT EXPIRES',
      'LAST SUCCESS',
      'LAST FAILURE',
    ]);
    expect(peers.map(peerRow)).to.deep.equal([
      [
        activePeer.id,
        'work.example.com',
        '● active',
        activeGrant.id,
        '2030-04-01 00:00',
        '2030-03-02 17:45',
        '-',
      ],
      [pendingPeer.id, 'partner.example.net', '○ pending', pendingPeer.grantId, '-', '-', '-'],
      [
        revokedPeer.id,
        'old.example.com',
        '✖ revoked',
        revokedGrant.id,
        '2030-02-28 00:00',
        '2030-01-31 23:59',
        '2030-02-01 08:31',
      ],
      [
        degradedPeer.id,
        'flaky.example.com',
        '▲ degraded',
        degradedPeer.grantId,
        '2030-03-06 00:00',
        '2030-03-01 00:00',
        '2030-03-04 06:07',
      ],
    ]);
    const peerText = renderPeerList(peerList);
    const peerTable = peerText.split('\n');
    expect(cells(peerTable[0]!)).to.deep.equal([...peerListHeaders]);
    expect(peerTable.slice(2, 6).map(cells)).to.deep.equal(peers.map(peerRow));
    expect(peerText).to.include('Last failures:\n  old.example.com: grant revoked by the serving gateway');
    expect(peerText).to.include('  flaky.example.com: renewal failed: CA unavailable');
    expect(peerText).not.to.include('BEGIN');
  });

  it('M2-8: empty lists say how to create the first entry, in tables and in --json', () => {
    expect(renderGrantList({ version: 1, grants: [] })).to.include('mosaic federation grant create');
    expect(renderPeerList({ version: 1, peers: [] })).to.include('mosaic federation peer add');
    expect(JSON.stringify({ version: 1, peers: [] })).to.equal('{"version":1,"peers":[]}');
  });

  it('peer add says who may query the new peer: the local user, or every local user when none was given', () => {
    const forUser = renderPeerAdded({ version: 1, peer: peerJson(activePeer) });
    expect(forUser).to.match(new RegExp(`local user\\s+${user}`));
    expect(forUser).to.include('Agents of the local user can now query it');
    const shared = renderPeerAdded({ version: 1, peer: peerJson({ ...activePeer, localUserId: '' }) });
    expect(shared).to.match(/local user\s+\(every local user of this gateway\)/);
    expect(shared).to.include('Agents of every local user');
    expect(shared).to.include('--user');
  });

  it('grant revoke says when the grant had been revoked before, keeps the first reason and does not claim no certificate was issued', () => {
    const first = renderGrantRevoked(
      { version: 1, grant: grantJson(revokedGrant), revokedSerialNumbers: ['0a1b2c'], alreadyRevoked: false },
      'laptop lost',
    );
    expect(first).to.include('Put on the CRL: 0a1b2c.');
    expect(first).not.to.include('already revoked');
    const again = renderGrantRevoked(
      { version: 1, grant: grantJson(revokedGrant), revokedSerialNumbers: [], alreadyRevoked: true },
      'other',
    );
    expect(again).to.include(
      `Grant ${revokedGrant.id} was already revoked at 2030-02-01T08:30:00.000Z (reason: laptop lost).`,
    );
    expect(again).to.include('The reason given now is not stored');
    expect(again).to.include('Its certificates were already on the CRL; nothing was added.');
    expect(again).not.to.include('No certificate had been issued');
    const sameReason = renderGrantRevoked(
      { version: 1, grant: grantJson(revokedGrant), revokedSerialNumbers: [], alreadyRevoked: true },
      'laptop lost',
    );
    expect(sameReason).not.to.include('not stored');
  });
});
