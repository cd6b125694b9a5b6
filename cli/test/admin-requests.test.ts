import { create, equals, isFieldSet } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  AddPeerRequestSchema,
  CreateEnrollmentUrlRequestSchema,
  CreateGrantRequestSchema,
  CreateTeamRequestSchema,
  CreateUserRequestSchema,
  ListGrantsRequestSchema,
  ListPeersRequestSchema,
  PeerStatus,
  SuspendGrantRequestSchema,
  UpdateGrantRequestSchema,
} from '@mosaic/contracts/v1/admin_pb';
import { ErrorDetailSchema, ErrorReason, GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { UserRole } from '@mosaic/contracts/v1/directory_pb';
import { expect } from 'chai';
import { describeRpcRefusal } from '../src/admin-command.js';
import { isUsageError } from '../src/inputs.js';
import {
  addPeerRequest,
  createEnrollmentUrlRequest,
  createGrantRequest,
  createTeamRequest,
  createUserRequest,
  listGrantsRequest,
  listPeersRequest,
  suspendGrantRequest,
  updateGrantRequest,
} from '../src/requests.js';

const user = '0f8fad5b-d9cb-469f-a165-70867728950e';
const grantId = '6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e';
const scopeText = '{ "resources": ["tasks"] }\n';
const token = 'Qk9PTS1zZWNyZXQtdG9rZW4tdmFsdWUtNDMtY2hhcnM';
const enrollmentUrl = `mosaic-enroll://work.example.com:8444/${grantId}?token=${token}&ca=sha256:${'ab'.repeat(32)}`;

function usageErrorOf(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    expect(isUsageError(error), String(error)).to.equal(true);
    return error as Error;
  }
  throw new Error('expected a UsageError');
}

