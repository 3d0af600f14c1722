package org.esimmeter.collector.store;

/**
 * A usage question: the half-open range {@code [fromSecond, toSecond)}, the bucket width of a time series, the
 * grouping, and optional filters (null = any). Filters always narrow; grouping never changes the sums.
 * {@code network} ("" for unknown) narrows series; {@code device} (a device key) and {@code service} (a domain)
 * narrow flows, so they need a flow dimension.
 */
public record UsageQuery(
    long fromSecond,
    long toSecond,
    Resolution step,
    GroupBy groupBy,
    String agent,
    String interfaceName,
    String profile,
    String network,
    String device,
    String service) {

    public UsageQuery {
        if (toSecond <= fromSecond) {
            throw new IllegalArgumentException("to : " + toSecond + " (expected: > from " + fromSecond + ")");
        }
        if (step == null || groupBy == null) {
            throw new IllegalArgumentException("step and by are required");
        }
        if ((device != null || service != null) && !groupBy.isFlowDimension()) {
            throw new IllegalArgumentException((device != null ? "device" : "service") + " : filters flows, not " +
                "interface totals (expected: by flow, dst, src, protocol, device or service)");
        }
    }

    /** Without network, device and service filters. */
    public UsageQuery(final long fromSecond, final long toSecond, final Resolution step, final GroupBy groupBy,
        final String agent, final String interfaceName, final String profile) {
        this(fromSecond, toSecond, step, groupBy, agent, interfaceName, profile, null, null, null);
    }

    /** The same question grouped another way (filters kept). */
    public UsageQuery by(final GroupBy other) {
        return new UsageQuery(fromSecond, toSecond, step, other, agent, interfaceName, profile, network, device,
            service);
    }
}
