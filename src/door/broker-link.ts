/**
 * The door worker's side of its calls on the broker (door-protocol.ts): each call is posted to
 * the main thread with an id and resolved by the matching reply.
 */
import type { MessagePort } from 'node:worker_threads';
import { fromWire } from '../errors.js';
import type { BrokerCall, BrokerCallResults, DoorCommand, DoorEvent } from './door-protocol.js';

export class BrokerLink {
  private nextId = 1;
  private readonly waiting = new Map<number, {
    resolve(value: unknown): void; reject(error: Error): void;
  }>();

  constructor(private readonly port: MessagePort) {}

  /** Feeds a reply from the main thread; false if the command was not a reply. */
  receive(command: DoorCommand): boolean {
    if (command.kind !== 'reply') return false;
    const entry = this.waiting.get(command.id);
    if (entry === undefined) return true;
    this.waiting.delete(command.id);
    if (command.ok) entry.resolve(command.value);
    else entry.reject(fromWire(command.error));
    return true;
  }

  call<K extends BrokerCall['kind']>(call: Extract<BrokerCall, { kind: K }>):
    Promise<BrokerCallResults[K]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ kind: 'call', id, call } satisfies DoorEvent);
    });
  }
}
