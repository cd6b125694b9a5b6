/** What the orchestrator hands every scenario phase that runs after the load rounds. */
import type { TestStack } from '../../test/support/stack.js';
import type { StackBHandle } from '../lib/processes.js';

export interface PhaseContext {
  mode: 'quick' | 'full';
  /** The requesting stack A (in the orchestrator's process), enrolled with B as `peerHostname`. */
  a: TestStack;
  /** The serving stack B (its own process). */
  b: StackBHandle;
  /** B's federation listener and the PEM files of A's credentials for it (the orchestrator's). */
  federation: { origin: string; caFile: string; certFile: string; keyFile: string };
  /** B's host name as A knows the peer: the `federated:<peer>` source. */
  peerHostname: string;
  /** Progress lines (stdout). */
  log(line: string): void;
}

export interface PhaseOutcome<T> {
  report: T;
  /** The phase's table (ratios first) and its target lines, ready to print. */
  table: string;
}
