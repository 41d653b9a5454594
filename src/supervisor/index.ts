/**
 * The supervisor on the broker's main thread: spawns partition actors, watches their heartbeats,
 * restarts them with backoff and a storm guard; and the data directory's lock and topic manifest.
 */
export * from './data-dir-lock.js';
export * from './manifest.js';
export * from './restart-policy.js';
export * from './supervisor.js';
export * from './session-factory.js';
export * from './topic-registry.js';
export * from './log-cleaner.js';
