package org.esimmeter.wire;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random bytes and mutated valid frames: the reader either returns a batch that obeys every rule of the format or
 * throws {@link WireFormatException} — never another exception, never an allocation sized by a forged count.
 * Half the mutants get a fresh checksum (and body length) so that mutations reach the body decoder.
 */
class BatchReaderFuzzTest {
    private static final long SEED = 0x5EED_0003L;
    private static final int ITERATIONS = 300_000;
    private static final long BUDGET_NANOS = 4_000_000_000L;

    private final Random random = new Random(SEED);
    private final BatchReader reader = new BatchReader(64 << 10);
    private int accepted;
    private int refusedPastChecksum;
    private int acceptedSpans;
    private int acceptedClockSteps;
    private int refusedFlags;
    private int refusedSpans;
    private int refusedClockSteps;

    @Test
    void shouldAcceptOnlyValidBatchesAndRefuseEverythingElseWithWireFormatException() {
        final List<byte[]> seeds = new ArrayList<>();
        seeds.add(GoldenBatch.frame());
        seeds.add(GoldenExtensions.mergedFrame());
        seeds.add(GoldenExtensions.clockFrame());
        final RandomBatches batches = new RandomBatches(SEED);
        while (seeds.size() < 40) {
            final byte[] frame = RandomBatches.encode(batches.next());
            if (frame.length <= 64 << 10) {
                seeds.add(frame);
            }
        }
        final long deadline = System.nanoTime() + BUDGET_NANOS;
        int iterations = 0;
        for (; iterations < ITERATIONS && System.nanoTime() < deadline; iterations++) {
            final byte[] input = iterations % 10 == 0 ? randomFrame() : mutate(seeds.get(random.nextInt(seeds.size())));
            check(input, iterations);
        }
        assertTrue(iterations >= 20_000, "only " + iterations + " iterations in the time budget");
        // The mutants reach the body decoder: some pass entirely, many are refused for what the body says.
        assertTrue(accepted > iterations / 50, accepted + " accepted of " + iterations);
        assertTrue(refusedPastChecksum > iterations / 10, refusedPastChecksum + " refused in the body");
        // The flags are fuzzed too: merged records and clock steps come through, and so do refusals of their values.
        assertTrue(acceptedSpans > iterations / 500, acceptedSpans + " accepted with spans");
        assertTrue(acceptedClockSteps > iterations / 500, acceptedClockSteps + " accepted with clock steps");
        assertTrue(refusedFlags > 0 && refusedSpans > 0 && refusedClockSteps > 0,
            refusedFlags + " flags, " + refusedSpans + " spans, " + refusedClockSteps + " clock steps refused");
    }

    private void check(final byte[] input, final int iteration) {
        final ByteBuf buffer = Unpooled.wrappedBuffer(input);
        try {
            final Batch batch = reader.read(buffer);
            accepted++;
            verify(batch);
            acceptedSpans += batch.seconds().stream().anyMatch(SecondUsage::isMerged) ? 1 : 0;
            acceptedClockSteps += batch.clockSteps().isEmpty() ? 0 : 1;
        } catch (final WireFormatException e) {
            final String message = e.getMessage();
            if (message.contains("\n") || message.isBlank()) {
                fail("multi-line or blank reason at iteration " + iteration + ": " + message);
            }
            if (!message.startsWith("checksum") && !message.startsWith("body length") && !message.startsWith("frame") &&
                !message.startsWith("magic") && !message.startsWith("version")) {
                refusedPastChecksum++;
            }
            refusedFlags += message.startsWith("flags") ? 1 : 0;
            refusedSpans += message.contains(".spanSeconds") ? 1 : 0;
            refusedClockSteps += message.startsWith("clock") ? 1 : 0;
        } catch (final Throwable e) {
            throw new AssertionError("iteration " + iteration + " (seed " + SEED + "): " + e + " on " +
                HexFormat.of().formatHex(input), e);
        } finally {
            buffer.release();
        }
    }

