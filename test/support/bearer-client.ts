import type { DescService } from '@bufbuild/protobuf';
import { type Client, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';

/**
 * A Connect client over HTTP/2 that sends `token` as its bearer token on every call; binary
 * messages unless `format` is 'json'.
 */
export function bearerClient<T extends DescService>(
  service: T,
  baseUrl: string,
  token: string,
  format: 'binary' | 'json' = 'binary',
): Client<T> {
  return createClient(
    service,
    createConnectTransport({
      baseUrl,
      httpVersion: '2',
      useBinaryFormat: format === 'binary',
      interceptors: [
        (next) => async (request) => {
          request.header.set('authorization', `Bearer ${token}`);
          return next(request);
        },
      ],
    }),
  );
}
