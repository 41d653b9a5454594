// The checker of `mamba crash-test --transactions` on logs written to fail it: a transaction
// committed on one partition and aborted on the other (partial, and an output missing), an
// input's outputs committed by two transactions (duplicated), an acknowledged input not
// stored (lost), and an aborted record the live reader reports it was handed. Real actors
// write the batches and markers; the checker reads the closed data directory.
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { checkTransactions } from '../../src/cli/crash/txn-check.js';
import { TXN_PARTITIONS, txnTopics } from '../../src/cli/crash/txn-load.js';
import { encodeOutputValue, type OutputIdentity } from '../../src/cli/crash/txn-value.js';
import { encodeValue } from '../../src/cli/crash/record-value.js';
import { SequenceTable } from '../../src/cli/crash/sequence-table.js';
import { TxnSender } from '../transactions/helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

const runId = 77;
const inputProducer = 7;

function output(sequence: number, outputIndex: number, txnNumber: number):
  { key: string; value: string } {
  const id: OutputIdentity = {
    inputPartition: 0, outputIndex, inputOffset: sequence, inputProducerId: inputProducer,
    inputSequence: sequence, incarnation: 0, worker: 0, txnNumber, txnRecords: 2,
  };
  // TxnSender takes strings; Buffer.from copies a Uint8Array's bytes just the same.
  return { key: `out-${sequence}`, value: encodeOutputValue(runId, id) as unknown as string };
}

describe('the transaction checker', () => {
  it('counts partial transactions, duplicated and missing outputs, aborted records seen',
    async () => {
      const dataDir = tempDir();
      const topics = txnTopics('check');
      const broker = await Broker.open({ dataDir, actors: 1 });
      for (const topic of [topics.input, ...topics.outputs]) {
        await broker.createTopic(topic, { partitions: TXN_PARTITIONS });
      }
      const producer = broker.producer({ acks: 'all' });
      await producer.sendBatch(topics.input, [0, 1].map((sequence) => ({ partition: 0,
        value: encodeValue(runId, { producerId: inputProducer, sequence, topicIndex: 0,
          partition: 0 }, 32) })));
      // Transaction 0 (input 0): committed on out-0/0, aborted on out-1/1.
      const a = new TxnSender(broker, 100);
      await a.send(topics.outputs[0], 0, [output(0, 0, 0)]);
      await a.send(topics.outputs[1], 1, [output(0, 1, 0)]);
      await a.marker(topics.outputs[0], 0, true);
      await a.marker(topics.outputs[1], 1, false);
      // Transactions 1 and 2 both write input 1's outputs, and both commit.
      const b = new TxnSender(broker, 101);
      for (const txnNumber of [1, 2]) {
        await b.send(topics.outputs[0], 2, [output(1, 0, txnNumber)]);
        await b.send(topics.outputs[1], 3, [output(1, 1, txnNumber)]);
        await b.marker(topics.outputs[0], 2, true);
        await b.marker(topics.outputs[1], 3, true);
      }
      await broker.close();

      const acks = new SequenceTable();
      for (const sequence of [0, 1, 2]) acks.record(sequence, 0, sequence);
      const check = await checkTransactions(dataDir, topics, runId, {
        inputAcks: new Map([[inputProducer, acks]]),
        // The live reader says it was handed out-1/1 offset 0: the aborted record.
        liveSeen: [Float64Array.of(1 * TXN_PARTITIONS + 1, 0)],
        counters: { committed: 3, failed: 0, restarts: 0 },
      });
      expect(check, check.examples.join('\n')).toMatchObject({
        partial: 1, duplicated: 2, missing: 1, misplaced: 0, orphan: 0, openAtEnd: 0,
        liveAbortedSeen: 1, finalAbortedSeen: 0, finalCommittedUnseen: 0, inputLost: 1,
        inputDuplicated: 0, unexpected: 0, committedTransactions: 2, abortedRecords: 1,
        committedRecords: 5, finalSeen: 5, violationCount: 6,
      });
    });
});
