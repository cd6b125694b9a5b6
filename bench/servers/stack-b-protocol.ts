import type { ProcessUsage } from './process-usage.js';

/** What the orchestrator and the stack B process share (kept apart: importing the process starts it). */
export const requestingHost = '127.0.0.2';
export const servingHost = '127.0.0.3';
export const taskCount = 100;
export const maxRateLimitRpm = 100_000;

export type StackBMessage =
  | { type: 'ready'; ready: StackBReady }
  | { type: 'failed'; message: string }
  | { type: 'cpu'; gateway: ProcessUsage; services: Record<string, ProcessUsage> }
  | { type: 'closed' };

/** What stack B tells the orchestrator once it can be onboarded (secrets stay on loopback, in memory). */
export interface StackBReady {
  enrollmentUrl: string;
  grantId: string;
  /** The user on B whose 100 tasks the grant reads. */
  userId: string;
  /** B's own Postgres database (the gateway's tables are in schema `gateway`). */
  databaseUrl: string;
  /** B's admin listener and an admin token for it (1 h). */
  adminUrl: string;
  adminToken: string;
  /** Process ids: the gateway's, and ca's, grants' and audit's (for the machine account). */
  pids: { gateway: number; services: number[] };
}
