/**
 * The harness's side of one broker process (broker-child.ts): forks it, passes its messages
 * to the harness's handlers, and ends it either cleanly (`stop`) or the way a crash does
 * (`kill`: SIGKILL, nothing flushed, no exit handler run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertNever } from '../../assert.js';
import { workerUrl } from '../../worker-url.js';
import type {
  AckReport, ChildConfig, ChildToParent, ConsumedReport, ConsumerStopReport, ParentToChild,
  RestartReport,
} from './messages.js';
import type { ActorKillMode } from './options.js';
import type { ForwardStepPoint } from '../../client/index.js';
import type { TxnCounters, TxnStepPoint } from './txn-load.js';

export interface BrokerProcessHandlers {
  acks(report: AckReport, durableOffsets: number[]): void;
  durable(durableOffsets: number[]): void;
  restart(report: RestartReport): void;
  consumed(report: ConsumedReport): void;
  delayedAcks(ids: number[], dueMs: number[]): void;
  deadLetterRestart(message: string): void;
  deadLetterDrained(drainMs: number): void;
  txnInputAcks(message: Extract<ChildToParent, { kind: 'txn-input-acks' }>): void;
  txnReport(seen: Float64Array, counters: TxnCounters): void;
  txnDrained(drainMs: number): void;
  /** Something that must not happen: an actor given up, a producer or the process failing. */
  failure(message: string): void;
}

export interface BrokerStopped {
  highWatermarks: number[];
  consumers: ConsumerStopReport;
}

const outputLinesKept = 40;

export class BrokerProcess {
  private readonly outputLines: string[] = [];
  private readonly exited: Promise<void>;
  private crashWaiter: ((actorIndex: number) => void) | undefined;
  private stopWaiter: ((stopped: BrokerStopped) => void) | undefined;
  private expectingExit = false;
  private isAlive = true;
  openMs = 0;
  /** Read when the broker opened, before anything ran: see `ChildToParent` 'ready'. */
  openHighWatermarks: number[] = [];
  openCommittedOffsets: number[] = [];

