import { createHmac, timingSafeEqual } from 'node:crypto';
import { MosaicError } from '@mosaic/platform';

/**
 * Opaque page tokens, signed (HMAC-SHA-256 with a key derived from the instance secret) and bound
 * to the grant, resource and filter they were issued for: a client cannot forge a position, nor
 * reuse a token across grants or queries. A list position is (updated_at, id); a search position
 * is (rank, id).
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  issue(binding: string, position: { updatedAt: Date; id: string }): string {
    return this.sign({ b: binding, t: position.updatedAt.toISOString(), i: position.id });
  }

  read(binding: string, token: string): { updatedAt: Date; id: string } {
    const value = this.verify(binding, token, listRequest);
    if (typeof value.t !== 'string' || typeof value.i !== 'string') throw refused(listRequest);
    return { updatedAt: new Date(value.t), id: value.i };
  }

  /** A search position: the rank (a finite double, kept exactly) and id of the last hit. */
  issueRanked(binding: string, position: { rank: number; id: string }): string {
    return this.sign({ b: binding, r: position.rank, i: position.id });
  }

  readRanked(binding: string, token: string): { rank: number; id: string } {
    const value = this.verify(binding, token, searchRequest);
    if (typeof value.r !== 'number' || !Number.isFinite(value.r) || typeof value.i !== 'string') {
      throw refused(searchRequest);
    }
    return { rank: value.r, id: value.i };
  }

  private sign(value: Record<string, unknown>): string {
    const payload = Buffer.from(JSON.stringify(value));
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The signed payload when the token is intact and was issued for `binding`; throws otherwise. */
  private verify(binding: string, token: string, request: string): Record<string, unknown> {
    const [payloadText, macText, extra] = token.split('.');
    if (payloadText && macText && extra === undefined) {
      const payload = Buffer.from(payloadText, 'base64url');
      const mac = Buffer.from(macText, 'base64url');
      const expected = this.mac(payload);
      if (mac.length === expected.length && timingSafeEqual(mac, expected)) {
        const value = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        if (value.b === binding) return value;
      }
    }
    throw refused(request);
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

const listRequest = 'grant, resource and filter';
const searchRequest = 'grant, resources and query';

function refused(request: string): MosaicError {
  return new MosaicError({
    kind: 'invalid_argument',
    message: `page_token was altered or was not issued for this ${request}.`,
    remedy: 'Pass next_page_token from the previous response unchanged, with the same request, or omit it.',
  });
}
