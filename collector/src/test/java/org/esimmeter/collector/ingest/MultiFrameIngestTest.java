package org.esimmeter.collector.ingest;

import static org.esimmeter.collector.web.TestCollector.AGENT_A;
import static org.esimmeter.collector.web.TestCollector.AGENT_B;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.error;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.esimmeter.collector.web.Fixture;
import org.esimmeter.collector.web.Frames;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /v1/ingest with several frames back to back, as an agent sends its backlog after an outage: every batch
 * stored once in one transaction, 200 only when all are durable, and a bad frame anywhere stores nothing.
 */
class MultiFrameIngestTest {
    private static final String TOTALS_BY_AGENT = "/v1/totals?from=2024-05-01&to=2024-05-02&by=agent";

    @TempDir
    Path dataDirectory;

    private TestCollector collector;

    @AfterEach
    void stop() throws Exception {
        if (collector != null) {
            collector.close();
        }
    }

    /** Batch {@code sequence} of router-a: one second at T0 + sequence with {@code sequence * 100} wire bytes up. */
    private static byte[] frame(final String agent, final long sequence) {
        return Frames.batch(agent, sequence)
            .second("wwan0", "esim-eu", Fixture.T0 + sequence)
            .flow(Direction.UP, Fixture.UDP, "10.0.0.2", 5353, "1.1.1.1", 53, 1, sequence * 100, sequence * 100 - 14)
            .encode();
    }

