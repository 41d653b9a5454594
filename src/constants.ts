/**
 * A limit on everything (STYLE.md §6): the numbers live here so that their relationships can be
 * asserted in one place. Units are last in every name.
 *
 * Bounded by a limit below: the rings (their capacity: a full ring is back-pressure, never
 * growth), the batches a producer has in flight per partition, the batches queued per partition
 * in front of the handler pool, the bytes of one fetch, the entries of one commit, the members
 * and groups of the coordinator, and the size of an offset log read on open. Drain loops take a
 * count limit: `ringReadFrameCountMax` frames per ring drain; the offset store writes at most
 * 1024 queued commits of a group per write.
 *
 * Not bounded yet (issue 10): a producer's sealed batches waiting for in-flight room and its
 * per-actor backlog when a ring is full (producer.ts, producer-session.ts) grow for as long as
 * an actor is slow or restarting; and an offset-store group's queue holds one entry per commit
 * a caller is awaiting, bounded only by its callers.
 */
import { assert } from './assert.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** The page size that segment and index sizes are multiples of. */
export const pageSizeBytes = 4 * KiB;

// Records and batches.
/** The largest record (key + value + headers, encoded) a producer may send. */
export const recordSizeBytesMax = 1 * MiB;
/** The largest record batch, header included; a batch is never split across segments. */
export const batchSizeBytesMax = 4 * MiB;
/** The most records in one batch (Kafka's lastOffsetDelta is an int32; we are stricter). */
export const batchRecordCountMax = 65_536;
/** The most a compressed batch's records may inflate to (a bound against bombs). */
export const decompressedBatchBytesMax = 64 * MiB;

// Topics and partitions.
export const topicNameLengthMax = 249;
export const partitionsPerTopicMax = 1024;
export const partitionsPerBrokerMax = 4096;
export const topicsPerBrokerMax = 1024;
export const actorsMax = 256;

// Segments.
export const segmentSizeBytesDefault = 64 * MiB;
export const segmentSizeBytesMin = 64 * KiB;
export const segmentSizeBytesMax = 1 * GiB;
/** One offset-index entry per this many bytes of log. */
export const indexIntervalBytes = 4 * KiB;
export const segmentAgeMsDefault = 7 * 24 * 3600 * 1000;

// Rings.
export const ringCapacityBytesDefault = 4 * MiB;
export const ringCapacityBytesMin = 4 * KiB;
export const ringCapacityBytesMax = 256 * MiB;
/** The most frames one drain of a ring hands out before the drainer yields to other work. */
export const ringReadFrameCountMax = 1024;
/**
 * How a partition actor and a consumer wait when they find no work (ringbuffer/idle-strategy.ts).
 * The default strategy is 'park': on a machine with more runnable threads than cores (the
 * development machine, measured in bench/README.md) every spinning or yielding thread lost to
 * parking, in throughput and latency alike. These thresholds apply when 'backoff' or 'spin' is
 * chosen without its own: the yield window outlasts the gap between batches at 1000 batches/s.
 */
export const idleStrategyDefault = 'park';
export const actorIdleSpinUsDefault = 50;
export const actorIdleYieldUsDefault = 2_000;
export const consumerIdleSpinUsDefault = 0;
export const consumerIdleYieldUsDefault = 2_000;

// Supervision.
export const heartbeatIntervalMs = 100;
export const heartbeatDeadlineMs = 5_000;
export const restartBackoffMsMin = 10;
export const restartBackoffMsMax = 2_000;
export const restartsPerMinuteMax = 20;
/**
 * How long a new actor worker may take to load before it answers at all. Loading the modules
 * comes before any heartbeat, and on a busy 2-core machine it has taken over a second.
 */
export const actorLoadDeadlineMs = 30_000;
/**
 * How long an actor runs ready before the supervisor starts its warm standby worker: the
 * standby's module load does not compete with the recovery and catch-up of the actor it backs,
 * and a broker opened for a moment (an admin command, a test) never starts one.
 */
export const standbyDelayMs = 500;
/**
 * An actor worker's V8 young generation (three semi-spaces), unless the process was started with
 * `--max-semi-space-size`. The actor allocates little per batch (records stay in the rings and
 * segments), yet V8 grows a busy isolate's new space to 48 MiB: bounded, an actor's heap is
 * ~12.5 MiB under the peers load instead of ~18.5 (bench/README.md, "Anonymous memory").
 */
