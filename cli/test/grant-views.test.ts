import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  CreateEnrollmentUrlResponseSchema,
  CreateGrantResponseSchema,
  CrlState,
  GetGrantResponseSchema,
} from '@mosaic/contracts/v1/admin_pb';
import { CertificateKind, CertificateStatus } from '@mosaic/contracts/v1/ca_pb';
import { GrantSchema, GrantStatus, Resource, RevocationReason } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import {
  enrollmentUrlJson,
  grantCreatedJson,
  grantShowJson,
  renderEnrollmentUrl,
  renderGrantCreated,
  renderGrantShow,
  scopeSummaryLines,
} from '../src/render/grant-view.js';

const at = (iso: string) => timestampFromDate(new Date(iso));
const grantId = '6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e';
const fingerprint = '3b'.repeat(32);
const url = `mosaic-enroll://work.example.com:8444/${grantId}?token=${'Ab_-'.repeat(10)}xyz&ca=sha256:${fingerprint}`;
const now = new Date('2030-03-01T09:00:00Z');

const pendingGrant = create(GrantSchema, {
  id: grantId,
  subjectUserId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  requestingServer: 'home.example.org',
  scope: {
    resources: [Resource.TASKS, Resource.NOTES],
    filters: { tasks: { includeTeams: { teamIds: [] } } },
    excludedResources: [Resource.CREDENTIALS, Resource.API_KEYS],
    maxRowsPerQuery: 200,
  },
  rateLimitRpm: 60,
  status: GrantStatus.PENDING,
  createdAt: at('2030-03-01T09:00:00Z'),
});

