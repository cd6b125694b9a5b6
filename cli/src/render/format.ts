import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampDate } from '@bufbuild/protobuf/wkt';

/** A protobuf timestamp as an ISO 8601 string, or null when unset ("never" / "not yet"). */
export function isoOrNull(timestamp: Timestamp | undefined): string | null {
  return timestamp === undefined ? null : timestampDate(timestamp).toISOString();
}

/** An empty proto string as null, so JSON says "absent" instead of "". */
export function textOrNull(value: string): string | null {
  return value === '' ? null : value;
}

/** An ISO time for tables: `YYYY-MM-DD HH:MM` in UTC, '-' when absent. */
export function tableDate(iso: string | null): string {
  if (iso === null) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '-';
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)}`;
}

/** '-' for an absent value in a table cell. */
export function cell(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : value;
}

/**
 * The lowercase name of a protobuf enum value (protoc-gen-es strips the prefix:
 * RevocationReason.CESSATION_OF_OPERATION → 'cessation_of_operation'); UNSPECIFIED and values
 * this build does not know become 'unknown'.
 */
export function enumName(enumObject: Record<string, string | number>, value: number): string {
  const name = enumObject[value];
  return typeof name !== 'string' || name === 'UNSPECIFIED' ? 'unknown' : name.toLowerCase();
}

/** A response's message; an answer without it is a broken server, not an empty result. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the gateway answered without a ${what}; check the gateway log.`);
  return value;
}
