package org.esimmeter.collector.store;

import java.util.List;
import org.esimmeter.wire.Batch;

/**
 * Where usage lives: SQLite embedded by default, another engine (ClickHouse for fleets) later. Every
 * implementation passes the same contract tests ({@code UsageStoreContract}).
 * <p>
 * Semantics every implementation keeps:
 * <ul>
 * <li>{@link #ingest} is atomic and durable on return: either the whole batch is stored, or nothing. The same
 *     (agentId, sequence) is stored at most once, checked in the same transaction.</li>
 * <li>Times are epoch seconds; ranges are half-open {@code [from, to)}; buckets are aligned to UTC multiples of
 *     the step (a day bucket starts at 00:00 UTC).</li>
 * <li>Sums are exact whatever the step: rollups are maintained as data arrives, and a range that does not align
 *     with a coarse resolution is answered from finer rows at its edges.</li>
 * <li>Seconds arriving twice in different batches (the same interface-second sealed twice by the agent) add up.</li>
 * </ul>
 * Thread-safe.
 */
public interface UsageStore extends AutoCloseable {

    /** Stores a batch unless its (agentId, sequence) is already stored. */
    IngestOutcome ingest(Batch batch) throws StoreException;

    /** One point per (bucket, group) that has usage, ordered by bucket then group. */
    List<UsagePoint> usage(UsageQuery query) throws StoreException;

    /** One total per group over the whole range, ordered by group. */
    List<GroupUsage> totals(UsageQuery query) throws StoreException;

    /** The {@code limit} groups with most wire bytes (up + down + unknown) over the range, largest first. */
    List<GroupUsage> top(UsageQuery query, int limit) throws StoreException;

    /** Every agent that ever sent a batch, with its interfaces (and their profiles) and when each was last seen. */
    List<AgentInfo> agents() throws StoreException;

    /** Deletes rows older than their resolution's retention, as of {@code nowEpochSecond}; returns rows deleted. */
    long applyRetention(long nowEpochSecond) throws StoreException;

    @Override
    void close() throws StoreException;
}
