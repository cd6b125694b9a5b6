import { MosaicError } from '../errors/index.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Refuses anything but a lowercase UUID, naming the field: ids are never guessed or coerced. */
export function requireUuid(value: string, field: string): string {
  const normalised = value.trim().toLowerCase();
  if (!uuidPattern.test(normalised)) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `${field} "${value.slice(0, 64)}" is not a UUID.`,
      remedy: `Pass the ${field} as printed by the list commands (36 characters, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e).`,
    });
  }
  return normalised;
}

/** Opaque cursor for keyset paging: base64url JSON. Not a secret, not trusted: decoded defensively. */
export function encodeCursor(value: Record<string, string>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(token: string, keys: readonly string[]): Record<string, string> {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (keys.every((key) => typeof value[key] === 'string')) return value as Record<string, string>;
  } catch {
    // fall through to the typed error
  }
  throw new MosaicError({
    kind: 'invalid_argument',
    message: 'page_token is not a token this server issued.',
    remedy: 'Pass next_page_token from the previous response unchanged, or omit it for the first page.',
  });
}
