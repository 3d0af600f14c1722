package org.esimmeter.agent.output;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.agent.privacy.AddressTruncation;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.wire.TrafficCounters;

/** The JSON shapes shared by the replay report and the per-second lines: counters and flows. */
final class JsonFields {
    private JsonFields() {
    }

    static void counters(final JsonGenerator json, final String name, final TrafficCounters counters,
        final boolean withIpBytes) throws IOException {
        json.writeObjectFieldStart(name);
        sums(json, counters, withIpBytes);
        json.writeEndObject();
    }

    static void sums(final JsonGenerator json, final TrafficCounters counters, final boolean withIpBytes)
        throws IOException {
        json.writeNumberField("packets", counters.sum(TrafficCounters.PACKETS));
        json.writeNumberField("wireBytes", counters.sum(TrafficCounters.WIRE_BYTES));
        if (withIpBytes) {
            json.writeNumberField("ipBytes", counters.sum(TrafficCounters.IP_BYTES));
        }
    }

    /** {"up":{...},"down":{...}} plus "unknown" when a savefile left some directions unknown. */
    static void byDirection(final JsonGenerator json, final String name, final TrafficCounters counters)
        throws IOException {
        json.writeObjectFieldStart(name);
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            if (direction == Direction.UNKNOWN && counters.get(direction, TrafficCounters.PACKETS) == 0) {
                continue;
            }
            json.writeObjectFieldStart(Direction.name(direction));
            json.writeNumberField("packets", counters.get(direction, TrafficCounters.PACKETS));
            json.writeNumberField("wireBytes", counters.get(direction, TrafficCounters.WIRE_BYTES));
            json.writeNumberField("ipBytes", counters.get(direction, TrafficCounters.IP_BYTES));
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    static void flows(final JsonGenerator json, final FlowTable flows, final boolean withDirection)
        throws IOException {
        flows(json, null, flows, withDirection, FlowLabels.NONE, new FlowLabel(), AddressTruncation.NONE);
    }

    /**
     * The flows of a second with what {@code labels} says of each: {@code device} {key, address, hostname},
     * {@code approximate} (only when true) and {@code service}, each only when known.
     */
    static void flows(final JsonGenerator json, final SecondRecord second, final FlowTable flows,
        final boolean withDirection, final FlowLabels labels, final FlowLabel label, final AddressTruncation cut)
        throws IOException {
        json.writeArrayFieldStart("flows");
        for (int i = 0; i < flows.size(); i++) {
            final long meta = flows.meta(i);
            final int version = FlowMeta.ipVersion(meta);
            json.writeStartObject();
            if (withDirection) {
                json.writeStringField("dir", Direction.name(FlowMeta.direction(meta)));
            }
            json.writeNumberField("proto", FlowMeta.protocol(meta));
            json.writeStringField("src", Addresses.format(version, cut.hi(version, flows.srcHi(i)),
                cut.lo(version, flows.srcLo(i))));
            json.writeNumberField("srcPort", FlowMeta.srcPort(meta));
            json.writeStringField("dst", Addresses.format(version, cut.hi(version, flows.dstHi(i)),
                cut.lo(version, flows.dstLo(i))));
            json.writeNumberField("dstPort", FlowMeta.dstPort(meta));
            json.writeNumberField("packets", flows.packets(i));
            json.writeNumberField("wireBytes", flows.wireBytes(i));
            json.writeNumberField("ipBytes", flows.ipBytes(i));
            if (second != null) {
                label.clear();
                labels.label(second, i, label);
                if (label.device != null) {
                    json.writeObjectFieldStart("device");
                    json.writeStringField("key", label.device.key());
                    if (label.device.address() != null) {
                        json.writeStringField("address", label.device.address());
                    }
                    if (label.device.hostname() != null) {
                        json.writeStringField("hostname", label.device.hostname());
                    }
                    json.writeEndObject();
                    if (label.approximate) {
                        json.writeBooleanField("approximate", true);
                    }
                }
                if (label.service != null) {
                    json.writeStringField("service", label.service);
                }
            }
            json.writeEndObject();
        }
        json.writeEndArray();
    }
}