    private static void verify(final Batch batch) {
        string(batch.agentId());
        for (final ClockStep step : batch.clockSteps()) {
            assertTrue(step.stepMillis() != 0, "accepted a clock step of 0 ms");
            assertTrue(step.affectedFromSecond() <= step.affectedToSecond(), "accepted " + step);
        }
        for (final SecondUsage second : batch.seconds()) {
            assertTrue(second.spanSeconds() >= 1 && second.spanSeconds() <= WireFormat.MAX_SPAN_SECONDS,
                "accepted span " + second.spanSeconds());
            string(second.interfaceName());
            string(second.profile());
            assertTrue(second.pcapReceived() >= 0 && second.pcapDropped() >= 0);
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                    long parts = 0;
                    for (final FlowUsage flow : second.flows()) {
                        if (flow.direction() == direction) {
                            parts = Math.addExact(parts, metric == 0 ? flow.packets() :
                                metric == 1 ? flow.wireBytes() : flow.ipBytes());
                        }
                    }
                    parts = Math.addExact(parts, second.overflow().get(direction, metric));
                    parts = Math.addExact(parts, second.nonIp().get(direction, metric));
                    parts = Math.addExact(parts, second.unparsed().get(direction, metric));
                    if (parts != second.total().get(direction, metric) || parts < 0) {
                        fail("accepted a second whose parts (" + parts + ") differ from its total " +
                            second.total().get(direction, metric));
                    }
                }
            }
            for (final FlowUsage flow : second.flows()) {
                assertTrue(flow.direction() >= 0 && flow.direction() < Direction.COUNT);
                assertTrue(flow.ipVersion() == 4 || flow.ipVersion() == 6);
                assertTrue(flow.protocol() >= 0 && flow.protocol() < 256);
                assertTrue(flow.srcPort() >= 0 && flow.srcPort() < 65536 && flow.dstPort() >= 0 &&
                    flow.dstPort() < 65536);
                assertTrue(flow.packets() >= 0 && flow.wireBytes() >= 0 && flow.ipBytes() >= 0);
            }
        }
    }

    private static void string(final String value) {
        final int length = value.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(length >= 1 && length <= 255, "string of " + length + " bytes");
    }

    /** Random bytes; half of them behind a valid header and checksum. */
    private byte[] randomFrame() {
        final byte[] body = new byte[random.nextInt(400)];
        random.nextBytes(body);
        return random.nextBoolean() ? WireBytes.frame(body) : body;
    }

    private byte[] mutate(final byte[] seed) {
        byte[] frame = seed.clone();
        final int mutations = random.nextInt(4) == 0 ? 2 + random.nextInt(6) : 1;
        for (int m = 0; m < mutations; m++) {
            final int at = random.nextInt(frame.length);
            switch (random.nextInt(9)) {
                case 0: frame[at] = (byte) random.nextInt(256); break;
                case 1: frame[at] ^= (byte) (1 << random.nextInt(8)); break;
                case 2: frame[at] = (byte) (random.nextBoolean() ? 0 : 0xFF); break;
                case 3: // a 4-byte field to an extreme
                    if (at + 4 <= frame.length) {
                        final int[] extremes = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x80};
                        ByteBuffer.wrap(frame).putInt(at, extremes[random.nextInt(extremes.length)]);
                    }
                    break;
                case 4: // delete a range
                    final int deleted = Math.min(1 + random.nextInt(8), frame.length - at);
                    frame = WireBytes.cat(Arrays.copyOfRange(frame, 0, at),
                        Arrays.copyOfRange(frame, at + deleted, frame.length));
                    break;
                case 5: // insert random bytes
                    final byte[] inserted = new byte[1 + random.nextInt(8)];
                    random.nextBytes(inserted);
                    frame = WireBytes.cat(Arrays.copyOfRange(frame, 0, at), inserted,
                        Arrays.copyOfRange(frame, at, frame.length));
                    break;
                case 6: // truncate
                    frame = Arrays.copyOf(frame, at);
                    break;
                case 7: // the header's flags: a known combination (the body then reads differently) or unknown bits
                    if (frame.length > WireFormat.FLAGS_OFFSET) {
                        frame[WireFormat.FLAGS_OFFSET] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) :
                            random.nextInt(4));
                    }
                    break;
                default: // a varint continuation bit set or cleared
                    frame[at] ^= (byte) 0x80;
                    break;
            }
            if (frame.length == 0) {
                break;
            }
        }
        if (random.nextBoolean() && frame.length >= 16) {
            ByteBuffer.wrap(frame).putInt(WireFormat.BODY_LENGTH_OFFSET, frame.length - 16);
            WireBytes.recrc(frame);
        }
        return frame;
    }
}
