/**
 * Delayed delivery, the broker side (issue 13): the delay service that follows the parked
 * messages in `__mamba_delayed`, keeps them in a durable hierarchical timing wheel, and
 * produces each to its topic when it is due. The producer side is client/delayed-message.ts.
 */
export { DelayService } from './delay-service.js';
export type { DelayServiceContext, DelayStats } from './delay-service.js';
export { TimingWheel, TIMING_WHEEL_SLOT_SIZE_BYTES } from './timing-wheel.js';
export { DeliveredSet } from './delivered-set.js';
export { DELAY_CHECKPOINT_FILE_NAME } from './delay-checkpoint.js';
