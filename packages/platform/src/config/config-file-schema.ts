import { memoryTypes, peerCompressions, queueTypes, storageTypes, tiers } from './config-types.js';

const listen = { type: 'string', minLength: 3 } as const;

/** JSON Schema of `mosaic.config.json`. Unknown keys are refused so that typos never pass silently. */
export const configFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    tier: { enum: [...tiers] },
    storage: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { enum: [...storageTypes] },
        url: { type: 'string', minLength: 1 },
        dir: { type: 'string', minLength: 1 },
      },
    },
    queue: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { enum: [...queueTypes] },
        url: { type: 'string', minLength: 1 },
        prefix: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      },
    },
    memory: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { enum: [...memoryTypes] } },
    },
    dataDir: { type: 'string', minLength: 1 },
    listen: {
      type: 'object',
      additionalProperties: false,
      properties: { internal: listen, admin: listen, federation: listen, enrollment: listen },
    },
    services: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: { type: 'string' },
        grants: { type: 'string' },
        audit: { type: 'string' },
        gateway: { type: 'string' },
      },
    },
    publicHostname: { type: 'string', minLength: 1, maxLength: 253 },
    peerCompression: { enum: [...peerCompressions] },
    clientCertLifetimeDays: { type: 'integer', minimum: 1, maximum: 397 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    probeTimeoutMs: { type: 'integer', minimum: 100, maximum: 60000 },
    shutdownTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
    grantUsageReportMs: { type: 'integer', minimum: 1000, maximum: 3600000 },
  },
} as const;

export interface ConfigFile {
  tier?: string;
  storage?: { type: string; url?: string; dir?: string };
  queue?: { type: string; url?: string; prefix?: string };
  memory?: { type: string };
  dataDir?: string;
  listen?: { internal?: string; admin?: string; federation?: string; enrollment?: string };
  services?: { ca?: string; grants?: string; audit?: string; gateway?: string };
  publicHostname?: string;
  peerCompression?: string;
  clientCertLifetimeDays?: number;
  logLevel?: string;
  probeTimeoutMs?: number;
  shutdownTimeoutMs?: number;
  grantUsageReportMs?: number;
}
