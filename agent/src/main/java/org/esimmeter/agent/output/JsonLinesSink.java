package org.esimmeter.agent.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.agent.meter.SecondSink;
import org.esimmeter.agent.privacy.AddressTruncation;

/**
 * Writes each sealed second as one JSON line (interface, profile, second, totals by direction, non-IP, unparsed,
 * overflow, libpcap statistics and the flows of that second). The output of {@code run} until the shipper lands.
 * Synchronized: several capture threads may share one sink.
 */
public final class JsonLinesSink implements SecondSink, AutoCloseable {
    private final OutputStream out;
    private final JsonGenerator json;
    private final FlowLabel label = new FlowLabel();
    private volatile FlowLabels labels = FlowLabels.NONE;
    private volatile AddressTruncation truncation = AddressTruncation.NONE;

    public JsonLinesSink(final OutputStream out) throws IOException {
        this.out = out;
        this.json = new JsonFactory().createGenerator(out);
        this.json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        this.json.setRootValueSeparator(new SerializedString(""));
    }

    /** Names each flow's device and service; {@link FlowLabels#NONE} until set. */
    public JsonLinesSink labelFlowsWith(final FlowLabels labels) {
        this.labels = labels;
        return this;
    }

    /** Cuts flow addresses to the configured prefixes; whole until set. */
    public JsonLinesSink truncateAddresses(final AddressTruncation truncation) {
        this.truncation = truncation;
        return this;
    }

    @Override
    public synchronized void onSecond(final SecondRecord second) {
        try {
            json.writeStartObject();
            json.writeStringField("interface", second.interfaceName());
            json.writeStringField("profile", second.profile());
            if (!second.network().isEmpty()) {
                json.writeStringField("network", second.network());
            }
            json.writeNumberField("t", second.epochSecond());
            JsonFields.byDirection(json, "total", second.total());
            JsonFields.byDirection(json, "nonIp", second.nonIp());
            JsonFields.byDirection(json, "unparsed", second.unparsed());
            JsonFields.byDirection(json, "overflow", second.flows().overflow());
            json.writeObjectFieldStart("pcap");
            json.writeNumberField("received", second.pcapReceived());
            json.writeNumberField("dropped", second.pcapDropped());
            json.writeEndObject();
            JsonFields.flows(json, second, second.flows(), true, labels, label, truncation);
            json.writeEndObject();
            json.flush();
            out.write('\n');
            out.flush();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        json.close();
        out.flush();
    }
}
