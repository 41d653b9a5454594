/**
 * What a program uses to produce and consume: producers and their sessions over the rings,
 * consumers (iterator, callbacks, handler pools) and the member side of consumer groups.
 */
export * from './consumer.js';
export * from './consumer-handle.js';
export * from './consumer-message.js';
export * from './consumer-options.js';
export * from './producer.js';
export * from './producer-session.js';
export * from './groups/index.js';
export * from './handler-task.js';
export type { OffsetReset } from './consumer-fetcher.js';
export { partitionDirectory } from './consumer-fetcher.js';
export * from './delayed-message.js';
