package org.esimmeter.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random batches that obey the format's rules (sum invariant, string bounds, spans 1..86400, clock steps
 * with a non-zero step and from <= to), and their encoding. About a third are merged batches (flag SPANS), about a
 * quarter carry clock steps, about a third carry context (serving network, uncaptured bytes, device and service
 * labels from a small pool so tables hold repeats), so every flag combination is exercised.
 */
final class RandomBatches {
    private final Random random;
    private final List<Device> devices = new ArrayList<>();
    private final List<String> services = new ArrayList<>();

    RandomBatches(final long seed) {
        this.random = new Random(seed);
        for (int i = 0; i < 5; i++) {
            devices.add(new Device(string(), random.nextBoolean() ? null : string(), random.nextBoolean() ? null :
                string()));
            services.add(string());
        }
    }

    Batch next() {
        final int secondCount = random.nextInt(4);
        final boolean merged = random.nextInt(3) == 0;
        final boolean context = random.nextInt(3) == 0;
        final List<SecondUsage> seconds = new ArrayList<>();
        for (int i = 0; i < secondCount; i++) {
            seconds.add(second(merged ? span() : 1, context));
        }
        final List<ClockStep> steps = new ArrayList<>();
        final int stepCount = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0;
        for (int i = 0; i < stepCount; i++) {
            final long step = random.nextBoolean() ? random.nextLong() : random.nextInt(10_000) - 5_000;
            final long from = random.nextLong() >> random.nextInt(64);
            final long to = from + (random.nextLong() & Long.MAX_VALUE) % Math.max(1, Long.MAX_VALUE - Math.max(from, 0));
            steps.add(new ClockStep(random.nextLong(), step == 0 ? 1 : step, from, to));
        }
        return new Batch(string(), random.nextLong(), seconds, steps);
    }

    /** 1, 60, 3600, 86400 and anything between; varints of one to three bytes. */
    private int span() {
        switch (random.nextInt(5)) {
            case 0: return 1;
            case 1: return 60;
            case 2: return 3600;
            case 3: return WireFormat.MAX_SPAN_SECONDS;
            default: return 1 + random.nextInt(WireFormat.MAX_SPAN_SECONDS);
        }
    }

    private SecondUsage second(final int spanSeconds, final boolean context) {
        final int flowCount = random.nextInt(3) == 0 ? 0 : random.nextInt(40);
        // Each value stays below Long.MAX_VALUE / (flows + 3) so that the parts and the total fit a long.
        final long bound = Long.MAX_VALUE / (flowCount + 3);
        final List<FlowUsage> flows = new ArrayList<>();
        final TrafficCounters total = new TrafficCounters();
        for (int i = 0; i < flowCount; i++) {
            final boolean ipv6 = random.nextBoolean();
            FlowUsage flow = new FlowUsage(random.nextInt(Direction.COUNT), ipv6 ? 6 : 4, random.nextInt(256),
                ipv6 ? random.nextLong() : 0, ipv6 ? random.nextLong() : Addresses.IPV4_MAPPED_PREFIX |
                (random.nextInt() & 0xFFFF_FFFFL), random.nextInt(65536), ipv6 ? random.nextLong() : 0,
                ipv6 ? random.nextLong() : Addresses.IPV4_MAPPED_PREFIX | (random.nextInt() & 0xFFFF_FFFFL),
                random.nextInt(65536), value(bound), value(bound), value(bound));
            if (context) {
                final Device device = random.nextInt(3) == 0 ? null : devices.get(random.nextInt(devices.size()));
                final String service = random.nextInt(3) == 0 ? null : services.get(random.nextInt(services.size()));
                flow = new FlowUsage(flow.direction(), flow.ipVersion(), flow.protocol(), flow.srcHi(), flow.srcLo(),
                    flow.srcPort(), flow.dstHi(), flow.dstLo(), flow.dstPort(), flow.packets(), flow.wireBytes(),
                    flow.ipBytes(), device, device != null && random.nextBoolean(), service);
            }
            total.add(flow.direction(), flow.packets(), flow.wireBytes(), flow.ipBytes());
            flows.add(flow);
        }
        final TrafficCounters nonIp = counters(bound, false);
        final TrafficCounters unparsed = counters(bound, false);
        final TrafficCounters overflow = counters(bound, true);
        total.add(nonIp);
        total.add(unparsed);
        total.add(overflow);
        return new SecondUsage(string(), string(), random.nextLong() >> random.nextInt(64), total, nonIp, unparsed,
            overflow, value(Long.MAX_VALUE), value(Long.MAX_VALUE), flows, spanSeconds,
            context && random.nextBoolean() ? string() : "", context ? counters(bound, true) : new TrafficCounters());
    }

