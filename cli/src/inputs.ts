import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MosaicError, requireUuid } from '@mosaic/platform';

/** Input the CLI refuses before anything is sent (exit 2): a message and what to do instead. */
export class UsageError extends MosaicError {
  override readonly name = 'UsageError';
  constructor(message: string, remedy: string) {
    super({ kind: 'invalid_argument', message, remedy });
  }
}

export function isUsageError(value: unknown): value is UsageError {
  return value instanceof UsageError;
}

/** A lowercase UUID, or a UsageError naming the argument (e.g. "grant id"). */
export function uuidArg(value: string, what: string): string {
  try {
    return requireUuid(value, what);
  } catch {
    throw new UsageError(
      `${what} "${value.slice(0, 64)}" is not a UUID.`,
      `pass the ${what} as printed by the list commands (36 characters, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e).`,
    );
  }
}

const hostnamePattern =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A gateway hostname as the proto wants it: lowercase, no scheme, no port, no path. */
export function hostnameArg(value: string, flag: string): string {
  const host = value.trim().toLowerCase();
  if (!hostnamePattern.test(host)) {
    throw new UsageError(
      `${flag} "${value.slice(0, 253)}" is not a hostname.`,
      `give the bare hostname of the gateway, without scheme, port or path (e.g. ${flag} home.example.org).`,
    );
  }
  return host;
}

const isoPattern = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * An ISO 8601 time with an explicit zone (`2030-01-31T18:00Z`, `…+02:00`) or a bare date (UTC
 * midnight). A time without a zone is refused rather than read in the local zone.
 */
export function isoTimeArg(value: string, flag: string, now: Date = new Date()): Date {
  const text = value.trim();
  const date = new Date(text);
  if (!isoPattern.test(text) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `${flag} "${text.slice(0, 64)}" is not an ISO 8601 time with a zone.`,
      `write it like 2030-01-31T18:00:00Z or 2030-01-31T18:00+02:00 (or a bare date, meaning 00:00 UTC).`,
    );
  }
  if (date.getTime() <= now.getTime()) {
    throw new UsageError(
      `${flag} ${date.toISOString()} is not in the future.`,
      'give a later time, or leave the flag out.',
    );
  }
  return date;
}

const maxNotes = 2000;

export function notesArg(value: string): string {
  if (value.length > maxNotes) {
    throw new UsageError(
      `--notes is ${value.length} characters long; at most ${maxNotes} are kept.`,
      'shorten the notes.',
    );
  }
  return value;
}

/**
 * The scope file as text, exactly as the operator wrote it (the gateway validates it and names
 * every problem with its JSON path). A missing, unreadable or empty file is refused here, so
 * nothing is sent.
 */
export async function readScopeFile(file: string, cwd: string = process.cwd()): Promise<string> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? 'error'})`;
    throw new UsageError(
      `the scope file ${full} ${why}.`,
      'pass --scope-file the path of a JSON scope, e.g. {"resources":["tasks","notes"]} (see SPEC §4 for every key).',
    );
  }
  if (text.trim() === '') {
    throw new UsageError(
      `the scope file ${full} is empty.`,
      'write the scope as JSON, e.g. {"resources":["tasks","notes"]}.',
    );
  }
  return text;
}
