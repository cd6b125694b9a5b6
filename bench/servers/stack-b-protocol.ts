/** What the orchestrator and the stack B process share (kept apart: importing the process starts it). */
export const requestingHost = '127.0.0.2';
export const servingHost = '127.0.0.3';
export const taskCount = 100;
export const maxRateLimitRpm = 100_000;

export type StackBMessage =
  | { type: 'ready'; enrollmentUrl: string; grantId: string }
  | { type: 'failed'; message: string }
  | { type: 'cpu'; userMicros: number; systemMicros: number; maxRssKb: number }
  | { type: 'closed' };