describe('admin requests built by the CLI (cli/src/requests.ts)', () => {
  it('grant create sends the scope file text as scope_json and leaves defaults unset', () => {
    const request = createGrantRequest({ user, peer: 'Home.Example.org', scopeJson: scopeText });
    expect(
      equals(
        CreateGrantRequestSchema,
        request,
        create(CreateGrantRequestSchema, {
          subjectUserId: user,
          requestingServer: 'home.example.org',
          scopeJson: scopeText,
        }),
      ),
    ).to.equal(true);
    expect(request.scope).to.equal(undefined); // either scope or scope_json, never both
    expect(request.rateLimitRpm).to.equal(0); // 0: the gateway's default (60)
    expect(isFieldSet(request, CreateGrantRequestSchema.field.enrollmentTtl)).to.equal(false); // 15 minutes
  });

  it('grant create carries every option as documented', () => {
    const request = createGrantRequest({
      user: user.toUpperCase(),
      peer: 'home.example.org',
      scopeJson: scopeText,
      rateLimit: 120,
      allowSensitive: true,
      notes: 'Alice, home',
      enrollmentTtlMinutes: 60,
    });
    expect(
      equals(
        CreateGrantRequestSchema,
        request,
        create(CreateGrantRequestSchema, {
          subjectUserId: user,
          requestingServer: 'home.example.org',
          scopeJson: scopeText,
          rateLimitRpm: 120,
          allowSensitive: true,
          notes: 'Alice, home',
          enrollmentTtl: create(DurationSchema, { seconds: 3600n }),
        }),
      ),
    ).to.equal(true);
  });

  const badCreates: Array<{ name: string; input: Parameters<typeof createGrantRequest>[0]; says: RegExp }> = [
    {
      name: 'a user that is not a UUID',
      input: { user: 'alice', peer: 'h.example', scopeJson: '{}' },
      says: /--user "alice" is not a UUID/,
    },
    {
      name: 'a peer with a port',
      input: { user, peer: 'h.example:8443', scopeJson: '{}' },
      says: /--peer .* not a hostname/,
    },
    {
      name: 'a peer with a scheme',
      input: { user, peer: 'https://h.example', scopeJson: '{}' },
      says: /--peer .* not a hostname/,
    },
    {
      name: 'notes over 2000 characters',
      input: { user, peer: 'h.example', scopeJson: '{}', notes: 'x'.repeat(2001) },
      says: /at most 2000/,
    },
  ];
  for (const tc of badCreates) {
    it(`grant create refuses ${tc.name} before sending`, () => {
      expect(usageErrorOf(() => createGrantRequest(tc.input)).message).to.match(tc.says);
    });
  }

  it('grant update sets only the fields given (proto3 optional presence) and refuses no change', () => {
    const rateOnly = updateGrantRequest({ grantId, rateLimit: 600 });
    expect(rateOnly.rateLimitRpm).to.equal(600);
    expect(isFieldSet(rateOnly, UpdateGrantRequestSchema.field.notes)).to.equal(false);
    expect(rateOnly.scopeJson).to.equal('');
    const clearNotes = updateGrantRequest({ grantId, notes: '' });
    expect(isFieldSet(clearNotes, UpdateGrantRequestSchema.field.notes)).to.equal(true);
    expect(isFieldSet(clearNotes, UpdateGrantRequestSchema.field.rateLimitRpm)).to.equal(false);
    const scope = updateGrantRequest({ grantId, scopeJson: scopeText, allowSensitive: true });
    expect(
      equals(
        UpdateGrantRequestSchema,
        scope,
        create(UpdateGrantRequestSchema, { grantId, scopeJson: scopeText, allowSensitive: true }),
      ),
    ).to.equal(true);
    const none = usageErrorOf(() => updateGrantRequest({ grantId, allowSensitive: true }));
    expect(none.message).to.include('nothing to update');
    expect(none.message).to.include('--scope-file, --rate-limit, --notes');
  });

  it('grant list and peer list map --status to the enums; no filter means UNSPECIFIED', () => {
    expect(listGrantsRequest({}).status).to.equal(GrantStatus.UNSPECIFIED);
    expect(
      equals(
        ListGrantsRequestSchema,
        listGrantsRequest({ status: 'suspended', user, peer: 'home.example.org', pageToken: 'p2' }),
        create(ListGrantsRequestSchema, {
          status: GrantStatus.SUSPENDED,
          subjectUserId: user,
          requestingServer: 'home.example.org',
          pageToken: 'p2',
        }),
      ),
    ).to.equal(true);
    expect(listPeersRequest({}).status).to.equal(PeerStatus.UNSPECIFIED);
    expect(
      equals(
        ListPeersRequestSchema,
        listPeersRequest({ status: 'degraded' }),
        create(ListPeersRequestSchema, { status: PeerStatus.DEGRADED }),
      ),
    ).to.equal(true);
  });

  it('grant suspend sends until as a timestamp, refuses a past or zone-less time', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const request = suspendGrantRequest(
      { grantId, reason: 'audit', until: '2030-01-31T18:00:00+02:00' },
      now,
    );
    expect(
      equals(
        SuspendGrantRequestSchema,
        request,
        create(SuspendGrantRequestSchema, {
          grantId,
          reason: 'audit',
          until: timestampFromDate(new Date('2030-01-31T16:00:00Z')),
        }),
      ),
    ).to.equal(true);
    expect(suspendGrantRequest({ grantId }, now).until).to.equal(undefined);
    expect(
      usageErrorOf(() => suspendGrantRequest({ grantId, until: '2029-12-31T00:00Z' }, now)).message,
    ).to.include('not in the future');
    expect(
      usageErrorOf(() => suspendGrantRequest({ grantId, until: '2030-02-01T10:00' }, now)).message,
    ).to.include('with a zone');
    expect(usageErrorOf(() => suspendGrantRequest({ grantId, until: 'tomorrow' }, now)).message).to.include(
      'ISO 8601',
    );
  });

  it('grant enrollment-url sends the ttl only when given', () => {
    expect(createEnrollmentUrlRequest({ grantId }).ttl).to.equal(undefined);
    expect(
      equals(
        CreateEnrollmentUrlRequestSchema,
        createEnrollmentUrlRequest({ grantId, ttlMinutes: 30 }),
        create(CreateEnrollmentUrlRequestSchema, { grantId, ttl: { seconds: 1800n } }),
      ),
    ).to.equal(true);
  });

  it('peer add sends the URL unchanged and reports host and grant for display', () => {
    const built = addPeerRequest({ enrollmentUrl: ` ${enrollmentUrl} `, hostname: 'Home.Example.org' });
    expect(built).to.include({ host: 'work.example.com', port: 8444, grantId });
    expect(
      equals(
        AddPeerRequestSchema,
        built.request,
        create(AddPeerRequestSchema, { enrollmentUrl, requestingHostname: 'home.example.org' }),
      ),
    ).to.equal(true);
    expect(addPeerRequest({ enrollmentUrl, user }).request.localUserId).to.equal(user);
  });

  it('user and team create check names as the proto documents them', () => {
    expect(
      equals(
        CreateUserRequestSchema,
        createUserRequest({ username: 'alice', displayName: 'Alice', email: 'a@example.org', role: 'admin' }),
        create(CreateUserRequestSchema, {
          username: 'alice',
          displayName: 'Alice',
          email: 'a@example.org',
          role: UserRole.ADMIN,
        }),
      ),
    ).to.equal(true);
    expect(createUserRequest({ username: 'bob' }).role).to.equal(UserRole.UNSPECIFIED);
    expect(usageErrorOf(() => createUserRequest({ username: 'Alice' })).message).to.include(
      'username "Alice"',
    );
    expect(usageErrorOf(() => createUserRequest({ username: '-x' })).message).to.include('is not valid');
    expect(
      equals(
        CreateTeamRequestSchema,
        createTeamRequest({ name: 'platform', description: 'Platform' }),
        create(CreateTeamRequestSchema, { name: 'platform', description: 'Platform' }),
      ),
    ).to.equal(true);
    expect(usageErrorOf(() => createTeamRequest({ name: 'x'.repeat(65) })).message).to.include('team name');
  });
});

