/**
 * Partition actors: the worker entry that owns a set of partitions and appends what producers
 * put in their rings, and the closed, typed control protocol the supervisor speaks to it.
 */
export * from './protocol.js';
export * from './rpc.js';
export * from './control-inbox.js';
