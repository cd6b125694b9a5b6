import type { DescService } from '@bufbuild/protobuf';
import { type Client, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';

/** A Connect client over HTTP/2 that sends `token` as its bearer token on every call. */
export function bearerClient<T extends DescService>(service: T, baseUrl: string, token: string): Client<T> {
  return createClient(
    service,
    createConnectTransport({
      baseUrl,
      httpVersion: '2',
      interceptors: [
        (next) => async (request) => {
          request.header.set('authorization', `Bearer ${token}`);
          return next(request);
        },
      ],
    }),
  );
}
