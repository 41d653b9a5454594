// A process that consumes `orders` with a dead-letter topic and SIGKILLs itself at a point of
// the dead-letter step (argv[3]: 'marked', 'appended' or 'none'). Values starting with 'bad'
// always fail. Exits 0 once it has handled every record of the topic.
import { Broker } from '../../../dist/src/index.js';
import { setForwardStepHook } from '../../../dist/src/client/record-forwarder.js';

const [dataDir, killAt] = process.argv.slice(2);
const values = ['ok0', 'ok1', 'ok2', 'bad3', 'ok4', 'ok5', 'ok6', 'bad7', 'ok8', 'ok9'];
const broker = await Broker.open({ dataDir, actors: 1 });
if (!broker.listTopics().includes('orders')) {
  await broker.createTopic('orders', { partitions: 1 });
  const producer = broker.producer({ acks: 'all' });
  await producer.sendBatch('orders', values.map((value) => ({ value })));
  await producer.close();
}
setForwardStepHook((point, source) => {
  if (point !== killAt) return;
  process.stdout.write(`killed at ${point} of offset ${source.offset}\n`);
  process.kill(process.pid, 'SIGKILL');
});
const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
await consumer.subscribe('orders');
await consumer.run({
  retry: { retries: 1, initialRetryTimeMs: 1 },
  deadLetter: { topic: 'orders.DLQ' },
  eachMessage: (m) => {
    if (m.value.toString().startsWith('bad')) throw new Error(`cannot handle ${m.offset}`);
    if (m.offset === values.length - 1) void consumer.close();
  },
});
await consumer.close();
await broker.close();
