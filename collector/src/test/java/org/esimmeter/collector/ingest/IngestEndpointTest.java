package org.esimmeter.collector.ingest;

import static org.esimmeter.collector.web.TestCollector.AGENT_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_B;
import static org.esimmeter.collector.web.TestCollector.error;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.esimmeter.collector.web.Fixture;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /v1/ingest against a real server and SQLite file: acknowledgements, authentication, malformed bodies. */
class IngestEndpointTest {
    private static final String TOTALS_BY_AGENT = "/v1/totals?from=2024-05-01&to=2024-05-02&by=agent";

    @TempDir
    Path dataDirectory;

    private TestCollector collector;

    @BeforeEach
    void start() throws Exception {
        collector = TestCollector.start(dataDirectory, "maxBatchBytes: 4096\n");
    }

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    @Test
    void shouldAcknowledgeAStoredBatchWithItsAgentAndSequence() throws Exception {
        final HttpResponse<String> response = collector.ingest(TOKEN_A, Fixture.batchA1());

        assertEquals(200, response.statusCode());
        assertEquals("application/json; charset=utf-8", response.headers().firstValue("content-type").orElse(""));
        assertEquals(Map.of("outcome", "stored", "agent", AGENT_A, "sequence", "1",
            "batches", "[{\"sequence\":1,\"outcome\":\"stored\"}]"), flat(json(response)));
        final JsonNode totals = json(collector.get(TOTALS_BY_AGENT)).get("groups");
        assertEquals(1, totals.size());
        assertEquals(AGENT_A, totals.get(0).get("agent").asText());
        assertEquals(50260, totals.get(0).get("total").get("wireBytes").asLong());
    }

    @Test
    void shouldStoreTheSameBatchOnceAndAnswerDuplicate() throws Exception {
        assertEquals("stored", json(collector.ingest(TOKEN_A, Fixture.batchA1())).get("outcome").asText());

        final HttpResponse<String> again = collector.ingest(TOKEN_A, Fixture.batchA1());

        assertEquals(200, again.statusCode());
        assertEquals(Map.of("outcome", "duplicate", "agent", AGENT_A, "sequence", "1",
            "batches", "[{\"sequence\":1,\"outcome\":\"duplicate\"}]"), flat(json(again)));
        final JsonNode total = json(collector.get(TOTALS_BY_AGENT)).get("groups").get(0).get("total");
        assertEquals(38, total.get("packets").asLong());
        assertEquals(50260, total.get("wireBytes").asLong());
        assertEquals(47972, total.get("ipBytes").asLong());
    }

    @Test
    void shouldRefuseABatchWithoutTokenAndStoreNothing() throws Exception {
        final HttpResponse<String> response = collector.ingest(null, Fixture.batchA1());

        assertEquals(401, response.statusCode());
        assertEquals("Bearer realm=\"esim-meter\"", response.headers().firstValue("www-authenticate").orElse(""));
        assertEquals(Map.of("error", "authorization : missing (expected: Authorization: Bearer TOKEN)"),
            error(response));
        assertNothingStored();
    }

    @Test
    void shouldRefuseATokenOfNoAgentAndStoreNothing() throws Exception {
        final HttpResponse<String> response = collector.ingest("not-a-token-of-anyone-at-all", Fixture.batchA1());

        assertEquals(401, response.statusCode());
        assertEquals(Map.of("error", "authorization : not the token of any configured agent"), error(response));
        assertNothingStored();
    }

    @Test
    void shouldRefuseAnotherAgentsTokenAndStoreNothing() throws Exception {
        final HttpResponse<String> response = collector.ingest(TOKEN_B, Fixture.batchA1());

        assertEquals(401, response.statusCode());
        assertEquals(Map.of("error", "authorization : the token is not agent router-a's"), error(response));
        assertNothingStored();
    }

    @Test
    void shouldRefuseABasicAuthorizationHeader() throws Exception {
        final HttpResponse<String> response = collector.send("POST", "/v1/ingest", Fixture.batchA1(),
            "Authorization", "Basic cm91dGVyLWE6c2VjcmV0");

        assertEquals(401, response.statusCode());
        assertEquals(Map.of("error", "authorization : not a bearer token (expected: Authorization: Bearer TOKEN)"),
            error(response));
        assertNothingStored();
    }

    @Test
    void shouldRefuseATruncatedFrame() throws Exception {
        final byte[] frame = Fixture.batchA1();

        assertMalformed(Arrays.copyOf(frame, frame.length - 5),
            "frame[0] : body length : " + (frame.length - 16) + " (frame has " + (frame.length - 21) + " body bytes)");
        assertMalformed(Arrays.copyOf(frame, 10), "frame[0] : truncated at 10 bytes (expected: >= 16)");
        assertMalformed(new byte[0], "body : empty (expected: 1..256 frames)");
    }

