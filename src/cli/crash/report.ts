/**
 * How a crash-test result reads: a table for people, JSON for machines, and the one-line live
 * progress (rewritten in place on a terminal, a plain line now and then elsewhere).
 */
import { VIOLATION_KINDS } from './checker.js';
import { CONSUMPTION_VIOLATIONS } from './consumption-ledger.js';
import type { CrashTestProgress, CrashTestResult } from './crash-run.js';
import type { Quantiles } from './quantiles.js';

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

function ms(value: number): string {
  return `${integer.format(value)} ms`;
}

function quantileCells(q: Quantiles): string {
  return q.count === 0 ? '-' : `p50 ${ms(q.p50)}  p99 ${ms(q.p99)}  max ${ms(q.max)}`;
}

export function progressLine(progress: CrashTestProgress): string {
  const elapsed = `${(progress.elapsedMs / 1000).toFixed(1)}s`;
  const of = progress.phaseMs > 0 ? `/${(progress.phaseMs / 1000).toFixed(0)}s` : '';
  return `${progress.phase.padEnd(5)} ${elapsed}${of}  kills ${progress.kills}  ` +
    `restarts ${progress.restarts}  ${integer.format(progress.messagesPerSec)} msgs/s  ` +
    `lag ${integer.format(progress.lag)}  consumed ${integer.format(progress.consumedPerSec)}/s`;
}

