/**
 * The shared-memory protocol between threads, one descriptor module per layout: the control
 * block (actor heartbeats and partition watermarks), a producer session's control words, the
 * topic directory, and the produce/ack frames that cross the rings. Every layer that reads or
 * writes these words (actors, supervisor, clients) imports them from here, below all of them.
 */
export * from './control-block.js';
export * from './frames.js';
export * from './metrics-block.js';
export * from './session-layout.js';
export * from './topic-directory.js';
