import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { NotImplementedError } from '../errors/index.js';

/**
 * A complete implementation of `service` from the methods built so far; every other method, derived
 * from the descriptor, answers `unimplemented` with its name. Nothing pretends to work.
 */
export function withUnimplemented<T extends DescService>(
  service: T,
  implemented: Partial<ServiceImpl<T>>,
): ServiceImpl<T> {
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    const own = (implemented as Record<string, unknown>)[method.localName];
    if (typeof own === 'function') {
      impl[method.localName] = own.bind(implemented);
      continue;
    }
    const name = `${service.typeName}/${method.name}`;
    impl[method.localName] =
      method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming'
        ? // biome-ignore lint/correctness/useYield: it fails before the first message
          async function* () {
            throw new NotImplementedError(name);
          }
        : async () => {
            throw new NotImplementedError(name);
          };
  }
  return impl as ServiceImpl<T>;
}