    private static byte[] cat(final byte[]... frames) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] frame : frames) {
            out.writeBytes(frame);
        }
        return out.toByteArray();
    }

    private static String outcomes(final HttpResponse<String> response) throws Exception {
        final StringBuilder text = new StringBuilder();
        for (final JsonNode batch : json(response).get("batches")) {
            text.append(text.length() == 0 ? "" : " ").append(batch.get("sequence").asLong()).append('=')
                .append(batch.get("outcome").asText());
        }
        return text.toString();
    }

    private long wireBytesStored() throws Exception {
        final JsonNode groups = json(collector.get(TOTALS_BY_AGENT)).get("groups");
        long sum = 0;
        for (final JsonNode group : groups) {
            sum += group.get("total").get("wireBytes").asLong();
        }
        return sum;
    }

    private List<String> metric(final String prefix) throws Exception {
        return Arrays.stream(collector.get("/metrics").body().split("\n")).filter(line -> line.startsWith(prefix))
            .sorted().toList();
    }

    @Test
    void shouldStoreEveryFrameOnceAndAnswerDuplicateForEachWhenResent() throws Exception {
        collector = TestCollector.start(dataDirectory);
        final byte[] body = cat(frame(AGENT_A, 1), frame(AGENT_A, 2), frame(AGENT_A, 3));

        final HttpResponse<String> first = collector.ingest(TOKEN_A, body);

        assertEquals(200, first.statusCode(), first.body());
        assertEquals(AGENT_A, json(first).get("agent").asText());
        assertEquals("1=stored 2=stored 3=stored", outcomes(first));
        // Several frames: no single outcome to give at the top level.
        assertTrue(!json(first).has("outcome") && !json(first).has("sequence"), first.body());
        assertEquals(600, wireBytesStored());

        final HttpResponse<String> again = collector.ingest(TOKEN_A, body);

        assertEquals(200, again.statusCode());
        assertEquals("1=duplicate 2=duplicate 3=duplicate", outcomes(again));
        assertEquals(600, wireBytesStored());
        // A resend that overlaps: the known ones duplicate, the new one stored.
        assertEquals("3=duplicate 4=stored", outcomes(collector.ingest(TOKEN_A, cat(frame(AGENT_A, 3),
            frame(AGENT_A, 4)))));
        assertEquals(1000, wireBytesStored());
        assertEquals(List.of("esim_ingest_batches_total{outcome=\"duplicate\"} 4.0",
            "esim_ingest_batches_total{outcome=\"stored\"} 4.0"), metric("esim_ingest_batches_total"));
        assertEquals(List.of("esim_ingest_seconds_total 4.0"), metric("esim_ingest_seconds_total"));
        // One store call (and latency sample) per request, not per batch.
        assertEquals(List.of("esim_ingest_latency_seconds_count 3"), metric("esim_ingest_latency_seconds_count"));
    }

    @Test
    void shouldRefuseTheWholeBodyNamingABadFrameInTheMiddleAndStoreNothing() throws Exception {
        collector = TestCollector.start(dataDirectory);
        final byte[] bad = frame(AGENT_A, 2);
        final int crc = ByteBuffer.wrap(bad, bad.length - 4, 4).getInt();
        bad[20] ^= 0x01;
        final CRC32C actual = new CRC32C();
        actual.update(bad, 0, bad.length - 4);

        final HttpResponse<String> response = collector.ingest(TOKEN_A, cat(frame(AGENT_A, 1), bad,
            frame(AGENT_A, 3)));

        assertEquals(400, response.statusCode());
        assertEquals(Map.of("error", String.format("frame[1] : checksum : 0x%08x (frame says 0x%08x)",
            (int) actual.getValue(), crc)), error(response));
        assertEquals(List.of(), collector.store.agents());
        assertEquals(0, wireBytesStored());
        // The agent's retry with the frame intact stores all three.
        assertEquals("1=stored 2=stored 3=stored", outcomes(collector.ingest(TOKEN_A, cat(frame(AGENT_A, 1),
            frame(AGENT_A, 2), frame(AGENT_A, 3)))));
    }

    @Test
    void shouldRefuseAFrameOfAnotherAgentAndStoreNothing() throws Exception {
        collector = TestCollector.start(dataDirectory);

        final HttpResponse<String> response = collector.ingest(TOKEN_A, cat(frame(AGENT_A, 1), frame(AGENT_A, 2),
            frame(AGENT_B, 3)));

        assertEquals(401, response.statusCode());
        assertEquals(Map.of("error", "authorization : the token is not agent router-b's (frame[2])"),
            error(response));
        assertEquals(0, wireBytesStored());
    }

    @Test
    void shouldTakeUpTo256FramesAndRefuse257() throws Exception {
        collector = TestCollector.start(dataDirectory);
        final byte[][] frames = new byte[257][];
        long expected = 0;
        for (int i = 0; i < 257; i++) {
            frames[i] = frame(AGENT_A, i + 1);
            expected += i < 256 ? (i + 1) * 100L : 0;
        }

        final HttpResponse<String> tooMany = collector.ingest(TOKEN_A, cat(frames));

        assertEquals(400, tooMany.statusCode());
        assertEquals(Map.of("error", "frames : more than 256 in one body (expected: 1..256)"), error(tooMany));
        assertEquals(0, wireBytesStored());

        final HttpResponse<String> full = collector.ingest(TOKEN_A, cat(Arrays.copyOf(frames, 256)));

        assertEquals(200, full.statusCode());
        assertEquals(256, json(full).get("batches").size());
        assertEquals(expected, wireBytesStored());
    }

    @Test
    void shouldKeepTheConfiguredBodyBound() throws Exception {
        collector = TestCollector.start(dataDirectory, "maxBatchBytes: 4096\n");
        // As many frames as fit in 4096 bytes, and one more.
        final List<byte[]> list = new java.util.ArrayList<>();
        int bytes = 0;
        while (bytes <= 4096) {
            list.add(frame(AGENT_A, list.size() + 1));
            bytes += list.get(list.size() - 1).length;
        }
        final byte[][] frames = list.toArray(new byte[0][]);
        final int fit = frames.length - 1;
        final byte[] body = cat(frames);

        final HttpResponse<String> response = collector.ingest(TOKEN_A, body);

        assertEquals(413, response.statusCode());
        assertEquals(Map.of("error", "body : " + body.length + " bytes (expected: <= 4096, the configured " +
            "maxBatchBytes)"), error(response));
        assertEquals(0, wireBytesStored());
        assertEquals(200, collector.ingest(TOKEN_A, cat(Arrays.copyOf(frames, fit))).statusCode());
    }
}
