import { ConfigError } from '../errors/index.js';
import type { ListenAddress } from './config-types.js';

/** Parses `host:port` (IPv6 as `[::1]:8080`); port 0 asks the OS for a free port. */
export function parseListenAddress(value: string, setting: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new ConfigError(
      `${setting} is "${value}", which is not a listen address.`,
      `Use host:port, for example 127.0.0.1:8080 or [::1]:8080 (port 0 picks a free port).`,
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
