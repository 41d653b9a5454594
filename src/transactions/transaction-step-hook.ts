/**
 * A test seam of the coordinator (not public API): `mamba crash-test --transactions` SIGKILLs
 * its broker process inside a commit, right after the Prepare record is durable or right
 * after a marker is, to land the crash where the two-phase end must finish the transaction
 * after a restart. Unset, each step costs one comparison.
 */
export type TransactionStepPoint = 'prepared' | 'marker-written';

let stepHook: ((point: TransactionStepPoint) => void) | undefined;

/** @internal Crash tests: called at each point of every ending transaction in this thread. */
export function setTransactionStepHook(
  hook: ((point: TransactionStepPoint) => void) | undefined,
): void {
  stepHook = hook;
}

export function transactionStep(point: TransactionStepPoint): void {
  stepHook?.(point);
}
