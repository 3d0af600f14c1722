package org.esimmeter.collector.store.sqlite;

import org.esimmeter.wire.FlowUsage;

/**
 * A unidirectional flow's identity, the key of the flow dictionary (one integer id per distinct key): the 5-tuple
 * and direction, plus the device and service the agent attributed it to (ids into {@code device} and
 * {@code service}, 0 for none) and whether the device was inferred.
 */
record FlowKey(int direction, int ipVersion, int protocol, long srcHi, long srcLo, int srcPort, long dstHi,
    long dstLo, int dstPort, long device, long service, boolean approximate) {

    static FlowKey of(final FlowUsage flow, final long device, final long service) {
        return new FlowKey(flow.direction(), flow.ipVersion(), flow.protocol(), flow.srcHi(), flow.srcLo(),
            flow.srcPort(), flow.dstHi(), flow.dstLo(), flow.dstPort(), device, service, flow.approximate());
    }
}