export const actorYoungGenerationSizeMbMax = 3;
/** An actor that never became ready is given up after this many deaths (not the storm guard). */
export const bootstrapFailuresMax = 3;
/** How long a given-up actor stays down before the supervisor starts it afresh. */
export const actorRetryCooldownMsDefault = 30_000;
export const checkpointIntervalMs = 1_000;
/**
 * How long an actor with nothing to do parks between looks once it has been quiet (no frames,
 * commands or flushes) for `actorQuietAfterMs`; until then, and while acks wait or an interval
 * flush is pending, it parks for `heartbeatIntervalMs` as before. An idle actor woke 10 times a
 * second for nothing (issue 15: idle CPU). Liveness does not rest on this cap: the supervisor
 * rings the doorbell of a parked actor whose heartbeat has not moved for half its deadline.
 */
export const actorIdleParkMsMax = 1_000;
export const actorQuietAfterMs = 3 * checkpointIntervalMs;
/**
 * How long `Supervisor.writeTxnMarker` waits for a partition's actor (through restarts) before
 * it fails with a retriable TIMEOUT; the coordinator re-sends (a duplicate marker is harmless).
 */
export const txnMarkerTimeoutMs = 30_000;
/** Keys the log cleaner's map holds in one round (about 100 bytes each), and how often the
 * supervisor looks for compacted partitions whose dirty ratio calls for a round. */
export const cleanerKeysMax = 2_000_000;
export const cleanerCheckIntervalMs = 5_000;

// Producers.
export const lingerMsDefault = 0;
export const batchBytesDefault = 256 * KiB;
export const inFlightBatchesPerPartitionMax = 64;
export const requestTimeoutMsDefault = 30_000;
/**
 * Bytes of records one producer may hold between `send` and their settlement (open batches,
 * batches waiting for a ring, batches waiting for their ack); past it `send` waits for room.
 */
export const producerBufferedBytesDefault = 64 * MiB;
export const producerBufferedBytesMin = 1 * KiB;
export const producerBufferedBytesMax = 16 * GiB;

// Consumer groups.
export const groupIdLengthMax = 249;
export const groupMembersMax = 1024;
export const groupsPerBrokerMax = 4096;
export const sessionTimeoutMsDefault = 10_000;
export const sessionTimeoutMsMin = 100;
export const sessionTimeoutMsMax = 300_000;
/** How long a member may take to give up revoked partitions before it is expelled. */
export const rebalanceTimeoutMsDefault = 30_000;
export const heartbeatIntervalMsDefault = 1_000;
/**
 * Kafka's classic group protocol (JoinGroup/SyncGroup, coordinator/classic-group.ts): a group
 * that forms from empty waits this long for more members before its first generation
 * (Kafka's group.initial.rebalance.delay.ms, 3 s there), so that members started together get
 * one rebalance, not one each.
 */
export const classicInitialRebalanceDelayMs = 1_000;
/**
 * The longest a join phase waits for members to rejoin, whatever rebalance timeout they asked
 * for (librdkafka asks for 300 s): parked JoinGroup requests must be answered within kafkajs's
 * 30 s request timeout.
 */
export const classicJoinPhaseMsMax = 25_000;
/** The most (topic, partition) entries one commit may carry. */
export const commitEntryCountMax = partitionsPerBrokerMax;
/** The most bytes of metadata a commit may store per partition (Kafka's
 * `offset.metadata.max.bytes` default). */
export const offsetMetadataBytesMax = 4096;
/** An offset log is rewritten as a snapshot once it passes this size (and twice its snapshot). */
export const offsetLogCompactBytes = 1 * MiB;
/** The largest offset log accepted on open; a larger file is refused, not read into memory. */
export const offsetLogSizeBytesMax = 64 * MiB;

