package org.esimmeter.collector.store.sqlite;

import org.esimmeter.wire.FlowUsage;

/** A unidirectional flow's identity, the key of the flow dictionary (one integer id per distinct key). */
record FlowKey(int direction, int ipVersion, int protocol, long srcHi, long srcLo, int srcPort, long dstHi,
    long dstLo, int dstPort) {

    static FlowKey of(final FlowUsage flow) {
        return new FlowKey(flow.direction(), flow.ipVersion(), flow.protocol(), flow.srcHi(), flow.srcLo(),
            flow.srcPort(), flow.dstHi(), flow.dstLo(), flow.dstPort());
    }
}
