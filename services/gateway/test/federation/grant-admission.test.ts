import { setTimeout as sleep } from 'node:timers/promises';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { GrantSchema, GrantStatus, Resource } from '@mosaic/contracts/v1/common_pb';
import { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { createBullmqAdapters, createLogger, MosaicError, ValkeyUnreachableError } from '@mosaic/platform';
import { expect } from 'chai';
import { deletePrefix, randomPrefix, redisUrl, startValkeyRelay } from '../../../../test/support/redis.js';
import { settle } from '../../../../test/support/settle.js';
import { admitGrant, normalizeGrant, resourceRefused } from '../../src/federation/server/grant-access.js';
import { GrantAdmission } from '../../src/federation/server/grant-admission.js';
import type { PeerIdentity } from '../../src/pki/peer-identity.js';

const grantId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const subject = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const now = new Date('2026-11-22T12:00:00Z');
const identity: PeerIdentity = {
  grantId,
  subjectUserId: subject,
  fingerprint: 'aa'.repeat(32),
  serialHex: '01',
  notAfter: new Date('2026-12-22T12:00:00Z'),
};

function grant(overrides: Record<string, unknown> = {}) {
  return normalizeGrant(
    create(GrantSchema, {
      id: grantId,
      subjectUserId: subject,
      status: GrantStatus.ACTIVE,
      activeCertFingerprint: 'aa'.repeat(32),
      rateLimitRpm: 60,
      scope: {
        resources: [Resource.TASKS, Resource.NOTES, Resource.CREDENTIALS],
        excludedResources: [Resource.CREDENTIALS, Resource.API_KEYS],
        filters: { tasks: { includeTeams: { teamIds: ['t1'] }, includePersonal: false } },
        maxRowsPerQuery: 25,
      },
      ...overrides,
    } as MessageInitShape<typeof GrantSchema>),
  );
}

describe('access rule step 3: grant admission', () => {
  const cases: Array<{ name: string; grant: ReturnType<typeof grant> | null; reason: string | null }> = [
    { name: 'an active grant with its current certificate is admitted', grant: grant(), reason: null },
    { name: 'an unknown grant is refused', grant: null, reason: 'grant_unknown' },
    {
      name: 'a pending grant is refused',
      grant: grant({ status: GrantStatus.PENDING }),
      reason: 'grant_pending',
    },
    {
      name: 'a suspended grant is refused',
      grant: grant({ status: GrantStatus.SUSPENDED }),
      reason: 'grant_suspended',
    },
    {
      name: 'a suspension that has expired no longer refuses',
      grant: grant({
        status: GrantStatus.SUSPENDED,
        suspendedUntil: timestampFromDate(new Date('2026-11-22T11:00:00Z')),
      }),
      reason: null,
    },
    {
      name: 'a suspension until later still refuses',
      grant: grant({
        status: GrantStatus.SUSPENDED,
        suspendedUntil: timestampFromDate(new Date('2026-11-22T13:00:00Z')),
      }),
      reason: 'grant_suspended',
    },
    {
      name: 'a revoked grant is refused',
      grant: grant({ status: GrantStatus.REVOKED }),
      reason: 'grant_revoked',
    },
    {
      name: 'a certificate that is not the current one is refused',
      grant: grant({ activeCertFingerprint: 'bb'.repeat(32) }),
      reason: 'certificate_not_current',
    },
    {
      name: 'the previous certificate inside the renewal overlap is admitted',
      grant: grant({
        activeCertFingerprint: 'bb'.repeat(32),
        previousCertFingerprint: 'aa'.repeat(32),
        previousCertValidUntil: timestampFromDate(new Date('2026-11-22T12:05:00Z')),
      }),
      reason: null,
    },
    {
      name: 'the previous certificate after the overlap is refused',
      grant: grant({
        activeCertFingerprint: 'bb'.repeat(32),
        previousCertFingerprint: 'aa'.repeat(32),
        previousCertValidUntil: timestampFromDate(new Date('2026-11-22T11:59:00Z')),
      }),
      reason: 'certificate_not_current',
    },
    {
      name: 'a certificate whose subject user is not the grant subject is refused',
      grant: grant({ subjectUserId: '11111111-1111-4111-8111-111111111111' }),
      reason: 'subject_mismatch',
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const refusal = admitGrant(identity, testCase.grant, now);
      if (testCase.reason === null) {
        expect(refusal).to.equal(null);
        return;
      }
      expect(refusal?.kind).to.equal('permission_denied');
      expect(refusal?.reason).to.equal(testCase.reason);
      expect(refusal?.remedy).to.be.a('string').and.not.equal('');
    });
  }
});