const created = create(CreateGrantResponseSchema, {
  grant: pendingGrant,
  enrollmentUrl: url,
  enrollmentExpiresAt: at('2030-03-01T09:15:00Z'),
  caFingerprint: fingerprint,
});

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('mosaic federation grant create / show (rendering)', () => {
  it('grant create prints the grant, then the enrollment URL exactly once with its expiry and the CA fingerprint', () => {
    const view = grantCreatedJson(created);
    const text = renderGrantCreated(view, now);
    expect(occurrences(text, url)).to.equal(1);
    expect(occurrences(text, 'token=')).to.equal(1);
    expect(text).to.include(`Grant ${grantId}`);
    expect(text).to.match(/^ {2}status\s+○ pending$/m);
    expect(text).to.match(/^ {2}subject\s+0f8fad5b-d9cb-469f-a165-70867728950e/m);
    expect(text).to.match(/^ {2}peer\s+home\.example\.org$/m);
    expect(text).to.match(/^ {2}scope\s+tasks, notes$/m);
    expect(text).to.match(/^\s+excluded: credentials, api_keys$/m);
    expect(text).to.match(/^\s+tasks: no team items; personal items$/m);
    expect(text).to.match(/^\s+at most 200 rows per query$/m);
    expect(text).to.match(/^ {2}rate limit\s+60 requests\/min$/m);
    expect(text).to.match(/^ {2}expires\s+2030-03-01 09:15 UTC$/m);
    expect(text).to.match(new RegExp(`^ {2}CA fingerprint\\s+sha256:${fingerprint}$`, 'm'));
    expect(text).to.include('single-use and expires in 15 minutes');
    expect(text).to.include('admin of home.example.org over a trusted channel');
    // The grant comes first, then the URL.
    expect(text.indexOf('rate limit')).to.be.lessThan(text.indexOf(url));
  });

  it('grant create --json has enrollmentUrl, its expiry and the fingerprint, and no protobuf internals', () => {
    const view = grantCreatedJson(created);
    expect(Object.keys(view)).to.deep.equal([
      'version',
      'grant',
      'enrollmentUrl',
      'enrollmentExpiresAt',
      'caFingerprint',
    ]);
    expect(view.version).to.equal(1);
    expect(view.enrollmentUrl).to.equal(url);
    expect(view.enrollmentExpiresAt).to.equal('2030-03-01T09:15:00.000Z');
    expect(view.caFingerprint).to.equal(fingerprint);
    expect(view.grant.status).to.equal('pending');
    expect(view.grant.scope).to.deep.equal({
      resources: ['tasks', 'notes'],
      filters: { tasks: { include_teams: [], include_personal: true } },
      excluded_resources: ['credentials', 'api_keys'],
      max_rows_per_query: 200,
    });
    const json = JSON.stringify(view);
    expect(json).not.to.include('$typeName');
    expect(occurrences(json, 'token=')).to.equal(1);
  });

  it('grant enrollment-url prints the new URL once and says earlier ones stop working', () => {
    const response = create(CreateEnrollmentUrlResponseSchema, {
      enrollmentUrl: url,
      expiresAt: at('2030-03-01T11:00:00Z'),
      caFingerprint: fingerprint,
    });
    const view = enrollmentUrlJson(grantId, response);
    expect(view).to.deep.equal({
      version: 1,
      grantId,
      enrollmentUrl: url,
      enrollmentExpiresAt: '2030-03-01T11:00:00.000Z',
      caFingerprint: fingerprint,
    });
    const text = renderEnrollmentUrl(view, null, now);
    expect(occurrences(text, url)).to.equal(1);
    expect(text).to.include('expires in 120 minutes');
    expect(text).to.include('no longer works');
  });

  it('grant show lists the certificates without PEM and the CRL state', () => {
    const response = create(GetGrantResponseSchema, {
      grant: {
        ...pendingGrant,
        status: GrantStatus.REVOKED,
        revokedAt: at('2030-03-10T08:00:00Z'),
        revokeReason: 'laptop lost',
      },
      certificates: [
        {
          serialNumber: '1f2e3d',
          kind: CertificateKind.CLIENT,
          status: CertificateStatus.REVOKED,
          subject: `CN=grant-${grantId},O=home.example.org`,
          sha256Fingerprint: 'ab'.repeat(32),
          grantId,
          notBefore: at('2030-03-01T09:10:00Z'),
          notAfter: at('2030-03-31T09:10:00Z'),
          issuedAt: at('2030-03-01T09:10:00Z'),
          revokedAt: at('2030-03-10T08:00:00Z'),
          revocationReason: RevocationReason.CESSATION_OF_OPERATION,
          issuerBackend: 'builtin',
          certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        },
      ],
      crlState: CrlState.LISTED,
    });
    const view = grantShowJson(response);
    expect(view.crlState).to.equal('listed');
    expect(view.certificates).to.deep.equal([
      {
        serialNumber: '1f2e3d',
        kind: 'client',
        status: 'revoked',
        subject: `CN=grant-${grantId},O=home.example.org`,
        sha256Fingerprint: 'ab'.repeat(32),
        notBefore: '2030-03-01T09:10:00.000Z',
        notAfter: '2030-03-31T09:10:00.000Z',
        issuedAt: '2030-03-01T09:10:00.000Z',
        revokedAt: '2030-03-10T08:00:00.000Z',
        revocationReason: 'cessation_of_operation',
        issuerBackend: 'builtin',
      },
    ]);
    const text = renderGrantShow(view);
    expect(text).to.match(/^ {2}status\s+✖ revoked$/m);
    expect(text).to.match(/^ {2}revoked\s+2030-03-10 08:00: laptop lost$/m);
    expect(text).to.match(/^ {2}CRL\s+listed on the published CRL$/m);
    expect(text).to.match(
      /^1f2e3d\s+revoked\s+2030-03-01 09:10\s+2030-03-31 09:10\s+2030-03-10 08:00 cessation_of_operation\s+(ab){32}$/m,
    );
    expect(JSON.stringify(view) + text).not.to.include('BEGIN');
  });

  it('scope summaries read the filters as the grants service applies them', () => {
    expect(
      scopeSummaryLines({
        resources: ['tasks', 'memory'],
        filters: {
          tasks: { include_teams: ['t1', 't2'], include_personal: false },
          memory: { include_personal: true },
        },
        excluded_resources: [],
      }),
    ).to.deep.equal([
      'tasks, memory',
      'excluded: none',
      'tasks: only teams t1, t2; no personal items',
      "memory: all of the user's teams; personal items",
    ]);
    expect(scopeSummaryLines(null)).to.deep.equal(['(none reported)']);
  });
});
