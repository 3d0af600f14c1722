package org.esimmeter.bench;

import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.agent.meter.SecondSink;
import org.esimmeter.wire.TrafficCounters;

/**
 * A sink that does what a shipper does with a sealed second without the I/O: it reads every flow's counters, and
 * checks the meter's invariant (flows + overflow + non-IP + unparsed == total) so a benchmark that broke
 * exactness fails instead of reporting a fast wrong answer. Allocates nothing.
 */
public final class SummingSink implements SecondSink {
    private long seconds;
    private long flows;
    private long packets;
    private long wireBytes;
    private long ipBytes;

    @Override
    public void onSecond(final SecondRecord second) {
        final FlowTable table = second.flows();
        long secondPackets = 0;
        long secondWire = 0;
        long secondIp = 0;
        for (int i = 0; i < table.size(); i++) {
            secondPackets += table.packets(i);
            secondWire += table.wireBytes(i);
            secondIp += table.ipBytes(i);
        }
        final TrafficCounters overflow = table.overflow();
        secondPackets += overflow.sum(TrafficCounters.PACKETS) + second.nonIp().sum(TrafficCounters.PACKETS) +
            second.unparsed().sum(TrafficCounters.PACKETS);
        secondWire += overflow.sum(TrafficCounters.WIRE_BYTES) + second.nonIp().sum(TrafficCounters.WIRE_BYTES) +
            second.unparsed().sum(TrafficCounters.WIRE_BYTES);
        secondIp += overflow.sum(TrafficCounters.IP_BYTES);
        final TrafficCounters total = second.total();
        if (secondPackets != total.sum(TrafficCounters.PACKETS) ||
            secondWire != total.sum(TrafficCounters.WIRE_BYTES) || secondIp != total.sum(TrafficCounters.IP_BYTES)) {
            throw new IllegalStateException("second " + second.epochSecond() + " : parts do not add up to " + total);
        }
        seconds++;
        flows += table.size();
        packets += secondPackets;
        wireBytes += secondWire;
        ipBytes += secondIp;
    }

    public long seconds() {
        return seconds;
    }

    public long flows() {
        return flows;
    }

    public long packets() {
        return packets;
    }

    public long wireBytes() {
        return wireBytes;
    }

    public long ipBytes() {
        return ipBytes;
    }
}
