/** The control block's layout: every 128-byte line has one writer, as its header says. */
import { describe, expect, it } from 'vitest';
import {
  ACTOR_DOORBELL, ACTOR_EPOCH, ACTOR_HEARTBEAT, ACTOR_PROGRESS, ACTOR_SLEEPING,
  ACTOR_SLOT_SIZE_BYTES, ACTOR_STATE, CONTROL_BLOCK_SIZE_BYTES, ControlBlock, LINE_SIZE_BYTES,
  PARTITIONS_REGION_OFFSET, PARTITION_SLOT_SIZE_BYTES,
} from '../src/shm/control-block.js';
import { METRICS_REGION_OFFSET } from '../src/shm/control-block.js';
import {
  DOOR_ERRORS, HISTOGRAMS_REGION_OFFSET, METRIC_APPENDED_BYTES, METRIC_APPENDED_RECORDS,
  METRIC_CONSUMED_BYTES, METRIC_CONSUMED_RECORDS, METRIC_GAUGE_SEQUENCE, METRIC_SEGMENT_COUNT,
  METRIC_SIZE_BYTES_HIGH, METRIC_SIZE_BYTES_LOW, METRICS_REGION_SIZE_BYTES,
  PARTITION_METRIC_SLOT_SIZE_BYTES,
} from '../src/shm/metrics-block.js';
import { actorsMax, partitionsPerBrokerMax } from '../src/constants.js';

const line = (byteOffset: number) => Math.floor(byteOffset / LINE_SIZE_BYTES);

describe('control block layout', () => {
  it('puts the actor, supervisor and producer words of an actor slot on separate lines', () => {
    const byWriter = {
      actor: [ACTOR_HEARTBEAT, ACTOR_STATE, ACTOR_PROGRESS, ACTOR_SLEEPING],
      supervisor: [ACTOR_EPOCH],
      producers: [ACTOR_DOORBELL],
    };
    const linesOf = Object.values(byWriter).map((fields) => new Set(fields.map(line)));
    for (const lines of linesOf) expect(lines.size).toBe(1);
    const all = linesOf.map((lines) => [...lines][0]);
    expect(new Set(all).size).toBe(all.length);
    expect(ACTOR_SLOT_SIZE_BYTES % LINE_SIZE_BYTES).toBe(0);
    expect(Math.max(...all)).toBeLessThan(ACTOR_SLOT_SIZE_BYTES / LINE_SIZE_BYTES);
  });

  it('places slots on whole lines, next to each other, without overlap', () => {
    const block = ControlBlock.create();
    const i32 = Int32Array.BYTES_PER_ELEMENT;
    const lastActorDoorbell = block.actorWord(actorsMax - 1, ACTOR_DOORBELL) * i32;
    expect(lastActorDoorbell).toBeLessThan(PARTITIONS_REGION_OFFSET);
    expect(block.actorWord(1, ACTOR_HEARTBEAT) * i32).toBe(ACTOR_SLOT_SIZE_BYTES);
    expect(block.actorWord(0, ACTOR_EPOCH) * i32 % LINE_SIZE_BYTES).toBe(0);
    expect(PARTITIONS_REGION_OFFSET % LINE_SIZE_BYTES).toBe(0);
    expect(METRICS_REGION_OFFSET).toBe(
      PARTITIONS_REGION_OFFSET + partitionsPerBrokerMax * PARTITION_SLOT_SIZE_BYTES);
    expect(CONTROL_BLOCK_SIZE_BYTES).toBe(METRICS_REGION_OFFSET + METRICS_REGION_SIZE_BYTES);
  });

  it('gives the metrics of a partition one line per writer: its actor, its consumers', () => {
    const actor = [METRIC_APPENDED_RECORDS, METRIC_APPENDED_BYTES, METRIC_GAUGE_SEQUENCE,
      METRIC_SEGMENT_COUNT, METRIC_SIZE_BYTES_HIGH, METRIC_SIZE_BYTES_LOW];
    const consumers = [METRIC_CONSUMED_RECORDS, METRIC_CONSUMED_BYTES];
    expect(new Set(actor.map(line))).toEqual(new Set([0]));
    expect(new Set(consumers.map(line))).toEqual(new Set([1]));
    expect(PARTITION_METRIC_SLOT_SIZE_BYTES).toBe(2 * LINE_SIZE_BYTES);
    expect(METRICS_REGION_OFFSET % LINE_SIZE_BYTES).toBe(0);
    const block = ControlBlock.create();
    // The last partition's consumer line and the first histogram do not overlap.
    const lastConsumed = block.metrics.partitionWord(partitionsPerBrokerMax - 1,
      METRIC_CONSUMED_BYTES);
    expect(lastConsumed * 4).toBeLessThan(HISTOGRAMS_REGION_OFFSET);
    expect(block.metrics.doorWord(DOOR_ERRORS, 127) * 4 + 4).toBe(METRICS_REGION_SIZE_BYTES);
  });
});

describe('waking an actor', () => {
  it('rings the doorbell of a sleeping actor only: a fed actor costs producers no notify', () => {
    const block = ControlBlock.create();
    const doorbell = () => Atomics.load(block.i32, block.actorWord(3, ACTOR_DOORBELL));
    block.ringActor(3);
    expect(doorbell()).toBe(0);
    Atomics.store(block.i32, block.actorWord(3, ACTOR_SLEEPING), 1);
    block.ringActor(3);
    expect(doorbell()).toBe(1);
  });
});
