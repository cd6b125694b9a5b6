import type http from 'node:http';
import type http2 from 'node:http2';
import { Code } from '@connectrpc/connect';
import { type PlainHandler, reasonOfConnectError, toConnectError } from '@mosaic/platform';
import type { EnrollmentHandler } from './enrollment-handler.js';

export const enrollPath = '/v1/enroll';
const maxBodyBytes = 64 * 1024;

const statusByCode: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.FailedPrecondition]: 409,
  [Code.ResourceExhausted]: 429,
  [Code.Unavailable]: 503,
  [Code.Unimplemented]: 501,
};

/**
 * `POST /v1/enroll` (JSON, TLS only): enrollment with HTTP semantics, as EST does — 201 with the
 * certificate; 400 for a bad CSR (the token stays usable); 410 Gone for a used, expired or unknown
 * token; 429 with Retry-After when a source enrolls too often.
 */
export function enrollRest(handler: EnrollmentHandler): PlainHandler {
  return async (request, response) => {
    if ((request.url ?? '').split('?')[0] !== enrollPath) return false;
    if (request.method !== 'POST') {
      reply(response, 405, { error: { code: 'method_not_allowed', message: 'use POST' } });
      return true;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(request)).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      reply(response, 400, {
        error: { code: 'invalid_argument', message: `the body is not JSON (${(error as Error).message})` },
      });
      return true;
    }
    try {
      const result = await handler.enroll(
        {
          grantId: String(body.grantId ?? ''),
          token: String(body.token ?? ''),
          csrPem: String(body.csrPem ?? ''),
          requestingHostname: String(body.requestingHostname ?? ''),
        },
        request.socket.remoteAddress ?? 'unknown',
      );
      reply(response, 201, result);
    } catch (error) {
      const wire = toConnectError(error);
      const reason = reasonOfConnectError(wire);
      const status = reason === 'enrollment_token_invalid' ? 410 : (statusByCode[wire.code] ?? 500);
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (status === 429 && retryAfter) response.setHeader('retry-after', String(retryAfter));
      reply(response, status, {
        error: {
          code: (Code[wire.code] ?? 'Unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(),
          reason: reason ?? null,
          message: wire.rawMessage,
        },
      });
    }
    return true;
  };
}

function reply(response: Parameters<PlainHandler>[1], status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(`${JSON.stringify(body)}\n`);
}

async function readBody(request: http.IncomingMessage | http2.Http2ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error(`larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