describe('admin API refusals as the CLI prints them', () => {
  it('prints each scope problem on its own line, then the remedy (exit 2)', () => {
    const error = new ConnectError(
      [
        'The scope is invalid (2 problems):',
        '  - resources[1]: "files" is not a resource [rule resource]',
        '  - max_rows_per_query: must be an integer from 1 to 10000 [rule range] Remedy: Fix every problem listed and retry.',
      ].join('\n'),
      Code.InvalidArgument,
    );
    const refusal = describeRpcRefusal(error, 'scope from ./scope.json');
    expect(refusal).to.deep.equal({
      exit: 2,
      message: [
        'the gateway refused the request (scope from ./scope.json) [InvalidArgument]:',
        '  The scope is invalid (2 problems):',
        '    - resources[1]: "files" is not a resource [rule resource]',
        '    - max_rows_per_query: must be an integer from 1 to 10000 [rule range]',
        'Remedy: Fix every problem listed and retry.',
      ].join('\n'),
    });
  });

  it('takes the remedy from an ErrorDetail, and keeps one-line refusals on one line', () => {
    const error = new ConnectError(
      'grant 6f1c… is revoked; it cannot change.',
      Code.FailedPrecondition,
      undefined,
      [
        {
          desc: ErrorDetailSchema,
          value: create(ErrorDetailSchema, {
            reason: ErrorReason.INVALID_TRANSITION,
            remedy: 'create a new grant.',
          }),
        },
      ],
    );
    expect(describeRpcRefusal(error, 'scope from x.json')).to.deep.equal({
      exit: 2,
      message:
        'the gateway refused the request [FailedPrecondition]: grant 6f1c… is revoked; it cannot change.\nRemedy: create a new grant.',
    });
  });

  it('says what to do about a missing or weak token; leaves transport failures to the base command', () => {
    const unauthenticated = describeRpcRefusal(
      new ConnectError('missing bearer token', Code.Unauthenticated),
    );
    expect(unauthenticated?.exit).to.equal(2);
    expect(unauthenticated?.message).to.include('MOSAIC_TOKEN');
    expect(describeRpcRefusal(new ConnectError('connect ECONNREFUSED', Code.Unavailable))).to.equal(null);
    expect(describeRpcRefusal(new ConnectError('boom', Code.Internal))).to.equal(null);
  });
});