    private TrafficCounters counters(final long bound, final boolean withIpBytes) {
        final TrafficCounters counters = new TrafficCounters();
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            counters.add(direction, value(bound), value(bound), withIpBytes ? value(bound) : 0);
        }
        return counters;
    }

    /** 0, and magnitudes that take 1, 2, 3, 5 and 9 varint bytes. */
    private long value(final long bound) {
        switch (random.nextInt(6)) {
            case 0: return 0;
            case 1: return random.nextInt(128);
            case 2: return random.nextInt(16384);
            case 3: return random.nextInt(1 << 21);
            case 4: return Math.min(bound, random.nextInt() & 0xFFFF_FFFFL);
            default: return (random.nextLong() & Long.MAX_VALUE) % bound;
        }
    }

    /** 1..255 UTF-8 bytes of 1-, 2-, 3- and 4-byte characters. */
    String string() {
        final int limit = 1 + random.nextInt(random.nextBoolean() ? 16 : 255);
        final StringBuilder text = new StringBuilder();
        int bytes = 0;
        while (true) {
            final int codePoint;
            switch (random.nextInt(4)) {
                case 0: codePoint = 0x20 + random.nextInt(0x5F); break;
                case 1: codePoint = 0x80 + random.nextInt(0x780); break;
                case 2: codePoint = 0xE000 + random.nextInt(0x1000); break;
                default: codePoint = 0x1F300 + random.nextInt(0x300); break;
            }
            final String character = new String(Character.toChars(codePoint));
            final int length = character.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + length > limit) {
                return text.length() == 0 ? "x" : text.toString();
            }
            text.append(character);
            bytes += length;
        }
    }

    static byte[] encode(final Batch batch) {
        final BatchWriter writer = new BatchWriter();
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            final int spans = batch.sequence() % 3 == 0 || batch.seconds().stream().anyMatch(SecondUsage::isMerged) ?
                WireFormat.FLAG_SPANS : 0;
            final int context = batch.sequence() % 5 == 0 || batch.seconds().stream().anyMatch(SecondUsage::hasContext) ?
                WireFormat.FLAG_CONTEXT : 0;
            writer.begin(out, batch.agentId(), batch.sequence(), spans | context);
            for (final SecondUsage second : batch.seconds()) {
                writer.second(second.interfaceName(), second.profile(), second.epochSecond(), second.spanSeconds(),
                    second.network(), second.total(), second.nonIp(), second.unparsed(), second.overflow(),
                    second.uncaptured(), second.pcapReceived(), second.pcapDropped(), second.flows().size());
                for (final FlowUsage flow : second.flows()) {
                    writer.flow(flow);
                }
            }
            for (final ClockStep step : batch.clockSteps()) {
                writer.clockStep(step.detectedAtMillis(), step.stepMillis(), step.affectedFromSecond(),
                    step.affectedToSecond());
            }
            final int length = writer.end();
            if (length != out.readableBytes()) {
                throw new AssertionError("end() says " + length + " bytes, buffer holds " + out.readableBytes());
            }
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }
}
