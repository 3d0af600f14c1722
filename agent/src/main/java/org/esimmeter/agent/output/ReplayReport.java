package org.esimmeter.agent.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.wire.TrafficCounters;
import org.esimmeter.agent.meter.UsageTotals;

/**
 * The replay's one JSON object: totals, non-IP, unparsed, flows (unidirectional, direction merged) and seconds.
 * The shape is a contract (README, "Replay output"); fields may be added, never renamed.
 */
public final class ReplayReport {
    private ReplayReport() {
    }

    /** A few lines for people: totals, direction split, flow count, damage. */
    public static void summary(final PrintStream out, final File file, final int linkType, final UsageTotals totals) {
        final TrafficCounters total = totals.total();
        out.printf("%s (%s): %d packets, %d wire bytes, %d IP bytes in %d seconds%n", file, LinkType.name(linkType),
            total.sum(TrafficCounters.PACKETS), total.sum(TrafficCounters.WIRE_BYTES),
            total.sum(TrafficCounters.IP_BYTES), totals.seconds().size());
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            if (total.get(direction, TrafficCounters.PACKETS) != 0) {
                out.printf("  %-8s %d packets, %d wire bytes%n", Direction.name(direction),
                    total.get(direction, TrafficCounters.PACKETS), total.get(direction, TrafficCounters.WIRE_BYTES));
            }
        }
        out.printf("  %d flows, %d non-IP packets, %d unparsed packets, %d packets beyond the flow table%n",
            totals.flows().size(), totals.nonIp().sum(TrafficCounters.PACKETS),
            totals.unparsed().sum(TrafficCounters.PACKETS), totals.flows().overflow().sum(TrafficCounters.PACKETS));
    }

    public static void write(final OutputStream out, final int linkType, final UsageTotals totals,
        final String warning) throws IOException {
        try (JsonGenerator json = new JsonFactory().createGenerator(out)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            final TrafficCounters total = totals.total();
            json.writeStartObject();
            json.writeStringField("linkType", LinkType.name(linkType));
            json.writeNumberField("linkTypeNumber", linkType);
            JsonFields.sums(json, total, true);
            JsonFields.counters(json, "nonIp", totals.nonIp(), false);
            JsonFields.counters(json, "unparsed", totals.unparsed(), false);
            JsonFields.counters(json, "overflow", totals.flows().overflow(), true);
            JsonFields.byDirection(json, "directions", total);
            JsonFields.flows(json, totals.flows(), false);
            json.writeArrayFieldStart("seconds");
            for (final Map.Entry<Long, TrafficCounters> second : totals.seconds().entrySet()) {
                json.writeStartObject();
                json.writeNumberField("t", second.getKey());
                JsonFields.sums(json, second.getValue(), true);
                json.writeEndObject();
            }
            json.writeEndArray();
            if (warning != null) {
                json.writeStringField("warning", warning);
            }
            json.writeEndObject();
        }
        out.write('\n');
        out.flush();
    }
}
