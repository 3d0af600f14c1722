package org.esimmeter.agent.meter;

import java.util.Map;
import java.util.TreeMap;
import org.esimmeter.wire.TrafficCounters;

/**
 * Adds sealed seconds up over a whole run: totals, non-IP, unparsed, one entry per unidirectional flow across all
 * seconds, and totals per second. Replay prints this; tests check the invariants on it. Not on the hot path: it
 * runs once per sealed second.
 */
public final class UsageTotals implements SecondSink {
    private final boolean keepDirection;
    private final TrafficCounters total = new TrafficCounters();
    private final TrafficCounters nonIp = new TrafficCounters();
    private final TrafficCounters unparsed = new TrafficCounters();
    private final FlowTable flows;
    private final TreeMap<Long, TrafficCounters> seconds = new TreeMap<>();
    private long pcapReceived;
    private long pcapDropped;

    /**
     * @param maxFlows      distinct flows kept; later ones count in the overflow
     * @param keepDirection false to merge a 5-tuple's packets whatever their direction (the replay contract)
     */
    public UsageTotals(final int maxFlows, final boolean keepDirection) {
        this.flows = new FlowTable(4096, maxFlows);
        this.keepDirection = keepDirection;
    }

    @Override
    public void onSecond(final SecondRecord second) {
        total.add(second.total());
        nonIp.add(second.nonIp());
        unparsed.add(second.unparsed());
        final FlowTable secondFlows = second.flows();
        for (int i = 0; i < secondFlows.size(); i++) {
            final long meta = keepDirection ? secondFlows.meta(i) : FlowMeta.withDirection(secondFlows.meta(i), 0);
            flows.add(secondFlows.srcHi(i), secondFlows.srcLo(i), secondFlows.dstHi(i), secondFlows.dstLo(i), meta,
                secondFlows.packets(i), secondFlows.wireBytes(i), secondFlows.ipBytes(i));
        }
        flows.overflow().add(secondFlows.overflow());
        seconds.computeIfAbsent(second.epochSecond(), t -> new TrafficCounters()).add(second.total());
        pcapReceived = Math.max(pcapReceived, second.pcapReceived());
        pcapDropped = Math.max(pcapDropped, second.pcapDropped());
    }

    public TrafficCounters total() {
        return total;
    }

    public TrafficCounters nonIp() {
        return nonIp;
    }

    public TrafficCounters unparsed() {
        return unparsed;
    }

    public FlowTable flows() {
        return flows;
    }

    /** Per second of packet time, ascending. */
    public Map<Long, TrafficCounters> seconds() {
        return seconds;
    }

    public long pcapReceived() {
        return pcapReceived;
    }

    public long pcapDropped() {
        return pcapDropped;
    }
}
