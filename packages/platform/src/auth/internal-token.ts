import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Ed25519KeyPair } from './ed25519-key.js';

const issuer = 'mosaic-internal';
const lifetimeSeconds = 60;

/**
 * Mints the short-lived JWT an internal call carries: subject = calling service, audience = called
 * service. Tokens are reused until 15 s before expiry so the hot path does not sign per call.
 */
export class InternalTokenIssuer {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  constructor(
    private readonly keys: Ed25519KeyPair,
    private readonly caller: string,
  ) {}

  async tokenFor(audience: string): Promise<string> {
    const now = Date.now();
    const cached = this.cache.get(audience);
    if (cached && cached.renewAt > now) return cached.token;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(this.caller)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.keys.privateKey);
    this.cache.set(audience, { token, renewAt: now + (lifetimeSeconds - 15) * 1000 });
    return token;
  }

  /** Client interceptor that attaches the token for `audience` to every call. */
  interceptor(audience: string): Interceptor {
    return (next) => async (request) => {
      request.header.set('authorization', `Bearer ${await this.tokenFor(audience)}`);
      return next(request);
    };
  }
}

export interface VerifiedCaller {
  service: string;
}

/** Verifies an internal token for this service; every failure is `unauthenticated` with the reason. */
export async function verifyInternalToken(
  keys: Pick<Ed25519KeyPair, 'publicKey'>,
  audience: string,
  authorization: string | null,
): Promise<VerifiedCaller> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) {
    throw new ConnectError(
      `internal call to ${audience} without a bearer token; internal calls must carry a service JWT`,
      Code.Unauthenticated,
    );
  }
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      issuer,
      audience,
      algorithms: ['EdDSA'],
      clockTolerance: 5,
    });
    if (!payload.sub) throw new Error('no subject');
    return { service: payload.sub };
  } catch (error) {
    const reason =
      error instanceof errors.JWTClaimValidationFailed
        ? `claim "${error.claim}" is wrong (expected audience ${audience})`
        : error instanceof errors.JWTExpired
          ? 'the token has expired'
          : 'the token is invalid or signed by another instance';
    throw new ConnectError(`internal token refused by ${audience}: ${reason}`, Code.Unauthenticated);
  }
}
