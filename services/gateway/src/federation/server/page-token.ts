import { createHmac, timingSafeEqual } from 'node:crypto';
import { MosaicError } from '@mosaic/platform';

/**
 * Opaque page tokens, signed (HMAC-SHA-256 with a key derived from the instance secret) and bound
 * to the grant, resource and filter they were issued for: a client cannot forge a position, nor
 * reuse a token across grants or queries.
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  issue(binding: string, position: { updatedAt: Date; id: string }): string {
    const payload = Buffer.from(
      JSON.stringify({ b: binding, t: position.updatedAt.toISOString(), i: position.id }),
    );
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  read(binding: string, token: string): { updatedAt: Date; id: string } {
    const [payloadText, macText, extra] = token.split('.');
    if (payloadText && macText && extra === undefined) {
      const payload = Buffer.from(payloadText, 'base64url');
      const mac = Buffer.from(macText, 'base64url');
      const expected = this.mac(payload);
      if (mac.length === expected.length && timingSafeEqual(mac, expected)) {
        const value = JSON.parse(payload.toString('utf8')) as { b: string; t: string; i: string };
        if (value.b === binding) return { updatedAt: new Date(value.t), id: value.i };
      }
    }
    throw new MosaicError({
      kind: 'invalid_argument',
      message: 'page_token was altered or was not issued for this grant, resource and filter.',
      remedy: 'Pass next_page_token from the previous response unchanged, with the same request, or omit it.',
    });
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}
