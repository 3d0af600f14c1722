package org.esimmeter.agent.label;

import org.esimmeter.agent.meter.SecondRecord;

/**
 * Names the device and service of a flow when a second is sealed: once per flow and second, on the capture thread.
 * Implementations answer from in-memory tables that other threads maintain (DNS/TLS/DHCP sightings, connection
 * tracking); they never block, do I/O or allocate per call.
 */
@FunctionalInterface
public interface FlowLabels {
    /** Labels nothing: services and devices switched off. */
    FlowLabels NONE = (second, flowIndex, into) -> {
    };

    /**
     * @param second    the second being sealed (its interface, its flow table)
     * @param flowIndex index into {@code second.flows()}
     * @param into      cleared by the caller; set what is known
     */
    void label(SecondRecord second, int flowIndex, FlowLabel into);

    /**
     * Wall-clock time (ms) up to which what these labels read is complete: a connection opened before it is in
     * their tables. The meter holds a second it sealed until this passes the second's end (bounded), so the first
     * second of a new connection is named like the rest. {@link Long#MAX_VALUE}: nothing to wait for.
     */
    default long readyThroughMillis() {
        return Long.MAX_VALUE;
    }

    /** {@code first}, then {@code second}, on the same holder: e.g. the device, then the service. */
    static FlowLabels both(final FlowLabels first, final FlowLabels second) {
        if (first == NONE) {
            return second;
        }
        if (second == NONE) {
            return first;
        }
        return new FlowLabels() {
            @Override
            public void label(final SecondRecord record, final int flowIndex, final FlowLabel into) {
                first.label(record, flowIndex, into);
                second.label(record, flowIndex, into);
            }

            @Override
            public long readyThroughMillis() {
                return Math.min(first.readyThroughMillis(), second.readyThroughMillis());
            }
        };
    }
}
