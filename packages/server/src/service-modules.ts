import { auditModule } from '@mosaic/audit';
import { caModule } from '@mosaic/ca';
import { gatewayModule } from '@mosaic/gateway';
import { grantsModule } from '@mosaic/grants';
import type { ServiceModule, ServiceName, Target } from '@mosaic/platform';

/** Start order: a service only calls services started before it (gateway → grants → ca; audit alone). */
export const moduleOrder: readonly ServiceModule[] = [caModule, auditModule, grantsModule, gatewayModule];

export function modulesFor(target: Target): ServiceModule[] {
  return target === 'all' ? [...moduleOrder] : moduleOrder.filter((module) => module.name === target);
}

export function moduleByTypeName(modules: readonly ServiceModule[]): Map<string, ServiceName> {
  return new Map(
    modules.flatMap((module) => module.services.map((service) => [service.typeName, module.name])),
  );
}
