import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { type Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import type { ServiceHealth } from './readiness.js';

const watchIntervalMs = 1000;

/**
 * grpc.health.v1 over the services of this process. The empty service name is the whole process:
 * serving only when every service is ready.
 */
export class HealthService implements ServiceImpl<typeof Health> {
  constructor(private readonly services: readonly ServiceHealth[]) {}

  private async status(service: string): Promise<HealthCheckResponse_ServingStatus> {
    const selected =
      service === '' ? this.services : this.services.filter((health) => health.name === service);
    if (selected.length === 0) return HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
    const results = await Promise.all(selected.map((health) => health.check()));
    return results.every((result) => result.ready)
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.NOT_SERVING;
  }

  async check(request: { service: string }) {
    const status = await this.status(request.service);
    if (status === HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) {
      throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
    }
    return { status };
  }

  async *watch(request: { service: string }, context: { signal: AbortSignal }) {
    let last: HealthCheckResponse_ServingStatus | undefined;
    while (!context.signal.aborted) {
      const status = await this.status(request.service);
      if (status !== last) {
        last = status;
        yield { status };
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, watchIntervalMs);
        context.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
