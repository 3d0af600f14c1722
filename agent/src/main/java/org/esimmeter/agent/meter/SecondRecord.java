package org.esimmeter.agent.meter;

import org.esimmeter.wire.TrafficCounters;

/**
 * One interface's traffic during one second of packet time: what the meter hands to a {@link SecondSink} and what
 * the shipper encodes. A view over the meter's own tables, valid only during {@link SecondSink#onSecond}: copy
 * what you keep.
 * <p>
 * Exact by construction: {@code flows + overflow + nonIp + unparsed == total} for packets, wire bytes and IP bytes,
 * in every direction. The same (interface, second) may be emitted more than once when packets of that second
 * arrive late (timestamps out of order); consumers add them up.
 */
public interface SecondRecord {
    String interfaceName();

    String profile();

    /** Floor of the packets' timestamps, seconds since the epoch. */
    long epochSecond();

    TrafficCounters total();

    /** Well-formed frames that carry no IP. IP bytes are 0. */
    TrafficCounters nonIp();

    /** Truncated or malformed frames, counted by wire length. IP bytes are 0. */
    TrafficCounters unparsed();

    /** Flows active in this second; IP packets of flows beyond the table's bound are in {@code flows().overflow()}. */
    FlowTable flows();

    /** libpcap's cumulative packets received by the filter on this interface's handles. */
    long pcapReceived();

    /**
     * The serving network (MCC and MNC, e.g. "26201") the modem reported when this second opened: whether the bytes
     * were used at home or roaming. Empty when unknown (no modem command, or the modem did not say).
     */
    default String network() {
        return "";
    }

    /**
     * Bytes and packets the kernel counted on the interface that no capture handle saw (hardware/software flow
     * offload, libpcap drops, a capture filter): the gap between the interface's kernel counters and what was
     * captured. Not part of {@link #total()}; IP bytes are estimated from the link header length.
     */
    default TrafficCounters uncaptured() {
        return new TrafficCounters();
    }

    /** libpcap's cumulative drops (buffer full) plus drops by the interface driver; non-zero means counts are low. */
    long pcapDropped();
}