// Handler pool.
export const handlerConcurrencyDefault = 4;
export const handlerConcurrencyMax = 256;
export const handlerAttemptsDefault = 3;
export const handlerAttemptsMax = 100;
export const handlerRetryBackoffMsMin = 10;
export const handlerRetryBackoffMsMax = 2_000;
/** The most bytes of keys, values and headers packed into one task sent to the pool. */
export const handlerTaskBytesMax = 8 * MiB;
/** Batches of one partition waiting behind the one in flight before `process` pushes back. */
export const handlerQueuedBatchesPerPartitionMax = 16;

assert(segmentSizeBytesDefault % pageSizeBytes === 0, 'segment size is a multiple of pages');
assert(segmentSizeBytesMin % pageSizeBytes === 0, 'segment size min is a multiple of pages');
// A topic with small segments accepts batches up to its segment size only (checked per topic).
assert(batchSizeBytesMax <= segmentSizeBytesDefault, 'a max batch fits a default segment');
assert(recordSizeBytesMax < batchSizeBytesMax, 'a max record fits a max batch');
assert(batchSizeBytesMax <= ringCapacityBytesDefault, 'a max batch fits a default ring');
assert(restartBackoffMsMin < restartBackoffMsMax, 'backoff min below max');

// Ring claims (appended with the ring buffers).
/** How long an uncommitted claim may block a many-producer ring before it becomes padding. */
export const ringAbandonedClaimTimeoutMsDefault = 5_000;
assert(handlerRetryBackoffMsMin < handlerRetryBackoffMsMax, 'handler backoff min below max');
assert(heartbeatIntervalMsDefault < sessionTimeoutMsDefault, 'heartbeats fit a session');

// Producer batches travel as one ring frame each, and a frame may fill at most half its ring.
/** The largest `batchBytes` a producer may ask for: a batch grows past it by one record at most. */
export const producerBatchBytesMax = 512 * KiB;
assert(producerBatchBytesMax + recordSizeBytesMax + 64 <= ringCapacityBytesDefault / 2 - 8,
  'a producer batch always fits one frame of a default ring');

// Consumers (appended with the read path).
/** Bytes of whole batches one fetch hands out per partition (at least one batch, always). */
export const consumerMaxBatchBytesDefault = 1 * MiB;
export const consumerMaxBatchBytesMax = 256 * MiB;
/**
 * Records of one partition handed out at once (Kafka's `max.poll.records`, 500). It bounds
 * what a consumer has delivered and not yet committed, so what a crash of its process makes the
 * group deliver again (issue 10, gap 6: a 1 MiB chunk per partition is ~12k small records).
 */
export const consumerMaxBatchRecordsDefault = 500;
export const consumerMaxBatchRecordsMax = 1_000_000;
/** The longest a waiting consumer sleeps before it looks again, even without a notify. */
export const consumerMaxWaitMsDefault = 1_000;
export const consumerMaxWaitMsMax = 60_000;
/**
 * A background (auto) commit that failed is tried again after this delay, doubling up to the
 * max: after the last records of a partition no new record comes to trigger another commit,
 * and the group's committed offsets must still reach what was processed.
 */
export const autoCommitRetryDelayMsMin = 100;
export const autoCommitRetryDelayMsMax = 5_000;
/** The most partitions whose batches `run({ eachMessage })` processes at once. */
export const partitionsConsumedConcurrentlyMax = partitionsPerBrokerMax;
/** Bytes a timestamp seek asks of the log per read while it scans batch headers. */
export const timestampScanBytes = 16 * MiB;
assert(consumerMaxBatchBytesDefault <= consumerMaxBatchBytesMax, 'fetch default within max');

