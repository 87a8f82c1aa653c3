/**
 * Runs one doctor check: times it, and turns a thrown error into a failed result with its code.
 * @module
 */
import { isDinoError } from '../errors';
import type { CheckResult, CheckStatus } from './types';

/** What a check returns (its id, title and timing are added by {@link runCheck}). */
export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
  measurements?: Record<string, number | string>;
}

export const notRun = (reason: string): CheckOutcome => ({ status: 'not-run', detail: reason });

/** passed when `ok`, else failed; the detail says what was measured against what bar. */
export const verdict = (ok: boolean, detail: string, measurements?: Record<string, number | string>): CheckOutcome => ({
  status: ok ? 'passed' : 'failed',
  detail,
  ...(measurements ? { measurements } : {}),
});

export async function runCheck(id: string, title: string, fn: () => Promise<CheckOutcome>): Promise<CheckResult> {
  const start = performance.now();
  let outcome: CheckOutcome;
  try {
    outcome = await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outcome = { status: 'failed', detail: `${isDinoError(err) ? `${err.code}: ` : ''}${message.split('\n')[0]}` };
  }
  const result: CheckResult = { id, title, status: outcome.status, detail: outcome.detail };
  if (outcome.status !== 'not-run') result.ms = Math.round((performance.now() - start) * 10) / 10;
  if (outcome.measurements) result.measurements = outcome.measurements;
  return result;
}
