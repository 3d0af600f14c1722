package org.esimmeter.agent.label.service;

import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Direction;

/**
 * Names the service of a flow when its second is sealed: the TLS server name of its connection if one was seen,
 * else the name it already had (a connection keeps the name it started with, whatever DNS later says about its
 * address or however long it outlives the TTL), else the name DNS gave its remote end (the destination of an upload,
 * the source of a download). Runs on the capture thread: lock-free reads of {@link ServiceNames}, no allocation.
 * <p>
 * The "name it already had" is a table of its own, written and read by the capture thread only; an entry lives while
 * its flow is seen at least every {@value #KEEP_SECONDS} s.
 */
public final class ServiceLabels implements FlowLabels {
    static final int KEEP_SECONDS = 600;
    /** Expiry is kept in whole minutes so that a flow seen every second rewrites its entry once a minute. */
    private static final long GRANULE_MILLIS = 60_000;

    private final ServiceNames names;
    private final NameCache named;

    /**
     * @param names        what the metadata capture learns
     * @param flowsToKeep  flows remembered with their name (e.g. the configured cache entries)
     */
    public ServiceLabels(final ServiceNames names, final int flowsToKeep) {
        this.names = names;
        this.named = new NameCache(flowsToKeep, 5);
    }

    @Override
    public void label(final SecondRecord second, final int flowIndex, final FlowLabel into) {
        final FlowTable flows = second.flows();
        final long meta = flows.meta(flowIndex);
        final int protocol = FlowMeta.protocol(meta);
        final int direction = FlowMeta.direction(meta);
        final int srcPort = FlowMeta.srcPort(meta);
        final int dstPort = FlowMeta.dstPort(meta);
        final long srcHi = flows.srcHi(flowIndex);
        final long srcLo = flows.srcLo(flowIndex);
        final long dstHi = flows.dstHi(flowIndex);
        final long dstLo = flows.dstLo(flowIndex);
        final long nowMillis = second.epochSecond() * 1000;

        final boolean srcFirst = ServiceNames.before(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort);
        final long k0 = srcFirst ? srcHi : dstHi;
        final long k1 = srcFirst ? srcLo : dstLo;
        final long k2 = srcFirst ? dstHi : srcHi;
        final long k3 = srcFirst ? dstLo : srcLo;
        final long k4 = ((long) protocol << 32) | (srcFirst ? ((long) srcPort << 16) | dstPort :
            ((long) dstPort << 16) | srcPort);

        String name = names.byConnection(protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, nowMillis);
        if (name == null) {
            name = named.get(k0, k1, k2, k3, k4, nowMillis);
        }
        if (name == null) {
            if (direction == Direction.DOWN) {
                name = names.byAddress(srcHi, srcLo, nowMillis);
            } else {
                name = names.byAddress(dstHi, dstLo, nowMillis);
                if (name == null && direction == Direction.UNKNOWN) {
                    name = names.byAddress(srcHi, srcLo, nowMillis);
                }
            }
        }
        if (name != null) {
            final long keepUntil = (nowMillis + KEEP_SECONDS * 1000L) / GRANULE_MILLIS * GRANULE_MILLIS;
            named.put(k0, k1, k2, k3, k4, name, keepUntil, nowMillis);
            into.service = name;
        }
    }

    /** Flows remembered with their name (fresh or stale), for self-metrics. */
    public int flowEntries() {
        return named.occupied();
    }
}
