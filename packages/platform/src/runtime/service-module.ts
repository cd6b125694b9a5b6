import type { DescService } from '@bufbuild/protobuf';
import type { Client, ConnectRouter } from '@connectrpc/connect';
import type { DataSource, EntitySchema, MigrationInterface } from 'typeorm';
import type { Adapters } from '../adapters/job-queue.js';
import type { Ed25519KeyPair } from '../auth/ed25519-key.js';
import type { MosaicConfig, ServiceName, Target } from '../config/config-types.js';
import type { ReadinessCheck } from '../health/readiness.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';
import type { CallerRule } from '../rpc/method-policy.js';
import type { PlainHandler } from '../server/http-listener.js';
import type { DependencyReport } from '../tier/dependency-report.js';

/** Creates typed clients of the other services: in process (monolith) or over the network with a JWT. */
export interface ServiceClients {
  client<T extends DescService>(service: T, target: ServiceName): Client<T>;
}

/** What the runtime hands a service: everything it may touch, nothing global. */
export interface ServiceDeps {
  config: MosaicConfig;
  /** Environment the secrets are read from (the process's, unless a test isolates it). */
  env: NodeJS.ProcessEnv;
  /** The process's target (`all` in monolithic mode). */
  target: Target;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  adapters: Adapters;
  clients: ServiceClients;
  /** Key pair of the instance's internal JWTs (also derives the admin-token key on the gateway). */
  instanceSecret: Buffer;
  internalKeys: Ed25519KeyPair;
  /** URL of the running Postgres (the embedded store's loopback socket in the local tier). */
  postgresUrl: string;
  /** What the tier detector found at boot (doctor shows it). */
  dependencies: DependencyReport[];
  /** Health of every service in this process, for doctor in monolithic mode. */
  processHealth(): Promise<Array<{ name: string; ready: boolean; latencyMs: number; detail: string }>>;
}

export interface RunningService {
  /** Routes served on the internal listener. */
  routes(router: ConnectRouter): void;
  /** Plain HTTP paths served on the internal listener (e.g. the CA's CRL distribution point). */
  plain?: PlainHandler;
  /** Extra readiness checks beyond the database and queue. */
  readiness?: ReadinessCheck[];
  /** Called after every service of the process is up (e.g. to open the gateway's own listeners). */
  start?(): Promise<void>;
  /** URL of the admin listener (gateway only), once started. */
  adminUrl?(): string | null;
  /** Stop accepting work and release what the service opened (its listeners, workers). */
  close(deadlineMs: number): Promise<void>;
}

/** A service as the runtime sees it: its contract, its schema and how to build it. */
export interface ServiceModule {
  name: ServiceName;
  /** Postgres schema owned by the service; nobody else reads it. */
  schema: string;
  /** Services served on the internal listener. */
  services: DescService[];
  /** Who may call each method (from the descriptors; a missing method is a start-up error). */
  policy: ReadonlyMap<string, CallerRule>;
  entities: EntitySchema[];
  migrations: Array<new () => MigrationInterface>;
  create(deps: ServiceDeps): Promise<RunningService>;
}
