package org.esimmeter.collector.store;

/**
 * A usage question: the half-open range {@code [fromSecond, toSecond)}, the bucket width of a time series, the
 * grouping, and optional filters (null = any). Filters always narrow; grouping never changes the sums.
 */
public record UsageQuery(
    long fromSecond,
    long toSecond,
    Resolution step,
    GroupBy groupBy,
    String agent,
    String interfaceName,
    String profile) {

    public UsageQuery {
        if (toSecond <= fromSecond) {
            throw new IllegalArgumentException("to : " + toSecond + " (expected: > from " + fromSecond + ")");
        }
        if (step == null || groupBy == null) {
            throw new IllegalArgumentException("step and by are required");
        }
    }
}
