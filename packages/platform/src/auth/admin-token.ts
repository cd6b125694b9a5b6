import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { jwtVerify, SignJWT } from 'jose';
import type { Ed25519KeyPair } from './ed25519-key.js';

const issuer = 'mosaic-gateway';
export const adminAudience = 'mosaic-admin';

export interface AdminTokenClaims {
  /** Who the token was minted for (e.g. "admin", "console", a person's name). */
  subject: string;
  tokenId: string;
  expiresAt: Date;
}

/** Mints an admin bearer token for the gateway's admin API. The caller shows it once and stores nothing. */
export async function mintAdminToken(
  keys: Ed25519KeyPair,
  options: { subject: string; ttlSeconds: number },
): Promise<{ token: string; claims: AdminTokenClaims }> {
  const tokenId = randomUUID();
  const expiresAt = new Date(Date.now() + options.ttlSeconds * 1000);
  const token = await new SignJWT({ scope: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(adminAudience)
    .setSubject(options.subject)
    .setJti(tokenId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keys.privateKey);
  return { token, claims: { subject: options.subject, tokenId, expiresAt } };
}

export async function verifyAdminToken(
  keys: Pick<Ed25519KeyPair, 'publicKey'>,
  authorization: string | null,
): Promise<AdminTokenClaims> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) {
    throw new ConnectError(
      'the admin API needs a bearer token: run `mosaic admin token create` on the gateway host and set MOSAIC_TOKEN',
      Code.Unauthenticated,
    );
  }
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      issuer,
      audience: adminAudience,
      algorithms: ['EdDSA'],
      clockTolerance: 5,
    });
    if (payload.scope !== 'admin' || !payload.sub || !payload.jti || !payload.exp) throw new Error('claims');
    return { subject: payload.sub, tokenId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
  } catch {
    throw new ConnectError(
      'the admin token is invalid, expired or from another gateway: mint a new one with `mosaic admin token create`',
      Code.Unauthenticated,
    );
  }
}

export interface UserTokenClaims {
  userId: string;
  tokenId: string;
  name: string;
  expiresAt: Date;
}

/** Mints a user bearer token for the query API: agents act as that local user, never as an admin. */
export async function mintUserToken(
  keys: Ed25519KeyPair,
  options: { userId: string; name: string; ttlSeconds: number },
): Promise<{ token: string; claims: UserTokenClaims }> {
  const tokenId = randomUUID();
  const expiresAt = new Date(Date.now() + options.ttlSeconds * 1000);
  const token = await new SignJWT({ scope: 'user', name: options.name })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(adminAudience)
    .setSubject(options.userId)
    .setJti(tokenId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keys.privateKey);
  return { token, claims: { userId: options.userId, tokenId, name: options.name, expiresAt } };
}

export async function verifyUserToken(
  keys: Pick<Ed25519KeyPair, 'publicKey'>,
  authorization: string | null,
): Promise<UserTokenClaims> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) {
    throw new ConnectError(
      'the query API needs a user bearer token: create one with `mosaic user token create <user-id>`',
      Code.Unauthenticated,
    );
  }
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      issuer,
      audience: adminAudience,
      algorithms: ['EdDSA'],
      clockTolerance: 5,
    });
    if (payload.scope !== 'user' || !payload.sub || !payload.jti || !payload.exp) throw new Error('claims');
    return {
      userId: payload.sub,
      tokenId: payload.jti,
      name: String(payload.name ?? ''),
      expiresAt: new Date(payload.exp * 1000),
    };
  } catch {
    throw new ConnectError(
      'the user token is invalid, expired, an admin token, or from another gateway: create a user token for the agent',
      Code.Unauthenticated,
    );
  }
}
