import { writeFile } from 'node:fs/promises';
import { PeerStatus } from '@mosaic/contracts/v1/admin_pb';
import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import type { EnrollmentUrlJson, GrantCreatedJson } from '../render/grant-view.js';
import type { PeerAddedJson } from '../render/peer-view.js';
import { allPages } from './dev-admin-client.js';
import type { DevDir } from './dev-dir.js';
import { DevError } from './dev-error.js';
import type { DevGateway, DevSteps } from './dev-gateway.js';
import { devScope } from './seed-data.js';

export interface Onboarded {
  grantId: string;
  peerId: string;
  /** Both already existed (a reused dir): nothing was enrolled. */
  reused: boolean;
}

/**
 * Onboards the demo grant through the real CLI flow: `mosaic federation grant create` on B for
 * the subject and A's hostname, then `mosaic federation peer add` on A with the one-time URL
 * (passed on stdin, so the token never shows in a process list). An active grant A is already
 * enrolled with is reused; a pending one (enrollment interrupted) gets a new URL instead of a
 * second grant.
 */
export async function onboardGrant(options: {
  a: DevGateway;
  b: DevGateway;
  subjectUserId: string;
  subjectName: string;
  steps: DevSteps;
  dir: DevDir;
}): Promise<Onboarded> {
  const { a, b, steps } = options;
  const grants = await steps.rpc(
    b,
    allPages(async (pageToken) => {
      const page = await b.admin.listGrants({
        subjectUserId: options.subjectUserId,
        requestingServer: a.spec.host,
        pageToken,
      });
      return { items: page.grants, nextPageToken: page.nextPageToken };
    }),
  );
  const peers = await steps.rpc(
    a,
    allPages(async (pageToken) => {
      const page = await a.admin.listPeers({ pageToken });
      return { items: page.peers, nextPageToken: page.nextPageToken };
    }),
  );
  const peerOfGrant = new Map(
    peers
      .filter((peer) => peer.peerHostname === b.spec.host && peer.status !== PeerStatus.REVOKED)
      .map((peer) => [peer.grantId, peer]),
  );
  // Grants come newest first.
  const enrolled = grants.find((grant) => grant.status === GrantStatus.ACTIVE && peerOfGrant.has(grant.id));
  if (enrolled) return { grantId: enrolled.id, peerId: peerOfGrant.get(enrolled.id)!.id, reused: true };

  let grantId: string;
  let enrollmentUrl: string;
  const pending = grants.find((grant) => grant.status === GrantStatus.PENDING);
  if (pending) {
    const issued = await steps.cli<EnrollmentUrlJson>(b, {
      label: `mosaic federation grant enrollment-url ${pending.id}`,
      args: ['federation', 'grant', 'enrollment-url', pending.id],
    });
    grantId = pending.id;
    enrollmentUrl = issued.enrollmentUrl;
  } else {
    await writeFile(options.dir.scopeFile, `${JSON.stringify(devScope, null, 2)}\n`);
    const created = await steps.cli<GrantCreatedJson>(b, {
      label: `mosaic federation grant create --user <${options.subjectName}> --peer ${a.spec.host} --scope-file ${options.dir.scopeFile}`,
      args: [
        'federation',
        'grant',
        'create',
        '--user',
        options.subjectUserId,
        '--peer',
        a.spec.host,
        '--scope-file',
        options.dir.scopeFile,
        '--notes',
        `mosaic dev: ${options.subjectName} on ${b.spec.host}, for the demo gateway ${a.spec.host}`,
      ],
    });
    grantId = created.grant.id;
    enrollmentUrl = created.enrollmentUrl;
  }

  const added = await steps.cli<PeerAddedJson>(a, {
    label: 'mosaic federation peer add <enrollment-url>',
    args: ['federation', 'peer', 'add', '-'],
    input: enrollmentUrl,
  });
  if (added.peer.grantId !== grantId || added.peer.status !== 'active') {
    throw new DevError({
      message: `\`mosaic federation peer add\` on gateway A enrolled grant ${added.peer.grantId} with status ${added.peer.status}; expected grant ${grantId}, active.`,
      remedy: `check both gateways with \`mosaic federation grant show ${grantId}\` (B) and \`mosaic federation peer list\` (A).`,
    });
  }
  return { grantId, peerId: added.peer.id, reused: false };
}
