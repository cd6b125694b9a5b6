export const tiers = ['local', 'standalone', 'federated'] as const;
export type Tier = (typeof tiers)[number];

export const storageTypes = ['pglite', 'postgres'] as const;
export type StorageType = (typeof storageTypes)[number];

export const queueTypes = ['local', 'bullmq'] as const;
export type QueueType = (typeof queueTypes)[number];

export const memoryTypes = ['pgvector', 'keyword'] as const;
export type MemoryType = (typeof memoryTypes)[number];

/** What this gateway asks its peers to compress their answers with. */
export const peerCompressions = ['none', 'gzip'] as const;
export type PeerCompression = (typeof peerCompressions)[number];

export const serviceNames = ['ca', 'grants', 'audit', 'gateway'] as const;
export type ServiceName = (typeof serviceNames)[number];

export const targets = [...serviceNames, 'all'] as const;
export type Target = (typeof targets)[number];

export interface ListenAddress {
  host: string;
  port: number;
}

export type StorageConfig = { type: 'pglite'; dir: string } | { type: 'postgres'; url: string };
/** `prefix` namespaces every Valkey key, so several instances can share one Valkey. */
export type QueueConfig = { type: 'local' } | { type: 'bullmq'; url: string; prefix: string };

/** The resolved configuration of one process: file, then environment, then tier defaults. */
export interface MosaicConfig {
  /** Absolute path of the config file that was read, or null when none exists. */
  configPath: string | null;
  tier: Tier;
  storage: StorageConfig;
  queue: QueueConfig;
  memory: { type: MemoryType };
  /** Folder for the embedded store, generated secrets and run files. */
  dataDir: string;
  listen: {
    /** The internal Connect/gRPC + health/metrics listener; null means the target's default port. */
    internal: ListenAddress | null;
    admin: ListenAddress;
    federation: ListenAddress;
    enrollment: ListenAddress;
  };
  /**
   * The name peers reach this gateway by: in enrollment URLs, the server certificate's SANs and
   * the CRL distribution point.
   */
  publicHostname: string;
  /**
   * Development mode (`npm start`, `mosaic dev`, `serve --dev`): lets the local tier serve
   * federation for demos. Never on in production; the federated tier serves it regardless.
   */
  devMode: boolean;
  /**
   * Whether this gateway asks its peers to gzip their answers. `none` by default: on a LAN or a
   * fast link, compressing a 13 KB page of 100 items (and inflating it) takes longer than sending
   * it whole (BENCHMARKS.md, fan-out); `gzip` is for slow links between gateways.
   */
  peerCompression: PeerCompression;
  /** Lifetime of issued client certificates (SPEC §3: 30 days by default). */
  clientCertLifetimeDays: number;
  /** Where the other services are, in microservices mode. */
  serviceUrls: Record<ServiceName, string>;
  logLevel: string;
  /** Deadline of each dependency probe at boot. */
  probeTimeoutMs: number;
  /** Deadline for draining in-flight calls and closing everything on SIGTERM. */
  shutdownTimeoutMs: number;
  /** How often the gateway reports its grants' last use to the grants service (`last used`). */
  grantUsageReportMs: number;
}

/** Default internal listener port of each service in microservices mode. */
export const defaultInternalPorts: Record<Target, number> = {
  all: 9100,
  ca: 9101,
  grants: 9102,
  audit: 9103,
  gateway: 9104,
};