// Delivery features: retries, dead letters, filters, routing (issue 13).
/** The most retries a `retry` option may ask for (consumer handlers and producer sends). */
export const retriesMax = 1_000;
/** The longest single retry delay, and the longest retry-topic delay: one day. */
export const retryDelayMsMax = 24 * 3600_000;
/** The most retry topics (`<topic>.retry.<n>`) one consumer may use. */
export const retryTopicCountMax = 10;
/** The most routing rules of one producer (each send checks them in order). */
export const routingRulesMax = 1_000;
/** The longest filter expression accepted, in characters. */
export const filterExpressionLengthMax = 4_096;
/** Records a dead-letter replay (`mamba dlq replay`, `replayDeadLetters`) reads in one call. */
export const deadLetterReplayRecordsMax = 10_000_000;
// Security on the Kafka door (issue 12 §3).
/** Users in a data directory's credential file, and ACL entries in its ACL file. */
export const securityUsersMax = 10_000;
export const securityAclsMax = 100_000;
/** Addresses whose failed logins are remembered (oldest forgotten first), so memory is bounded. */
export const authFailureAddressesMax = 10_000;
/** The delay before a failed login is answered doubles per failure from one address, to here. */
export const authFailureDelayMsMin = 100;
export const authFailureDelayMsMax = 5_000;
/** An address with no failed login for this long starts again from the smallest delay. */
export const authFailureMemoryMs = 10 * 60_000;
/** A SASL token larger than this closes the connection (SCRAM and PLAIN tokens are tiny). */
export const saslTokenBytesMax = 64 * KiB;
assert(authFailureDelayMsMin <= authFailureDelayMsMax, 'auth failure delay min below max');
// Delayed delivery (issue 13; src/delay/).
/** The internal topic that holds parked delayed messages (record timestamp = due time). */
export const delayedTopicName = '__mamba_delayed';
/** Topic names with this prefix are the broker's own: hidden from listings, not creatable. */
export const internalTopicPrefix = '__mamba';
/** The door closes a connection idle this long (Kafka's `connections.max.idle.ms`). */
export const connectionsMaxIdleMsDefault = 600_000;
/** The longest delay `setTimeout` keeps: it runs a longer one after 1 ms (with a warning). */
export const timerDelayMsMax = 2 ** 31 - 1;
/** The longest delay a message may ask for (`delayMs`, or `deliverAt` minus now): 30 days. */
export const delayMsMax = 30 * 24 * 3600 * 1000;
/**
 * Segments of the delayed topic: small, so that a fresh broker zero-fills little, but large
 * enough for the largest batch a producer may send (a delayed sendBatch is one batch).
 */
export const delayedSegmentSizeBytes = batchSizeBytesMax;
/**
 * Parked messages stay at least this long past their due time before retention may drop
 * them; a broker down longer than this can lose delayed messages it never delivered.
 */
export const delayedRetentionMs = delayMsMax + 7 * 24 * 3600 * 1000;
/** How often the delay service writes its checkpoint of what it has delivered. */
export const delayedCheckpointIntervalMs = 1_000;
/** Parked messages the delay service has handed to its producer and not seen acknowledged. */
export const delayedInFlightCountMax = 16_384;
/** Records the delay service reads from the delayed log per scan step, before it yields. */
export const delayedScanRecordCountMax = 65_536;
/** The timing wheel: buckets per level and levels; level 0 ticks once a millisecond. */
export const timingWheelBucketCount = 256;
export const timingWheelLevelCount = 4;
assert(timingWheelBucketCount ** timingWheelLevelCount > delayMsMax,
  'the timing wheel spans the longest delay');
// Transactions (issue 16; src/transactions/, client/transaction.ts).
/** The coordinator's durable log: an internal compacted topic keyed by transactional id. */
export const transactionLogTopicName = '__mamba_transaction_state';
/** Segments of the transaction log: small (one record per state change), compacted. */
export const transactionLogSegmentSizeBytes = 4 * MiB;
/** Kafka's `transaction.max.timeout.ms` default: the longest transaction timeout allowed. */
export const transactionTimeoutMsMax = 15 * 60 * 1000;
/** kafkajs's default `transactionTimeout`. */
export const transactionTimeoutMsDefault = 60_000;
export const transactionalIdLengthMax = 255;
/** Partitions and groups one transaction may touch: its record in the log stays bounded. */
export const transactionPartitionCountMax = 10_000;
/**
 * Transactional producer ids are allocated from here up, in durable blocks: random ids of
 * plain idempotent producers are below 2^47, so the two can never collide.
 */
export const transactionalProducerIdBase = 2 ** 47;
export const producerIdBlockSize = 1_000;
/** Kafka's epochs are int16; at this epoch a producer id is replaced by a fresh one. */
export const producerEpochMax = 0x7ffe;
/** Backoff between attempts to write a marker to a partition that refused it (actor down). */
export const markerRetryDelayMsMin = 50;
export const markerRetryDelayMsMax = 1_000;
