package org.esimmeter.agent.ship;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;
import org.esimmeter.wire.WireFormat;

/**
 * Folds batches into fewer, coarser records when the spool reaches its cap: all records of one interface and
 * profile (and serving network) that fall in the same minute (hour, day) become one record stamped at the start of that span, with every
 * counter summed and flows summed by their key. Sums are exact, so the collector's totals over any span that
 * contains the merged ones are unchanged; only the per-second (per-minute, ...) detail inside a span is lost.
 * <p>
 * At {@link MergeLevel#DAY_TOTALS} the flows themselves go: their bytes move into the overflow counters, which keeps
 * the frame's invariant (flows + overflow + nonIp + unparsed == total). Clock steps the inputs reported travel on
 * in the first merged frame. Flows keep their device and service labels (part of the key); uncaptured bytes are
 * summed like the totals. Runs on the batch thread, only at the cap: it allocates freely.
 */
final class BatchMerger {
    /** A merged frame, ready to be queued like any closed batch. */
    record Merged(long sequence, int records, byte[] frame) {
    }

    private record RecordKey(String interfaceName, String profile, String network, long epochSecond) {
    }

    private record FlowKey(int direction, int ipVersion, int protocol, long srcHi, long srcLo, int srcPort,
        long dstHi, long dstLo, int dstPort, Device device, boolean approximate, String service) {
    }

    /** One merged record being summed. */
    private static final class Sum {
        final TrafficCounters total = new TrafficCounters();
        final TrafficCounters nonIp = new TrafficCounters();
        final TrafficCounters unparsed = new TrafficCounters();
        final TrafficCounters overflow = new TrafficCounters();
        final TrafficCounters uncaptured = new TrafficCounters();
        long pcapReceived;
        long pcapDropped;
        final Map<FlowKey, long[]> flows = new LinkedHashMap<>();
    }

    private final String agentId;
    private final int batchMaxBytes;
    private final LongSupplier sequences;

    BatchMerger(final String agentId, final int batchMaxBytes, final LongSupplier sequences) {
        this.agentId = agentId;
        this.batchMaxBytes = batchMaxBytes;
        this.sequences = sequences;
    }

    /** Merges {@code batches} (oldest first) at {@code level} into frames of about {@code batchMaxBytes} each. */
    List<Merged> merge(final List<Batch> batches, final MergeLevel level) {
        final Map<RecordKey, Sum> sums = new LinkedHashMap<>();
        final List<ClockStep> steps = new ArrayList<>();
        for (final Batch batch : batches) {
            steps.addAll(batch.clockSteps());
            for (final SecondUsage second : batch.seconds()) {
                add(sums, second, level);
            }
        }
        final List<Merged> merged = new ArrayList<>();
        final BatchWriter writer = new BatchWriter();
        final ByteBuf buffer = ByteBufAllocator.DEFAULT.heapBuffer(Math.min(batchMaxBytes, 1 << 20));
        try {
            long sequence = 0;
            int records = 0;
            for (final Map.Entry<RecordKey, Sum> entry : sums.entrySet()) {
                if (records == 0) {
                    sequence = sequences.getAsLong();
                    writer.begin(buffer, agentId, sequence, WireFormat.FLAG_SPANS | WireFormat.FLAG_CONTEXT);
                }
                write(writer, entry.getKey(), entry.getValue(), level);
                records++;
                if (buffer.readableBytes() >= batchMaxBytes) {
                    merged.add(end(writer, buffer, sequence, records, merged.isEmpty() ? steps : List.of()));
                    records = 0;
                }
            }
            if (records > 0 || merged.isEmpty() && !steps.isEmpty()) {
                if (records == 0) {
                    sequence = sequences.getAsLong();
                    writer.begin(buffer, agentId, sequence, WireFormat.FLAG_SPANS | WireFormat.FLAG_CONTEXT);
                }
                merged.add(end(writer, buffer, sequence, records, merged.isEmpty() ? steps : List.of()));
            }
        } finally {
            buffer.release();
        }
        return merged;
    }

    private static void add(final Map<RecordKey, Sum> sums, final SecondUsage second, final MergeLevel level) {
        final long start = Math.floorDiv(second.epochSecond(), level.spanSeconds) * level.spanSeconds;
        final Sum sum = sums.computeIfAbsent(new RecordKey(second.interfaceName(), second.profile(), second.network(), start),
            key -> new Sum());
        sum.total.add(second.total());
        sum.nonIp.add(second.nonIp());
        sum.unparsed.add(second.unparsed());
        sum.overflow.add(second.overflow());
        sum.uncaptured.add(second.uncaptured());
        sum.pcapReceived += second.pcapReceived();
        sum.pcapDropped += second.pcapDropped();
        for (final FlowUsage flow : second.flows()) {
            if (!level.keepsFlows) {
                sum.overflow.add(flow.direction(), flow.packets(), flow.wireBytes(), flow.ipBytes());
                continue;
            }
            final long[] counts = sum.flows.computeIfAbsent(new FlowKey(flow.direction(), flow.ipVersion(),
                flow.protocol(), flow.srcHi(), flow.srcLo(), flow.srcPort(), flow.dstHi(), flow.dstLo(),
                flow.dstPort(), flow.device(), flow.approximate(), flow.service()), key -> new long[TrafficCounters.METRICS]);
            counts[TrafficCounters.PACKETS] += flow.packets();
            counts[TrafficCounters.WIRE_BYTES] += flow.wireBytes();
            counts[TrafficCounters.IP_BYTES] += flow.ipBytes();
        }
    }

    private static void write(final BatchWriter writer, final RecordKey key, final Sum sum, final MergeLevel level) {
        writer.second(key.interfaceName(), key.profile(), key.epochSecond(), level.spanSeconds, key.network(),
            sum.total, sum.nonIp, sum.unparsed, sum.overflow, sum.uncaptured, sum.pcapReceived, sum.pcapDropped,
            sum.flows.size());
        for (final Map.Entry<FlowKey, long[]> flow : sum.flows.entrySet()) {
            final FlowKey f = flow.getKey();
            final long[] counts = flow.getValue();
            writer.flow(f.direction(), f.ipVersion(), f.protocol(), f.srcHi(), f.srcLo(), f.srcPort(), f.dstHi(),
                f.dstLo(), f.dstPort(), counts[TrafficCounters.PACKETS], counts[TrafficCounters.WIRE_BYTES],
                counts[TrafficCounters.IP_BYTES], f.device(), f.approximate(), f.service());
        }
    }

    private static Merged end(final BatchWriter writer, final ByteBuf buffer, final long sequence, final int records,
        final List<ClockStep> steps) {
        for (final ClockStep step : steps) {
            writer.clockStep(step.detectedAtMillis(), step.stepMillis(), step.affectedFromSecond(),
                step.affectedToSecond());
        }
        writer.end();
        final Merged merged = new Merged(sequence, records, ByteBufUtil.getBytes(buffer));
        buffer.clear();
        return merged;
    }
}
