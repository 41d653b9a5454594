/** The ring buffers of Mamba's data plane: what other subsystems may use. */
export { SpscRing } from './spsc-ring.js';
export { waitForChange } from './wait-for-change.js';
export { MpscRing } from './mpsc-ring.js';
export { Claim } from './claim.js';
export { FULL, CLOSED, RingCore, ringUsedBytes } from './ring-core.js';
export type {
  ClaimResult, FrameHandler, RingHandle, RingOptions, WaitOutcome,
} from './ring-core.js';
export {
  paddingFrameType, frameTypeMax, frameHeaderBytes, payloadBytesMax,
} from './ring-layout.js';
export {
  IdleStrategy, IDLE_STRATEGY_NAMES, resolveIdle, spinUntil, yieldToEventLoop,
} from './idle-strategy.js';
export type { IdleConfig, IdleOption, IdlePhase, IdleStrategyName } from './idle-strategy.js';