    @Test
    void shouldRefuseABadMagic() throws Exception {
        final byte[] frame = Fixture.batchA1();
        frame[0] = 'X';

        assertMalformed(frame, "frame[0] : magic : 0x58534d42 (expected: 0x45534d42, \"ESMB\")");
    }

    @Test
    void shouldRefuseABadChecksum() throws Exception {
        final byte[] frame = Fixture.batchA1();
        final int crc = ByteBuffer.wrap(frame, frame.length - 4, 4).getInt();
        frame[20] ^= 0x01;

        final HttpResponse<String> response = collector.ingest(TOKEN_A, frame);

        assertEquals(400, response.statusCode());
        final String message = error(response).get("error");
        assertTrue(message.startsWith("frame[0] : checksum : 0x") && message.endsWith(String.format("(frame says 0x%08x)", crc)),
            message);
        assertNothingStored();
    }

    @Test
    void shouldRefuseBytesAfterTheLastSecond() throws Exception {
        final byte[] frame = Fixture.batchA1();
        // Same frame with one extra body byte, length and checksum made consistent again.
        final byte[] longer = Arrays.copyOf(frame, frame.length + 1);
        longer[frame.length - 4] = 0;
        ByteBuffer.wrap(longer).putInt(8, frame.length - 16 + 1);
        final CRC32C crc = new CRC32C();
        crc.update(longer, 0, longer.length - 4);
        ByteBuffer.wrap(longer).putInt(longer.length - 4, (int) crc.getValue());

        assertMalformed(longer, "frame[0] : body : 1 bytes after the last second");
    }

    @Test
    void shouldRefuseASecondWhoseTotalIsNotTheSumOfItsParts() throws Exception {
        final TrafficCounters total = new TrafficCounters();
        total.add(Direction.UP, 3, 300, 280);
        final ByteBuf out = Unpooled.buffer();
        final byte[] frame;
        try {
            new BatchWriter().begin(out, AGENT_A, 7)
                .second("wwan0", "esim-eu", Fixture.T0, total, new TrafficCounters(), new TrafficCounters(),
                    new TrafficCounters(), 0, 0, 1)
                .flow(Direction.UP, 4, Fixture.UDP, 0, 0x0000_FFFF_0A00_0002L, 1000, 0, 0x0000_FFFF_0808_0808L, 53,
                    2, 200, 172)
                .end();
            frame = ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }

        assertMalformed(frame,
            "frame[0] : second[0] : flows + overflow + nonIp + unparsed = 2 but total = 3 (up, packets)");
    }

    @Test
    void shouldRefuseABodyOverMaxBatchBytesBeforeReadingIt() throws Exception {
        final HttpResponse<String> response = collector.ingest(TOKEN_A, new byte[5000]);

        assertEquals(413, response.statusCode());
        assertEquals(Map.of("error", "body : 5000 bytes (expected: <= 4096, the configured maxBatchBytes)"),
            error(response));
        assertNothingStored();
    }

    @Test
    void shouldKeepServingAfterEveryKindOfRefusal() throws Exception {
        final byte[] frame = Fixture.batchA1();
        assertEquals(401, collector.ingest(null, frame).statusCode());
        assertEquals(400, collector.ingest(TOKEN_A, Arrays.copyOf(frame, 20)).statusCode());
        assertEquals(413, collector.ingest(TOKEN_A, new byte[4097]).statusCode());

        final HttpResponse<String> response = collector.ingest(TOKEN_A, frame);

        assertEquals(200, response.statusCode());
        assertEquals("stored", json(response).get("outcome").asText());
    }

    private void assertMalformed(final byte[] frame, final String reason) throws Exception {
        final HttpResponse<String> response = collector.ingest(TOKEN_A, frame);
        assertEquals(400, response.statusCode(), response.body());
        assertEquals(Map.of("error", reason), error(response));
        assertNothingStored();
    }

    private void assertNothingStored() throws Exception {
        assertEquals(List.of(), collector.store.agents());
        assertEquals(0, json(collector.get(TOTALS_BY_AGENT)).get("groups").size());
    }

    private static Map<String, String> flat(final JsonNode node) {
        final Map<String, String> map = new java.util.TreeMap<>();
        node.properties().forEach(field -> map.put(field.getKey(), field.getValue().isContainerNode() ?
            field.getValue().toString() : field.getValue().asText()));
        return map;
    }
}