/** The summary table, then one row per partition with anything to report. */
export function formatTable(result: CrashTestResult): string {
  const { config, check, throughput, restarts, consumers } = result;
  const kills = Object.entries(result.kills).filter(([, n]) => n > 0)
    .map(([mode, n]) => `${mode} ${n}`).join(', ') || 'none';
  const ratio = throughput.ratio === null ? '' : ` (${(throughput.ratio * 100).toFixed(0)}%)`;
  const rows: Array<[string, string]> = [
    ['seed', `${config.seed}  (reproduce: --seed ${config.seed})`],
    ['workload', `${config.topics} topic(s) × ${config.partitions} partitions, ` +
      `${config.producers} producers, acks ${config.acks}, ${config.actors} actors`],
    ['kills', `${kills}${result.skippedKills > 0 ? `; ${result.skippedKills} skipped` : ''}`],
    ['restarts', `${restarts.actor} actor, ${restarts.process} process`],
    ['recovery', quantileCells(restarts.recoveryMs)],
    ['downtime', quantileCells(restarts.downtimeMs)],
    ...Object.entries(restarts.byMode).map(([mode, q]): [string, string] =>
      [`  ${mode}`, `downtime ${quantileCells(q.downtimeMs)}  (n ${q.downtimeMs.count}; ` +
        `recovery p50 ${ms(q.recoveryMs.p50)})`]),
    ['  phases p50', `backoff ${ms(restarts.phasesMs.backoffMs.p50)}, start ` +
      `${ms(restarts.phasesMs.startMs.p50)}, reopen ${ms(restarts.phasesMs.reopenMs.p50)}, ` +
      `attach ${ms(restarts.phasesMs.attachMs.p50)}; standby loaded ${restarts.standby.loaded}, ` +
      `loading ${restarts.standby.loading}, none ${restarts.standby.none}`],
    ['throughput', `calm ${integer.format(throughput.calmMessagesPerSec)} msgs/s, chaos ` +
      `${integer.format(throughput.chaosMessagesPerSec)} msgs/s${ratio}`],
    ['records', `sent ${integer.format(result.records.sent)}, acknowledged ` +
      `${integer.format(result.records.acknowledged)}, failed ` +
      `${integer.format(result.records.failed)}, stored ${integer.format(check.totals.stored)}`],
    ['power cuts', `${result.damage.powerCuts} (${result.damage.segmentsDamaged} segment tails, ` +
      `${integer.format(result.damage.bytesDamaged)} bytes damaged); lost unflushed ` +
      `(allowed) ${integer.format(check.totals.lostUnflushed)}`],
    ['consumers', `${config.consumers} per process, ${consumers.members} in all; consumed ` +
      `${integer.format(consumers.consumed)} (${integer.format(consumers.unique)} distinct), ` +
      `redelivered (allowed) ${integer.format(consumers.redelivered)}`],
    ['consumer lag', `${integer.format(consumers.lagAtStop)} when producers stopped, ` +
      `${integer.format(consumers.lagAtEnd)} at the end (drained in ${ms(consumers.drainMs)})`],
    ['rebalances', `${integer.format(consumers.assignments)} partitions assigned, ` +
      `${integer.format(consumers.revocations)} revoked`],
    ['stale commits', `${consumers.staleCommits} (a power cut left the group's commit past ` +
      'the recovered log end)'],
    ...CONSUMPTION_VIOLATIONS.map((kind): [string, string] =>
      [`live ${kind}`, String(consumers[kind])]),
    ...delayedRows(result),
    ...deadLetterRows(result),
    ...transactionRows(result),
    ['reader', check.source],
    ...VIOLATION_KINDS.map((kind): [string, string] => [kind, String(check.totals[kind])]),
    ['verdict', result.violationCount === 0
      ? 'OK: no acknowledged record lost, duplicated, reordered or invented'
      : `FAILED: ${result.violationCount} violation(s)`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  const bad = check.partitions.filter((p) => VIOLATION_KINDS.some((kind) => p[kind] > 0));
  if (bad.length > 0) {
    lines.push('', `partition${' '.repeat(12)}${VIOLATION_KINDS.join('  ')}`);
    for (const p of bad) {
      lines.push(`${`${p.topic}-${p.partition}`.padEnd(21)}` +
        VIOLATION_KINDS.map((kind) => String(p[kind]).padStart(kind.length)).join('  '));
    }
  }
  for (const line of [...check.examples, ...consumers.examples, ...result.failures,
    ...(result.delayed?.examples ?? []), ...(result.deadLetters?.examples ?? []),
    ...(result.transactions?.examples ?? [])]) {
    lines.push(`  ! ${line}`);
  }
  if (result.dataDirKept) lines.push(`data directory: ${result.dataDir}`);
  return lines.join('\n');
}

/** `--delayed`: each acknowledged delayed message delivered once to a group, not early. */
function delayedRows(result: CrashTestResult): Array<[string, string]> {
  const delayed = result.delayed;
  if (delayed === undefined) return [];
  const { latenessMs } = delayed;
  return [
    ['delayed', `acknowledged ${integer.format(delayed.acknowledged)}, delivered ` +
      `${integer.format(delayed.delivered)} (unacknowledged found ` +
      `${integer.format(delayed.unacknowledgedFound)}); stored after due: p50 ` +
      `${ms(latenessMs.p50)}  p99 ${ms(latenessMs.p99)}  max ${ms(latenessMs.max)}`],
    ['delayed lost', String(delayed.lost)],
    ['delayed twice', String(delayed.duplicated)],
    ['delayed early', String(delayed.early)],
    ['delayed other', String(delayed.unexpected)],
  ];
}

/** `--dead-letters`: each acknowledged failing record dead-lettered exactly once. */
function deadLetterRows(result: CrashTestResult): Array<[string, string]> {
  const dlq = result.deadLetters;
  if (dlq === undefined) return [];
  return [
    ['dead letters', `${integer.format(dlq.letters)} letters for ` +
      `${integer.format(dlq.acknowledgedFailing)} acknowledged failing records (unacknowledged ` +
      `found ${integer.format(dlq.unacknowledgedFound)}, lost unflushed (allowed) ` +
      `${integer.format(dlq.lostUnflushed)}); ${dlq.stepKills} process kills inside a ` +
      `dead-letter step; group runs restarted ${dlq.restarts}; drained in ${ms(dlq.drainMs)}`],
    ['dlq missing', String(dlq.missing)],
    ['dlq twice', String(dlq.twice)],
    ['dlq wrong', String(dlq.wrong)],
    ['dlq misplaced', String(dlq.misplaced)],
    ['dlq other', String(dlq.unexpected)],
  ];
}

/**
 * `--transactions`: each transaction all or nothing, each input's outputs exactly once, no
 * record of an aborted transaction handed to a read_committed reader, no input lost.
 */
function transactionRows(result: CrashTestResult): Array<[string, string]> {
  const txn = result.transactions;
  if (txn === undefined) return [];
  const kills = Object.entries(txn.stepKills).map(([point, n]) => `${point} ${n}`).join(', ');
  const verdict = (count: number) => (count === 0 ? 'OK' : `FAILED (${count})`);
  return [
    ['transactions', `${integer.format(txn.committedTransactions)} committed ` +
      `(${integer.format(txn.committedRecords)} records), ` +
      `${integer.format(txn.abortedTransactions)} aborted ` +
      `(${integer.format(txn.abortedRecords)} records); workers: ` +
      `${integer.format(txn.counters.failed)} failed, ${txn.counters.restarts} restarts; ` +
      `process kills inside a transaction: ${kills === '' ? 'none' : kills}; drained in ` +
      `${ms(txn.drainMs)}`],
    ['txn input', `${integer.format(txn.inputAcknowledged)} acknowledged, ` +
      `${integer.format(txn.inputStored)} stored; lost ${txn.inputLost}, duplicated ` +
      `${txn.inputDuplicated}`],
    ['txn atomicity', `${verdict(txn.partial + txn.openAtEnd)}: partial ${txn.partial}, ` +
      `open at end ${txn.openAtEnd}`],
    ['txn exactly-once', `${verdict(txn.duplicated + txn.missing + txn.misplaced + txn.orphan)}` +
      `: duplicated ${txn.duplicated}, missing ${txn.missing}, misplaced ${txn.misplaced}, ` +
      `orphan ${txn.orphan}`],
    ['txn read_committed', `${verdict(txn.liveAbortedSeen + txn.finalAbortedSeen +
      txn.finalCommittedUnseen)}: live reader handed ${integer.format(txn.liveSeen)}, not ` +
      `committed ${txn.liveAbortedSeen}; final reader handed ${integer.format(txn.finalSeen)}, ` +
      `not committed ${txn.finalAbortedSeen}, committed unseen ${txn.finalCommittedUnseen}`],
    ['txn other', String(txn.unexpected)],
  ];
}

/** The result for machines: all of it, per-restart and per-damage lists included. */
export function formatJson(result: CrashTestResult): string {
  return JSON.stringify(result, null, 2);
}
