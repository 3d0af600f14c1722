package org.esimmeter.collector.ingest;

import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;
import org.esimmeter.collector.web.Fixture;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.WireFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and mutated frames POSTed with a valid token: always 400 with a one-line reason (never 500, never a
 * dropped connection), the store unchanged, and the server still answering.
 */
class IngestFuzzTest {
    private static final long SEED = 0x5EED_E51AL;

    @TempDir
    Path dataDirectory;

    @Test
    void shouldRefuseEveryBrokenFrameAndStoreNothing() throws Exception {
        try (TestCollector collector = TestCollector.start(dataDirectory)) {
            assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
            final String before = collector.get("/v1/totals?from=2024-05-01&to=2024-05-02&by=flow").body();
            final Random random = new Random(SEED);
            final byte[] valid = Fixture.batchA1();
            int sent = 0;
            int skipped = 0;
            for (int i = 0; i < 600; i++) {
                final byte[] body = switch (i % 4) {
                    case 0 -> randomBytes(random);
                    case 1 -> flipped(random, valid);
                    case 2 -> resized(random, valid);
                    default -> withValidChecksum(flipped(random, valid));
                };
                if (decodes(body)) {
                    // A mutation with a repaired checksum can still be a valid batch (a changed byte in a name);
                    // that is not a broken frame.
                    skipped++;
                    continue;
                }
                final HttpResponse<String> response = collector.ingest(TOKEN_A, body);
                assertEquals(400, response.statusCode(), response.body());
                final String reason = TestCollector.json(response).get("error").asText();
                assertFalse(reason.isEmpty() || reason.contains("\n"), reason);
                sent++;
            }
            assertTrue(sent >= 550, "only " + sent + " broken frames (skipped " + skipped + ")");
            assertEquals(before, collector.get("/v1/totals?from=2024-05-01&to=2024-05-02&by=flow").body());
            assertEquals(1, collector.store.agents().size());
            assertEquals(1L, collector.store.agents().get(0).lastSequence());
            assertEquals(sent, (long) collector.registry.get("esim.http.rejected").tag("reason", "malformed")
                .counter().count());
            assertEquals(0.0, collector.registry.get("esim.http.rejected").tag("reason", "internal").counter().count());
            assertEquals(200, collector.ingest(TestCollector.TOKEN_B, Fixture.batchB1()).statusCode());
        }
    }

    private static boolean decodes(final byte[] body) {
        try {
            new BatchReader(16 << 20).read(Unpooled.wrappedBuffer(body));
            return true;
        } catch (final WireFormatException e) {
            return false;
        }
    }

    private static byte[] randomBytes(final Random random) {
        final byte[] bytes = new byte[random.nextInt(2000)];
        random.nextBytes(bytes);
        if (bytes.length >= 4 && random.nextBoolean()) {
            ByteBuffer.wrap(bytes).putInt(0, 0x45534D42); // past the magic check, into the deeper ones
        }
        return bytes;
    }

    private static byte[] flipped(final Random random, final byte[] valid) {
        final byte[] bytes = valid.clone();
        final int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
            bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return bytes;
    }

    private static byte[] resized(final Random random, final byte[] valid) {
        final int length = random.nextBoolean() ? random.nextInt(valid.length) : valid.length + 1 +
            random.nextInt(64);
        return Arrays.copyOf(valid, length);
    }

    /** Length field and CRC32C made consistent again, so the mutation reaches the body's own checks. */
    private static byte[] withValidChecksum(final byte[] bytes) {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.putInt(0, 0x45534D42);
        buffer.put(4, (byte) 1);
        buffer.putInt(8, bytes.length - 16);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        buffer.putInt(bytes.length - 4, (int) crc.getValue());
        return bytes;
    }
}
