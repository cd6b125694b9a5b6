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
import {
  type Ed25519KeyPair,
  InternalTokenIssuer,
  type ServiceClients,
  type ServiceName,
} from '@mosaic/platform';

/**
 * Clients of the other services, per calling service (its name is the JWT subject the callee
 * checks). In monolithic mode a service's router runs in process (createRouterTransport, same
 * interceptors, same JWT check); otherwise calls go over HTTP/2.
 */
export class RuntimeServiceClients {
  private readonly local = new Map<
    ServiceName,
    { routes: (router: ConnectRouter) => void; interceptors: Interceptor[] }
  >();

  constructor(
    private readonly keys: Ed25519KeyPair,
    private readonly urls: Record<ServiceName, string>,
  ) {}

  /** Registers a service running in this process so calls to it stay in memory. */
  registerLocal(
    name: ServiceName,
    routes: (router: ConnectRouter) => void,
    interceptors: Interceptor[],
  ): void {
    this.local.set(name, { routes, interceptors });
  }

  /** The clients `caller` uses: every call carries a token with `caller` as subject. */
  forCaller(caller: string): ServiceClients {
    const issuer = new InternalTokenIssuer(this.keys, caller);
    const transports = new Map<ServiceName, Transport>();
    const transport = (target: ServiceName): Transport => {
      let existing = transports.get(target);
      if (existing) return existing;
      const local = this.local.get(target);
      existing = local
        ? createRouterTransport(local.routes, {
            router: { interceptors: local.interceptors },
            transport: { interceptors: [issuer.interceptor(target)] },
          })
        : createConnectTransport({
            baseUrl: this.urls[target],
            httpVersion: '2',
            interceptors: [issuer.interceptor(target)],
            defaultTimeoutMs: 10_000,
          });
      transports.set(target, existing);
      return existing;
    };
    return {
      client<T extends DescService>(service: T, target: ServiceName): Client<T> {
        return createClient(service, transport(target));
      },
    };
  }
}
