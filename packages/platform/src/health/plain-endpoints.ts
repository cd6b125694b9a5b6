import type { Metrics } from '../metrics/registry.js';
import type { PlainHandler } from '../server/http-listener.js';
import type { ServiceHealth } from './readiness.js';

/** `/healthz` (alive), `/readyz` (dependencies answer; JSON detail) and Prometheus `/metrics`. */
export function healthEndpoints(options: {
  services: readonly ServiceHealth[];
  metrics: Metrics;
}): PlainHandler {
  return async (request, response) => {
    if (request.method !== 'GET') return false;
    const path = (request.url ?? '').split('?')[0];
    if (path === '/healthz') {
      send(response, 200, 'text/plain', 'ok\n');
      return true;
    }
    if (path === '/readyz') {
      const results = await Promise.all(
        options.services.map(async (health) => ({ service: health.name, ...(await health.check()) })),
      );
      const ready = results.every((result) => result.ready);
      send(
        response,
        ready ? 200 : 503,
        'application/json',
        `${JSON.stringify({ ready, services: results })}\n`,
      );
      return true;
    }
    if (path === '/metrics') {
      const body = await options.metrics.registry.metrics();
      send(response, 200, options.metrics.registry.contentType, body);
      return true;
    }
    return false;
  };
}

function send(
  response: Parameters<PlainHandler>[1],
  status: number,
  contentType: string,
  body: string,
): void {
  response.statusCode = status;
  response.setHeader('content-type', contentType);
  response.end(body);
}
