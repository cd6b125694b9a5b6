/**
 * The Node flags the gateway's image starts it with (the `node …` options of the CMD in
 * services/gateway/Dockerfile), so stack B's gateway is measured as it is deployed.
 */
import { readFileSync } from 'node:fs';

export function gatewayImageFlags(): string[] {
  const dockerfile = readFileSync(new URL('../../services/gateway/Dockerfile', import.meta.url), 'utf8');
  const cmd = dockerfile.split('\n').findLast((line) => line.startsWith('CMD '));
  if (!cmd)
    throw new Error("services/gateway/Dockerfile has no CMD line to take the gateway's Node flags from");
  const argv = JSON.parse(cmd.slice(4)) as string[];
  const script = argv.findIndex((arg) => !arg.startsWith('-') && arg !== 'node');
  return argv.slice(1, script).filter((arg) => arg.startsWith('--'));
}
