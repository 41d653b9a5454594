import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { closestName, editDistance } from '../../src/option-names.js';
import { resolveCrashTestOptions } from '../../src/cli/crash/options.js';
import { tempDir } from '../helpers/temp-dir.js';

/** `CODE: message`, the way the CLI and a log line show an error. */
function shown(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (!(error instanceof MambaError)) throw error;
    return `${error.code}: ${error.message}`;
  }
  throw new Error('expected an error');
}

async function shownAsync(run: () => Promise<unknown>): Promise<string> {
  const error: unknown = await run().then(() => undefined, (e: unknown) => e);
  if (!(error instanceof MambaError)) throw new Error(`expected a MambaError, got ${error}`);
  return `${error.code}: ${error.message}`;
}

describe('closest option name', () => {
  it('measures typos, swaps and case as small distances', () => {
    expect(editDistance('groupID', 'groupId')).toBe(0);
    expect(editDistance('actros', 'actors')).toBe(1);
    expect(editDistance('ack', 'acks')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the nearest valid name, a kafkajs name\'s Mamba name, or nothing', () => {
    expect(closestName('groupID', ['groupId', 'fromBeginning'])).toBe('groupId');
    expect(closestName('numPartitions', ['partitions', 'segmentBytes'])).toBe('partitions');
    expect(closestName('sessionTimeout', ['sessionTimeoutMs', 'groupId'])).toBe('sessionTimeoutMs');
    expect(closestName('zzzzzz', ['partitions', 'segmentBytes'])).toBeUndefined();
  });
});

describe('unknown options are rejected with INVALID_CONFIG', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('t');
  });
  afterAll(async () => {
    await broker.close();
  });

  it('Broker.open, before touching the data directory', async () => {
    await expect(shownAsync(() => Broker.open({ dataDir: tempDir(), actros: 5 } as never)))
      .resolves.toBe('INVALID_CONFIG: unknown option actros (did you mean actors?)');
    await expect(shownAsync(() => Broker.open(
      { dataDir: tempDir(), restart: { maxPerMinut: 3 } } as never)))
      .resolves.toBe('INVALID_CONFIG: unknown option restart.maxPerMinut ' +
        '(did you mean restart.maxPerMinute?)');
  });

  it('createTopic, with the kafkajs name numPartitions', async () => {
    await expect(shownAsync(() => broker.createTopic('b', { numPartitions: 8 } as never)))
      .resolves.toBe('INVALID_CONFIG: unknown option numPartitions (did you mean partitions?)');
    expect(broker.listTopics()).not.toContain('b');
    await expect(shownAsync(() => broker.createTopic('b', { flush: { interval: 5 } } as never)))
      .resolves.toMatch(/unknown option flush\.interval \(did you mean flush\.intervalMs\?\)/);
  });

  it('producer and producerHandle', () => {
    expect(shown(() => broker.producer({ ack: 0 } as never)))
      .toBe('INVALID_CONFIG: unknown option ack (did you mean acks?)');
    expect(shown(() => broker.producerHandle({ lingerMS: 5 } as never)))
      .toBe('INVALID_CONFIG: unknown option lingerMS (did you mean lingerMs?)');
    expect(shown(() => broker.producerHandle({ acks: 2 } as never)))
      .toMatch(/^INVALID_CONFIG: options\.acks must be/);
  });

  it('consumer, consumerHandle and run', async () => {
    expect(shown(() => broker.consumer({ groupID: 'g' } as never)))
      .toBe('INVALID_CONFIG: unknown option groupID (did you mean groupId?)');
    expect(shown(() => broker.consumerHandle({ fromBegining: true } as never)))
      .toBe('INVALID_CONFIG: unknown option fromBegining (did you mean fromBeginning?)');
    expect(shown(() => broker.consumer({ autoCommit: { interval: 5 } } as never)))
      .toMatch(/unknown option autoCommit\.interval \(did you mean autoCommit\.intervalMs\?\)/);
    const consumer = broker.consumer();
    await consumer.subscribe('t');
    await expect(shownAsync(() => consumer.run(
      { eachMesage: () => undefined } as never)))
      .resolves.toBe('INVALID_CONFIG: unknown option eachMesage (did you mean eachMessage?)');
    await consumer.close();
  });

  it('lists the valid names when none is close', () => {
    expect(shown(() => broker.producer({ zzzzzzzz: 1 } as never))).toBe(
      'INVALID_CONFIG: unknown option zzzzzzzz (valid options: acks, idempotent, lingerMs, ' +
      'batchBytes, partitioner, requestTimeoutMs, maxBufferedBytes, compression, retry, ' +
      'routing, transactionalId, transactionTimeoutMs)');
  });

  it('says why a kafkajs option has no Mamba counterpart', async () => {
    await expect(shownAsync(() => broker.createTopic('r', { replicationFactor: 3 } as never)))
      .resolves.toBe('INVALID_CONFIG: unknown option replicationFactor (a kafkajs option ' +
        'Mamba does not need: one broker keeps one copy of each partition)');
  });

  it('crash-test options', () => {
    expect(shown(() => resolveCrashTestOptions({ duration: 5 } as never)))
      .toBe('INVALID_CONFIG: unknown option duration (did you mean durationMs?)');
  });
});