describe('access rule step 3: a certificate that expired while its connection stayed open', () => {
  const at = (iso: string): PeerIdentity => ({ ...identity, notAfter: new Date(iso) });

  it('is refused with certificate_expired, the time it expired and a remedy', () => {
    const refusal = admitGrant(at('2026-11-22T11:59:59Z'), grant(), now);
    expect(refusal?.kind).to.equal('permission_denied');
    expect(refusal?.reason).to.equal('certificate_expired');
    expect(refusal?.message).to.include('2026-11-22T11:59:59.000Z');
    expect(refusal?.remedy).to.match(/enroll again/);
  });

  it('is refused from the instant notAfter is reached, as the handshake (OpenSSL) counts it', () => {
    expect(admitGrant(at('2026-11-22T12:00:00Z'), grant(), now)?.reason).to.equal('certificate_expired');
    expect(admitGrant(at('2026-11-22T12:00:01Z'), grant(), now)).to.equal(null);
  });

  it('is refused even as the previous certificate inside the renewal overlap', () => {
    const overlapping = grant({
      activeCertFingerprint: 'bb'.repeat(32),
      previousCertFingerprint: 'aa'.repeat(32),
      previousCertValidUntil: timestampFromDate(new Date('2026-11-22T12:05:00Z')),
    });
    expect(admitGrant(at('2026-11-22T11:00:00Z'), overlapping, now)?.reason).to.equal('certificate_expired');
  });
});

describe('access rule step 5: the resource must be granted and not excluded', () => {
  it('allows granted resources, refuses excluded and ungranted ones with the allowed list', () => {
    const normalized = grant();
    expect(resourceRefused(normalized, Resource.TASKS)).to.equal(null);
    const credentials = resourceRefused(normalized, Resource.CREDENTIALS);
    expect(credentials?.reason).to.equal('resource_not_in_scope');
    expect(credentials?.remedy).to.include('tasks, notes');
    expect(resourceRefused(normalized, Resource.MEMORY)?.kind).to.equal('permission_denied');
  });

  it('carries the scope filters into per-resource access: include_teams list vs all teams', () => {
    const normalized = grant();
    expect(normalized.access.tasks).to.deep.equal({ includePersonal: false, includeTeams: ['t1'] });
    expect(normalized.access.notes).to.deep.equal({ includePersonal: true, includeTeams: null });
    expect(normalized.maxRowsPerQuery).to.equal(25);
  });
});

/**
 * Admission against these Valkey adapters and a grants service nobody serves: port 9 (discard) on
 * loopback, where nothing listens, so every call to it is refused by the kernel.
 */
function admissionWithoutGrants(adapters: ReturnType<typeof createBullmqAdapters>): GrantAdmission {
  return new GrantAdmission({
    grants: createClient(
      GrantsService,
      createConnectTransport({ baseUrl: 'http://127.0.0.1:9', httpVersion: '1.1' }),
    ),
    rateLimiter: adapters.rateLimiter,
    generations: adapters.generations,
  });
}

describe('access rule steps 3–4 while Valkey is away', () => {
  it('refuses a request with unavailable (503, overloaded) within the bound instead of holding it', async () => {
    const relay = await startValkeyRelay();
    const prefix = randomPrefix();
    const adapters = createBullmqAdapters({
      url: relay.url,
      prefix,
      connectionName: `test-${prefix}`,
      requestPathTimeoutMs: 300,
      logger: createLogger({ service: 'grant-admission-test', level: 'silent' }),
    });
    // The grants service is never reached: the grant's generation marker is read from Valkey first.
    const admission = admissionWithoutGrants(adapters);
    const admitted = async () => (await settle(admission.admit(identity))).outcome;
    const expectRefused = (outcome: unknown) => {
      expect(outcome).to.be.instanceOf(MosaicError);
      const refusal = outcome as MosaicError;
      expect(refusal.kind).to.equal('unavailable');
      expect(refusal.reason).to.equal('overloaded');
      expect(refusal.message).to.include('Valkey');
      expect(refusal.cause).to.be.instanceOf(ValkeyUnreachableError);
    };
    try {
      // Before Valkey was ever reached.
      await relay.stop();
      expectRefused(await admitted());
      // After it was: the connection drops under a gateway that was serving.
      await relay.start();
      const connectedBy = Date.now() + 10_000;
      while (
        !(await adapters.generations.current('warm').then(
          () => true,
          () => false,
        ))
      ) {
        if (Date.now() > connectedBy) expect.fail('Valkey was not reached within 10 s of the relay starting');
        await sleep(50);
      }
      await relay.stop();
      expectRefused(await admitted());
      await sleep(100);
      expectRefused(await admitted());
    } finally {
      await adapters.close();
      await relay.stop();
      await deletePrefix(prefix);
    }
  });
});

describe('access rule step 3 while the grants service is away', () => {
  it("refuses with unavailable (overloaded) and tells the peer nothing of the grants service's address", async () => {
    const prefix = randomPrefix();
    const adapters = createBullmqAdapters({
      url: redisUrl,
      prefix,
      connectionName: `test-${prefix}`,
      logger: createLogger({ service: 'grant-admission-test', level: 'silent' }),
    });
    const admission = admissionWithoutGrants(adapters);
    try {
      const { outcome } = await settle(admission.admit(identity));
      expect(outcome).to.be.instanceOf(MosaicError);
      const refusal = outcome as MosaicError;
      expect(refusal.kind).to.equal('unavailable');
      expect(refusal.reason).to.equal('overloaded');
      expect(refusal.message).to.include(grantId);
      expect(refusal.message).to.not.match(/127\.0\.0\.1|ECONNREFUSED|:9\b/);
      // The log keeps what happened, through the cause.
      expect(String((refusal.cause as Error).message)).to.match(/ECONNREFUSED|fetch failed|connect/i);
    } finally {
      await adapters.close();
      await deletePrefix(prefix);
    }
  });
});
