/**
 * Removes the password (and any secret-looking query parameter) from a connection string so it
 * can appear in logs, errors and CLI output. Unparseable input is replaced whole: never leak on a guess.
 */
export function redactUrl(value: string): string {
  const url = parseAuthorityUrl(value);
  if (!url) return '<unparseable connection string>';
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** `host:port` of a connection URL, for messages that name where a dependency was expected. */
export function urlTarget(value: string, defaultPort: number): string {
  const url = parseAuthorityUrl(value);
  return url ? `${url.hostname || '127.0.0.1'}:${url.port || defaultPort}` : '<unparseable address>';
}

/**
 * Parses `scheme://[user[:password]@]host…`. Anything else (notably `user:password@host`, which
 * WHATWG URL reads as scheme `user:` with an opaque path) is refused, so its secret is never echoed.
 */
function parseAuthorityUrl(value: string): URL | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
