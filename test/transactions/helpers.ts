/** The partition-side tests' traffic helpers (in fixtures/, so a child process can use them). */
export {
  TxnSender, highWatermark, lastStableOffset, slotOf,
} from './fixtures/txn-traffic.js';
