import { ConfigError } from '@mosaic/platform';
import { IssuanceRequestError } from './errors.js';

/**
 * The two private certificate extensions that bind a client certificate to a grant (dotted OIDs).
 *
 * 1.3.6.1.4.1.99999 is a development arc, not an assigned Private Enterprise Number: the OIDs are
 * configuration so that a deployment can move to its own arc. Register a real IANA PEN
 * (https://pen.iana.org) before certificates leave a test environment, and change both sides
 * (issuing CA and verifying gateways) together.
 */
export interface MosaicOids {
  /** mosaic.federation.grantId: the grant the certificate was issued for. */
  grantId: string;
  /** mosaic.federation.subjectUserId: the user on the issuing gateway the grant acts as. */
  subjectUserId: string;
}

export const defaultMosaicOids: MosaicOids = {
  grantId: '1.3.6.1.4.1.99999.1',
  subjectUserId: '1.3.6.1.4.1.99999.2',
};

const dottedOid = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** Refuses OID configuration that is not two distinct dotted OIDs. */
export function assertMosaicOids(oids: MosaicOids): void {
  for (const [name, value] of Object.entries(oids)) {
    if (typeof value !== 'string' || !dottedOid.test(value)) {
      throw new ConfigError(
        `The Mosaic ${name} OID ${JSON.stringify(value)} is not a dotted object identifier.`,
        `Set it to a dotted OID under your organisation's arc, e.g. ${defaultMosaicOids.grantId}.`,
      );
    }
  }
  if (oids.grantId === oids.subjectUserId) {
    throw new ConfigError(
      `The Mosaic grantId and subjectUserId OIDs are both ${oids.grantId}.`,
      'Give the two extensions different OIDs.',
    );
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for the canonical 8-4-4-4-12 hex form, either case. */
export function isUuidAnyCase(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value.toLowerCase());
}

const UTF8_STRING = 0x0c;
const UUID_LENGTH = 36;

/**
 * The extension value of a Mosaic OID: a DER UTF8String of the UUID's 36 lowercase ASCII
 * characters, i.e. exactly `0C 24` followed by those 36 bytes (38 bytes in all).
 */
export function encodeUuidExtensionValue(uuid: string): Buffer {
  if (!isUuidAnyCase(uuid)) {
    throw new IssuanceRequestError({
      field: 'uuid',
      message: `${JSON.stringify(String(uuid).slice(0, 64))} is not a UUID.`,
      remedy: 'Pass the canonical 8-4-4-4-12 hex form, e.g. 0b6c1f1e-4a6e-4c36-9d0e-5f6b1c2d3e4f.',
    });
  }
  return Buffer.concat([Buffer.from([UTF8_STRING, UUID_LENGTH]), Buffer.from(uuid.toLowerCase(), 'ascii')]);
}

/**
 * The UUID inside a Mosaic extension value, or null unless the value is exactly `0C 24` and 36
 * bytes of a lowercase canonical UUID (the only shape this CA writes; anything else is treated as
 * absent, never repaired).
 */
export function decodeUuidExtensionValue(der: Buffer): string | null {
  if (der.length !== 2 + UUID_LENGTH || der[0] !== UTF8_STRING || der[1] !== UUID_LENGTH) return null;
  const text = der.subarray(2).toString('latin1');
  return uuidPattern.test(text) ? text : null;
}
