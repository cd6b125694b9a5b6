/**
 * Removes the password (and any secret-looking query parameter) from a connection string so it
 * can appear in logs, errors and CLI output. Unparseable input is replaced whole: never leak on a guess.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '<unparseable connection string>';
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** `host:port` of a connection URL, for messages that name where a dependency was expected. */
export function urlTarget(value: string, defaultPort: number): string {
  try {
    const url = new URL(value);
    return `${url.hostname || '127.0.0.1'}:${url.port || defaultPort}`;
  } catch {
    return '<unparseable address>';
  }
}
