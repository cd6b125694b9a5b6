import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Ed25519KeyPair } from './ed25519-key.js';

const issuer = 'mosaic-gateway';
export const adminAudience = 'mosaic-admin';

export interface AdminTokenClaims {
  /** Who the token was minted for (e.g. "admin", "console", a person's name). */
  subject: string;
  tokenId: string;
  expiresAt: Date;
}

export interface UserTokenClaims {
  userId: string;
  tokenId: string;
  name: string;
  expiresAt: Date;
}

type Scope = 'admin' | 'user';

/** Signs a bearer token of the gateway: `scope` says which API it opens (admin, or query as a user). */
async function signBearer(
  keys: Ed25519KeyPair,
  options: { scope: Scope; subject: string; ttlSeconds: number; claims?: Record<string, string> },
): Promise<{ token: string; tokenId: string; expiresAt: Date }> {
  const tokenId = randomUUID();
  const expiresAt = new Date(Date.now() + options.ttlSeconds * 1000);
  const token = await new SignJWT({ scope: options.scope, ...options.claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(adminAudience)
    .setSubject(options.subject)
    .setJti(tokenId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keys.privateKey);
  return { token, tokenId, expiresAt };
}

/** Verifies a bearer token of the given scope; every failure is `unauthenticated` with what to do. */
async function verifyBearer(
  keys: Pick<Ed25519KeyPair, 'publicKey'>,
  authorization: string | null,
  scope: Scope,
  messages: { missing: string; invalid: string; otherScope: string },
): Promise<JWTPayload & { sub: string; jti: string; exp: number }> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new ConnectError(messages.missing, Code.Unauthenticated);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys.publicKey, {
      issuer,
      audience: adminAudience,
      algorithms: ['EdDSA'],
      clockTolerance: 5,
    }));
  } catch {
    throw new ConnectError(messages.invalid, Code.Unauthenticated);
  }
  if (!payload.sub || !payload.jti || !payload.exp)
    throw new ConnectError(messages.invalid, Code.Unauthenticated);
  // A valid token of this gateway for the other API: the caller is known, the API is not theirs.
  if (payload.scope !== scope) {
    const otherApi = payload.scope === 'admin' || payload.scope === 'user';
    throw otherApi
      ? new ConnectError(messages.otherScope, Code.PermissionDenied)
      : new ConnectError(messages.invalid, Code.Unauthenticated);
  }
  return payload as JWTPayload & { sub: string; jti: string; exp: number };
}

/** Mints an admin bearer token for the gateway's admin API. The caller shows it once and stores nothing. */
export async function mintAdminToken(
  keys: Ed25519KeyPair,
  options: { subject: string; ttlSeconds: number },
): Promise<{ token: string; claims: AdminTokenClaims }> {
  const { token, tokenId, expiresAt } = await signBearer(keys, { scope: 'admin', ...options });
  return { token, claims: { subject: options.subject, tokenId, expiresAt } };
}

export async function verifyAdminToken(
  keys: Pick<Ed25519KeyPair, 'publicKey'>,
  authorization: string | null,
): Promise<AdminTokenClaims> {
  const payload = await verifyBearer(keys, authorization, 'admin', {
    missing:
      'the admin API needs a bearer token: run `mosaic admin token create` on the gateway host and set MOSAIC_TOKEN',
    invalid:
      'the admin token is invalid, expired or from another gateway: mint a new one with `mosaic admin token create`',
    otherScope:
      'this is a user token: it opens the query API only. The admin API needs an admin token: run `mosaic admin token create` on the gateway host',
  });
  return { subject: payload.sub, tokenId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
}

/** Mints a user bearer token for the query API: agents act as that local user, never as an admin. */
export async function mintUserToken(
  keys: Ed25519KeyPair,
  options: { userId: string; name: string; ttlSeconds: number },
): Promise<{ token: string; claims: UserTokenClaims }> {
  const { token, tokenId, expiresAt } = await signBearer(keys, {
    scope: 'user',
    subject: options.userId,
    ttlSeconds: options.ttlSeconds,
    claims: { name: options.name },
  });
  return { token, claims: { userId: options.userId, tokenId, name: options.name, expiresAt } };
}

export async function verifyUserToken(
  keys: Pick<Ed25519KeyPair, 'publicKey'>,
  authorization: string | null,
): Promise<UserTokenClaims> {
  const payload = await verifyBearer(keys, authorization, 'user', {
    missing: 'the query API needs a user bearer token: create one with `mosaic user token create <user-id>`',
    invalid:
      'the user token is invalid, expired or from another gateway: create a user token for the agent with `mosaic user token create <user-id>`',
    otherScope:
      'this is an admin token: the query API acts as a local user, never as an admin. Create a user token for the agent with `mosaic user token create <user-id>`',
  });
  return {
    userId: payload.sub,
    tokenId: payload.jti,
    name: String(payload.name ?? ''),
    expiresAt: new Date(payload.exp * 1000),
  };
}
