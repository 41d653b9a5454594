/**
 * Issue 16: `mamba dump` shows transactional batches and markers (control batches) as Kafka's
 * DumpLogSegments does: the transactional and control bits, and the marker's type and
 * coordinator epoch.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TxnSender } from './helpers.js';

const mamba = path.resolve('dist/src/cli/main.js');
const run = promisify(execFile);

describe('mamba dump and transactions', () => {
  it('shows the transactional bit and COMMIT / ABORT markers', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1, delayedDelivery: false });
    await broker.createTopic('t', { partitions: 1 });
    const sender = new TxnSender(broker, 77);
    await sender.send('t', 0, ['x']);
    await sender.marker('t', 0, true);
    await sender.send('t', 0, ['y']);
    await sender.marker('t', 0, false);
    await broker.close();

    const args = ['dump', '--data-dir', dataDir, '--topic', 't', '--partition', '0'];
    const json = JSON.parse((await run(process.execPath, [mamba, ...args, '--json'])).stdout) as
      { batches: Array<Record<string, unknown>> };
    expect(json.batches.map((b) => [b.baseOffset, b.transactional, b.control, b.marker]))
      .toEqual([[0, true, false, undefined], [1, true, true, 'COMMIT'],
        [2, true, false, undefined], [3, true, true, 'ABORT']]);
    expect(json.batches[1].coordinatorEpoch).toBe(0);
    const text = (await run(process.execPath, [mamba, ...args])).stdout;
    expect(text).toContain('| offset: 1 endTxnMarker: COMMIT coordinatorEpoch: 0');
    expect(text).toContain('| offset: 3 endTxnMarker: ABORT coordinatorEpoch: 0');
    expect(text).toContain('isTransactional: true isControl: false');
  });
});
