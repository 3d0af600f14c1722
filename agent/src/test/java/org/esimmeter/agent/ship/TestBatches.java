package org.esimmeter.agent.ship;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;

/** Test seconds as the wire's writer encodes them, for tests that build spools and merges by hand. */
final class TestBatches {
    private TestBatches() {
    }

    /** One frame holding {@code seconds}, per second as the agent's sink writes them. */
    static byte[] frame(final long sequence, final List<TestSeconds.Second> seconds) {
        final ByteBuf out = Unpooled.buffer();
        final BatchWriter writer = new BatchWriter().begin(out, "router-7", sequence);
        for (final TestSeconds.Second second : seconds) {
            writer.second(second.interfaceName(), second.profile(), second.epochSecond(), second.total(),
                second.nonIp(), second.unparsed(), second.flows().overflow(), second.pcapReceived(),
                second.pcapDropped(), second.flows().size());
            writeFlows(writer, second.flows());
        }
        writer.end();
        return ByteBufUtil.getBytes(out);
    }

    /** Each second as its own batch (sequence 1, 2, ...), decoded back by the real reader. */
    static List<Batch> encode(final List<TestSeconds.Second> seconds) throws WireFormatException {
        final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
        final List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < seconds.size(); i++) {
            batches.add(reader.read(Unpooled.wrappedBuffer(frame(i + 1, List.of(seconds.get(i))))));
        }
        return batches;
    }

    static void writeFlows(final BatchWriter writer, final FlowTable flows) {
        for (int f = 0; f < flows.size(); f++) {
            final long meta = flows.meta(f);
            writer.flow(FlowMeta.direction(meta), FlowMeta.ipVersion(meta), FlowMeta.protocol(meta), flows.srcHi(f),
                flows.srcLo(f), FlowMeta.srcPort(meta), flows.dstHi(f), flows.dstLo(f), FlowMeta.dstPort(meta),
                flows.packets(f), flows.wireBytes(f), flows.ipBytes(f));
        }
    }
}
