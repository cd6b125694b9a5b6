/**
 * The one-time enrollment URL a serving gateway prints at `grant create`:
 *
 *   mosaic-enroll://<host>:<port>/<grant-uuid>?token=<43 base64url chars>&ca=sha256:<64 lowercase hex>
 *
 * The CLI parses it only to refuse a wrong paste before anything is sent and to name the peer in
 * its output. The token is a secret: it is checked here but never returned, and no error message
 * repeats the URL or any part of its query.
 */
export interface EnrollmentUrlParts {
  /** Host of the serving gateway's enrollment listener, lowercase (IPv6 without brackets). */
  host: string;
  port: number;
  grantId: string;
  /** SHA-256 fingerprint of the serving gateway's CA root, 64 lowercase hex characters. */
  caFingerprint: string;
}

export class EnrollmentUrlError extends Error {
  override readonly name = 'EnrollmentUrlError';
  readonly remedy =
    'Paste the complete mosaic-enroll://… URL printed by `mosaic federation grant create` on the serving gateway (or ask its admin for a new one with `mosaic federation grant enrollment-url <grant-id>`).';
}

export function isEnrollmentUrlError(value: unknown): value is EnrollmentUrlError {
  return value instanceof EnrollmentUrlError;
}

const scheme = 'mosaic-enroll:';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;
const caPattern = /^sha256:[0-9a-f]{64}$/;
const hostPattern =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Parses and checks an enrollment URL; throws EnrollmentUrlError naming what is wrong, never the value. */
export function parseEnrollmentUrl(input: string): EnrollmentUrlParts {
  const text = input.trim();
  if (!text.toLowerCase().startsWith(`${scheme}//`)) {
    throw new EnrollmentUrlError('this is not an enrollment URL: it must start with mosaic-enroll://.');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnrollmentUrlError('the enrollment URL is malformed.');
  }
  if (url.username !== '' || url.password !== '') {
    throw new EnrollmentUrlError('the enrollment URL must not carry a user name or password.');
  }
  const bracketed = url.hostname.startsWith('[') && url.hostname.endsWith(']');
  const host = (bracketed ? url.hostname.slice(1, -1) : url.hostname).toLowerCase();
  if (host === '' || (!bracketed && !hostPattern.test(host))) {
    throw new EnrollmentUrlError('the enrollment URL has no valid host.');
  }
  const port = Number(url.port);
  if (url.port === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new EnrollmentUrlError(
      'the enrollment URL has no port (expected mosaic-enroll://<host>:<port>/…).',
    );
  }
  const grantId = url.pathname.replace(/^\//, '');
  if (!uuidPattern.test(grantId)) {
    throw new EnrollmentUrlError('the enrollment URL path is not a grant id (a lowercase UUID).');
  }
  if (url.hash !== '') throw new EnrollmentUrlError('the enrollment URL must not have a #fragment.');
  const keys = [...url.searchParams.keys()];
  const unexpected = keys.filter((key) => key !== 'token' && key !== 'ca');
  if (unexpected.length > 0 || keys.length !== new Set(keys).size) {
    throw new EnrollmentUrlError(
      'the enrollment URL query must hold exactly one token and one ca parameter, and nothing else.',
    );
  }
  if (!tokenPattern.test(url.searchParams.get('token') ?? '')) {
    throw new EnrollmentUrlError(
      'the enrollment URL token is missing or malformed (expected 43 base64url characters); it may have been cut off when copied.',
    );
  }
  const ca = url.searchParams.get('ca') ?? '';
  if (!caPattern.test(ca)) {
    throw new EnrollmentUrlError(
      'the enrollment URL ca parameter is missing or malformed (expected sha256: and 64 lowercase hex characters).',
    );
  }
  return { host, port, grantId, caFingerprint: ca.slice('sha256:'.length) };
}

/** host:port as written in URLs (IPv6 bracketed). */
export function enrollmentAuthority(parts: Pick<EnrollmentUrlParts, 'host' | 'port'>): string {
  return `${parts.host.includes(':') ? `[${parts.host}]` : parts.host}:${parts.port}`;
}

/** Replaces every `token=` value in a text, so an echoed URL or server message cannot leak the secret. */
export function redactEnrollmentTokens(text: string): string {
  return text.replace(/(token=)[^&\s"'<>()[\]{},;]*/gi, '$1<redacted>');
}

/** Builds the URL `grant create` prints: the only place the token leaves the serving gateway. */
export function buildEnrollmentUrl(parts: EnrollmentUrlParts & { token: string }): string {
  if (!tokenPattern.test(parts.token)) throw new EnrollmentUrlError('the enrollment token is malformed.');
  return `${scheme}//${enrollmentAuthority(parts)}/${parts.grantId}?token=${parts.token}&ca=sha256:${parts.caFingerprint}`;
}

/** The token of an enrollment URL already checked by parseEnrollmentUrl (for the enrolling gateway only). */
export function enrollmentUrlToken(input: string): string {
  parseEnrollmentUrl(input);
  return new URL(input.trim()).searchParams.get('token') as string;
}
