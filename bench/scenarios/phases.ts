/**
 * The scenario phases that run after the load rounds (issue 6 scenarios 5, 6 and 7), in this
 * order: fan-out first (onboarding adds peers; each is bound to its own user, but nothing should
 * share the machine with the fan-out measurement), then audit, then onboarding and CA. A phase
 * that fails is recorded and the others still run; the orchestrator fails the run afterwards.
 */
import { runAuditLatency } from './audit-latency.js';
import { runFanOut } from './fan-out.js';
import { runOnboarding } from './onboarding.js';
import type { PhaseContext, PhaseOutcome } from './phase-context.js';

export const phaseIds = ['fanout', 'audit', 'onboarding'] as const;
export type PhaseId = (typeof phaseIds)[number];

export function isPhaseId(value: string): value is PhaseId {
  return (phaseIds as readonly string[]).includes(value);
}

/** Each phase's key in the JSON report. */
const phases: Record<PhaseId, { key: string; run(context: PhaseContext): Promise<PhaseOutcome<unknown>> }> = {
  fanout: { key: 'fanOut', run: runFanOut },
  audit: { key: 'auditLatency', run: runAuditLatency },
  onboarding: { key: 'onboarding', run: runOnboarding },
};

export interface PhaseResults {
  /** `{fanOut, auditLatency, onboarding}` for the phases that ran; `{failed}` where one failed. */
  report: Record<string, unknown>;
  failures: string[];
}

export async function runPhases(ids: readonly PhaseId[], context: PhaseContext): Promise<PhaseResults> {
  const report: Record<string, unknown> = {};
  const failures: string[] = [];
  // On SIGINT/SIGTERM the orchestrator tears the stacks down under the running phase; the phases
  // after it would only fail against closed listeners and leave a misleading report, so stop.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  // once, as the orchestrator's own handlers: a second Ctrl-C still kills at once.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const id of phaseIds.filter((phase) => ids.includes(phase))) {
      if (interrupted) break;
      const phase = phases[id];
      const started = performance.now();
      context.log('');
      try {
        const outcome = await phase.run(context);
        report[phase.key] = outcome.report;
        context.log(`\n${outcome.table}\n(${id}: ${Math.round((performance.now() - started) / 100) / 10} s)`);
      } catch (error) {
        if (interrupted) break;
        const message = error instanceof Error ? error.message : String(error);
        report[phase.key] = { failed: message };
        failures.push(`${id}: ${message}`);
        context.log(`\n${id} FAILED: ${message}`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted) throw new Error(`interrupted by ${interrupted}: no results written`);
  return { report, failures };
}
