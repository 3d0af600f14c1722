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
 *     (agentId, sequence) is stored at most once, checked in the same transaction. {@link #ingestAll} is the
 *     same for several batches together: all of them, or none.</li>
 * <li>A merged record (span S > 1) is stored like a second at its first second: every rollup and every total that
 *     contains that second's bucket contains all of it. {@link #mergedRecords} says where they are.</li>
 * <li>Clock steps are stored with their batch (once per agent and step); seconds are stored where they are
 *     stamped, plausible or not.</li>
 * <li>Times are epoch seconds; ranges are half-open {@code [from, to)}; buckets are aligned to UTC multiples of
 *     the step (a day bucket starts at 00:00 UTC).</li>
 * <li>Sums are exact whatever the step: rollups are maintained as data arrives, and a range that does not align
 *     with a coarse resolution is answered from finer rows at its edges.</li>
 * <li>Seconds arriving twice in different batches (the same interface-second sealed twice by the agent) add up.</li>
 * <li>Context is stored exactly: a second's serving network (a filter and a grouping of interface totals), its
 *     uncaptured counters (summed like the others, outside them: {@link GroupUsage#uncaptured()}), and each flow's
 *     device, service and approximate flag (flow filters and groupings). A device is named by the address and
 *     hostname of the newest second that named them.</li>
 * </ul>
 * Thread-safe.
 */
public interface UsageStore extends AutoCloseable {

    /**
     * Null while the store can take batches, else why not, in a few words: the service manager's watchdog stops
     * being fed, and restarts the collector. Cheap and never blocking: asked every few seconds from another thread.
     */
    default String livenessProblem() {
        return null;
    }

    /** Stores a batch unless its (agentId, sequence) is already stored. */
    IngestOutcome ingest(Batch batch) throws StoreException;

    /**
     * Stores batches in one transaction, each unless its (agentId, sequence) is already stored (also earlier in the
     * same list). Durable on return; on failure none of them is stored. Outcomes in the order of {@code batches}.
     */
    List<IngestOutcome> ingestAll(List<Batch> batches) throws StoreException;

    /** One point per (bucket, group) that has usage, ordered by bucket then group. */
    List<UsagePoint> usage(UsageQuery query) throws StoreException;

    /** One total per group over the whole range, ordered by group. */
    List<GroupUsage> totals(UsageQuery query) throws StoreException;

    /** The {@code limit} groups with most wire bytes (up + down + unknown) over the range, largest first. */
    List<GroupUsage> top(UsageQuery query, int limit) throws StoreException;

    /**
     * Clock steps of the agents in the query's scope (its agent filter, or the agents with a series matching its
     * interface and profile filters; every agent without filters) whose affected seconds overlap the range, by
     * agent then detection time; at most {@code limit}.
     */
    List<AgentClockStep> clockSteps(UsageQuery query, int limit) throws StoreException;

    /**
     * Merged records of the series in scope that overlap the query's range and that an answer with buckets of
     * {@code bucketSeconds} would split: longer than a bucket, or crossing the range's start or end. By first
     * second; at most {@code limit}.
     */
    List<MergedRecord> mergedRecords(UsageQuery query, long bucketSeconds, int limit) throws StoreException;

    /** Every agent that ever sent a batch, with its interfaces (and their profiles) and when each was last seen. */
    List<AgentInfo> agents() throws StoreException;

    /** Deletes rows older than their resolution's retention, as of {@code nowEpochSecond}; returns rows deleted. */
    long applyRetention(long nowEpochSecond) throws StoreException;

    @Override
    void close() throws StoreException;
}
