import type { DescService } from '@bufbuild/protobuf';
import {
  type Client,
  type ConnectRouter,
  createClient,
  createRouterTransport,
  type Interceptor,
  type Transport,
} from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type { InternalTokenIssuer, ServiceClients, ServiceName } from '@mosaic/platform';

/**
 * Clients of the other services. In monolithic mode a service's router runs in process
 * (createRouterTransport, same interceptors, same JWT check); otherwise calls go over HTTP/2.
 */
export class RuntimeServiceClients implements ServiceClients {
  private readonly local = new Map<ServiceName, Transport>();
  private readonly remote = new Map<ServiceName, Transport>();

  constructor(
    private readonly issuer: InternalTokenIssuer,
    private readonly urls: Record<ServiceName, string>,
  ) {}

  /** Registers a service running in this process so calls to it stay in memory. */
  registerLocal(
    name: ServiceName,
    routes: (router: ConnectRouter) => void,
    routerInterceptors: Interceptor[],
  ): void {
    this.local.set(
      name,
      createRouterTransport(routes, {
        router: { interceptors: routerInterceptors },
        transport: { interceptors: [this.issuer.interceptor(name)] },
      }),
    );
  }

  client<T extends DescService>(service: T, target: ServiceName): Client<T> {
    return createClient(service, this.transport(target));
  }

  private transport(target: ServiceName): Transport {
    const local = this.local.get(target);
    if (local) return local;
    let remote = this.remote.get(target);
    if (!remote) {
      remote = createConnectTransport({
        baseUrl: this.urls[target],
        httpVersion: '2',
        interceptors: [this.issuer.interceptor(target)],
        defaultTimeoutMs: 10_000,
      });
      this.remote.set(target, remote);
    }
    return remote;
  }
}
