import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Client, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { DevError } from './dev-error.js';

export type AdminClient = Client<typeof AdminService>;

/**
 * A typed AdminService client for one demo gateway, with the admin token the local tier leaves in
 * `<dataDir>/secrets/admin.token`. The demo uses it where no CLI command exists (items) and to
 * ask what an earlier run already set up.
 */
export async function devAdminClient(adminUrl: string, dataDir: string): Promise<AdminClient> {
  const tokenFile = path.join(dataDir, 'secrets', 'admin.token');
  let token: string;
  try {
    token = (await readFile(tokenFile, 'utf8')).trim();
  } catch (error) {
    throw new DevError({
      message: `the gateway at ${adminUrl} is up but left no admin token in ${tokenFile} (${(error as Error).message}).`,
      remedy:
        'the local tier writes it at start; check that the data dir is writable, then run `mosaic dev` again.',
    });
  }
  return createClient(
    AdminService,
    createConnectTransport({
      baseUrl: adminUrl,
      httpVersion: '1.1',
      defaultTimeoutMs: 15_000,
      interceptors: [
        (next) => async (request) => {
          request.header.set('authorization', `Bearer ${token}`);
          return next(request);
        },
      ],
    }),
  );
}

/** Every item of a paged list RPC. */
export async function allPages<I>(
  fetch: (pageToken: string) => Promise<{ items: I[]; nextPageToken: string }>,
): Promise<I[]> {
  const items: I[] = [];
  let token = '';
  for (let page = 0; page < 1000; page++) {
    const next = await fetch(token);
    items.push(...next.items);
    if (next.nextPageToken === '' || next.nextPageToken === token) return items;
    token = next.nextPageToken;
  }
  return items;
}