  private constructor(private readonly child: ChildProcess,
    private readonly handlers: BrokerProcessHandlers) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.keepOutput(chunk));
    }
    // Both events: every message the process sent before it died is handled before `exited`.
    const disconnected = new Promise<void>((resolve) => child.once('disconnect', resolve));
    const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
      if (!this.expectingExit) {
        handlers.failure(`broker process exited on its own (${signal ?? code})\n` +
          this.outputLines.join('\n'));
      }
      resolve();
    }));
    this.exited = Promise.all([disconnected, exit]).then(() => { this.isAlive = false; });
  }

  /** Forks a broker process and resolves once its broker is open and producing. */
  static start(config: ChildConfig, handlers: BrokerProcessHandlers): Promise<BrokerProcess> {
    const entry = fileURLToPath(workerUrl('./broker-child.js', import.meta.url));
    const child = fork(entry, [JSON.stringify(config)], {
      serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const host = new BrokerProcess(child, handlers);
    return new Promise((resolve, reject) => {
      child.once('exit', (code, signal) => {
        if (host.openMs === 0) {
          reject(new Error(`broker process exited before it was ready (${signal ?? code})\n` +
            host.outputLines.join('\n')));
        }
      });
      child.on('message', (message: ChildToParent) => {
        if (message.kind === 'ready') {
          host.openMs = message.openMs;
          host.openHighWatermarks = message.highWatermarks;
          host.openCommittedOffsets = message.committedOffsets;
          resolve(host);
        } else if (message.kind === 'fatal' && host.openMs === 0) {
          host.expectingExit = true;
          reject(new Error(`${message.message}\n${host.outputLines.join('\n')}`));
        } else {
          host.onMessage(message);
        }
      });
    });
  }

  /** False once the process has exited, however. */
  get alive(): boolean {
    return this.isAlive;
  }

  /**
   * Kills one actor of the broker; resolves with its index, or -1 when none could be killed
   * (or the process died meanwhile).
   */
  crashActor(mode: ActorKillMode, pick: number): Promise<number> {
    const crashed = new Promise<number>((resolve) => {
      this.crashWaiter = resolve;
      this.post({ kind: 'crash', mode, pick });
    });
    return Promise.race([crashed, this.exited.then(() => -1)]);
  }

  /** SIGKILL: the process dies at once, its page cache writes stay, nothing else runs. */
  async kill(): Promise<void> {
    this.expectingExit = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /**
   * `--dead-letters`: the process SIGKILLs itself at `point` of its next dead-letter step; if
   * no step reaches it within `waitMs`, a plain SIGKILL. Resolves true when it died in the step.
   */
  async killInDeadLetterStep(point: ForwardStepPoint, waitMs: number): Promise<boolean> {
    return this.killInStep({ kind: 'kill-in-dead-letter-step', point }, waitMs);
  }

  /**
   * `--transactions`: the process SIGKILLs itself at `point` of its next transaction; if none
   * reaches it within `waitMs`, a plain SIGKILL. Resolves true when it died in the step.
   */
  async killInTxnStep(point: TxnStepPoint, waitMs: number): Promise<boolean> {
    return this.killInStep({ kind: 'kill-in-txn-step', point }, waitMs);
  }

  private async killInStep(message: ParentToChild, waitMs: number): Promise<boolean> {
    this.expectingExit = true;
    this.post(message);
    let timer: NodeJS.Timeout | undefined;
    const inStep = await Promise.race([this.exited.then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), waitMs); })]);
    clearTimeout(timer);
    if (!inStep) await this.kill();
    return inStep;
  }

  /**
   * Stops the producers, drains and closes the consumers, closes the broker cleanly; resolves
   * with the high-watermarks and the consumers' drain (undefined if the process died first).
   */
  async stop(): Promise<BrokerStopped | undefined> {
    if (!this.isAlive) return undefined;
    const stopped = new Promise<BrokerStopped>((resolve) => { this.stopWaiter = resolve; });
    this.post({ kind: 'stop' });
    const result = await Promise.race([stopped, this.exited.then(() => undefined)]);
    this.expectingExit = true;
    await this.exited;
    return result;
  }

  private post(message: ParentToChild): void {
    if (this.child.connected) this.child.send(message);
  }

  private onMessage(message: ChildToParent): void {
    switch (message.kind) {
      case 'acks': this.handlers.acks(message.report, message.durableOffsets); break;
      case 'durable': this.handlers.durable(message.durableOffsets); break;
      case 'restart': this.handlers.restart(message); break;
      case 'consumed': this.handlers.consumed(message); break;
      case 'delayed-acks': this.handlers.delayedAcks(message.ids, message.dueMs); break;
      case 'dead-letter-restart': this.handlers.deadLetterRestart(message.message); break;
      case 'dead-letter-drained': this.handlers.deadLetterDrained(message.drainMs); break;
      case 'txn-input-acks': this.handlers.txnInputAcks(message); break;
      case 'txn-report': this.handlers.txnReport(message.seen, message.counters); break;
      case 'txn-drained': this.handlers.txnDrained(message.drainMs); break;
      case 'crashed': this.crashWaiter?.(message.actorIndex); break;
      case 'actor-failed':
        this.handlers.failure(`actor ${message.actorIndex} given up: ${message.reason}`);
        break;
      case 'stopped':
        this.expectingExit = true;
        this.stopWaiter?.(message);
        break;
      case 'fatal': this.handlers.failure(message.message); break;
      case 'ready': break;
      default: assertNever(message, 'broker process message');
    }
  }

  private keepOutput(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line.length === 0) continue;
      this.outputLines.push(line);
      if (this.outputLines.length > outputLinesKept) this.outputLines.shift();
    }
  }
}
