package org.esimmeter.agent.label.device;

import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.TrafficCounters;

/** A second of one interface holding flows given by address text, as the meter keys them. */
record TestFlows(String interfaceName, FlowTable flows) implements SecondRecord {
    TestFlows(final String interfaceName) {
        this(interfaceName, new FlowTable(16, 1024));
    }

    /** Adds a flow and returns its index. */
    int add(final int direction, final int protocol, final String src, final int srcPort, final String dst,
        final int dstPort) {
        final AddressText s = new AddressText();
        final AddressText d = new AddressText();
        if (!s.parseIp(src) || !d.parseIp(dst)) {
            throw new IllegalArgumentException(src + " or " + dst);
        }
        final int version = AddressText.isIpv4(s.hi, s.lo) ? 4 : 6;
        flows.add(s.hi, s.lo, d.hi, d.lo, FlowMeta.pack(version, protocol, srcPort, dstPort, direction), 1, 100, 86);
        return flows.size() - 1;
    }

    /** What {@code labels} say about flow {@code index}: the device, and "~" appended when approximate. */
    String label(final FlowLabels labels, final int index) {
        final FlowLabel into = new FlowLabel();
        labels.label(this, index, into);
        final Device device = into.device;
        final String text = device == null ? "none" : device.key() + " " + device.address() + " " + device.hostname();
        return into.approximate ? text + " ~" : text;
    }

    @Override
    public String profile() {
        return "p";
    }

    @Override
    public long epochSecond() {
        return 1;
    }

    @Override
    public TrafficCounters total() {
        return new TrafficCounters();
    }

    @Override
    public TrafficCounters nonIp() {
        return new TrafficCounters();
    }

    @Override
    public TrafficCounters unparsed() {
        return new TrafficCounters();
    }

    @Override
    public long pcapReceived() {
        return 0;
    }

    @Override
    public long pcapDropped() {
        return 0;
    }
}
