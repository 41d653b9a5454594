/**
 * The control endpoint of an actor worker, which may start as a warm standby: a worker the
 * supervisor spawns ahead of need, with every module loaded, that waits without touching shared
 * memory until it is told which epoch of its actor it becomes (`adopt`). Promoting one saves a
 * restart the thread start and module load (~0.3–0.5 s on a busy machine), most of a restart's
 * downtime before standbys. A worker started as the actor itself adopts at once.
 */
import { MambaError, toWire } from '../errors.js';
import { yieldToEventLoop, type IdleConfig } from '../ringbuffer/index.js';
import type { ControlBlock } from '../shm/index.js';
import type { ControlInbox } from './control-inbox.js';
import { PartitionActor } from './partition-actor.js';
import type { ActorCommand, ActorEndpoint, ActorReply } from './protocol.js';

export class StandbyEndpoint implements ActorEndpoint {
  private actor: PartitionActor | undefined;
  private markAdopted!: (actor: PartitionActor) => void;
  /** Resolves with the actor once this worker is the actor of an epoch. */
  readonly adopted = new Promise<PartitionActor>((resolve) => { this.markAdopted = resolve; });

  constructor(
    private readonly actorIndex: number, private readonly block: ControlBlock,
    private readonly idle: IdleConfig, private readonly inbox: ControlInbox,
  ) {}

  /** Makes this worker the actor's `epoch`; a second adoption is a supervisor bug. */
  adopt(epoch: number): void {
    if (this.actor !== undefined) {
      throw new MambaError('ILLEGAL_STATE', `actor ${this.actorIndex} was adopted already`);
    }
    this.actor = new PartitionActor(this.actorIndex, epoch, this.block, this.idle, this.inbox);
    this.markAdopted(this.actor);
  }

  /**
   * Runs the actor's drain loop once this worker is adopted; returns when the actor stopped.
   * `adopt` resolves `adopted` before its reply is posted (comlink posts it a few microtasks
   * later), so the loop starts after one event-loop turn: its first park blocks the thread,
   * and held the reply — and with it the whole restart — for the park's 100 ms (issue 15).
   */
  async runWhenAdopted(): Promise<void> {
    const actor = await this.adopted;
    await yieldToEventLoop();
    await actor.run();
  }

  async call(command: ActorCommand): Promise<ActorReply<ActorCommand['kind']>> {
    if (this.actor !== undefined && command.kind !== 'adopt') return this.actor.call(command);
    try {
      if (command.kind === 'adopt') this.adopt(command.epoch);
      else if (command.kind !== 'ping') {
        throw new MambaError('ILLEGAL_STATE',
          `a standby of actor ${this.actorIndex} takes only ping and adopt (got ${command.kind})`);
      }
      return { ok: true, value: null };
    } catch (error) {
      return { ok: false, error: toWire(error) };
    }
  }
}
