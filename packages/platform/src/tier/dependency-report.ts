export type DependencyStatus = 'green' | 'yellow' | 'red';

/** One dependency as the tier detector and `mosaic gateway doctor` see it. Never holds a secret. */
export interface DependencyReport {
  name: 'postgres' | 'valkey' | 'pgvector';
  status: DependencyStatus;
  /** Round trip of the probe, milliseconds; null when it never connected. */
  latencyMs: number | null;
  /** host:port (or the embedded store's folder); redacted, never a connection string with a password. */
  target: string;
  message: string;
  /** What to do when the status is not green; empty when green. */
  remedy: string;
}
