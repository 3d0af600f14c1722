package org.esimmeter.collector.web;

import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** GET /v1/live: events as batches are stored, filters, heartbeats, and slow viewers dropped. */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LiveStreamTest {
    @TempDir
    Path dataDirectory;

    private TestCollector collector;

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    @Test
    void shouldDeliverEachStoredInterfaceSecondAsAnEvent() throws Exception {
        collector = TestCollector.start(dataDirectory);
        try (Viewer viewer = open("/v1/live")) {
            assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());

            final JsonNode first = viewer.nextEvent();
            assertEquals("router-a", first.get("agent").asText());
            assertEquals("wwan0", first.get("interface").asText());
            assertEquals("esim-eu", first.get("profile").asText());
            assertEquals(Fixture.T0, first.get("t").asLong());
            assertEquals("2024-05-01T00:00:00Z", first.get("time").asText());
            assertEquals(10, first.get("up").get("packets").asLong());
            assertEquals(15000, first.get("up").get("wireBytes").asLong());
            assertEquals(14000, first.get("up").get("ipBytes").asLong());
            assertEquals(21, first.get("down").get("packets").asLong());
            assertEquals(30060, first.get("down").get("wireBytes").asLong());
            assertEquals(29000, first.get("down").get("ipBytes").asLong());
            assertEquals(45060, first.get("total").get("wireBytes").asLong());
            assertEquals(2, first.get("flows").asInt());
            assertEquals(Fixture.T0 + 1, viewer.nextEvent().get("t").asLong());
            final JsonNode third = viewer.nextEvent();
            assertEquals("wwan1", third.get("interface").asText());
            assertEquals(5000, third.get("total").get("wireBytes").asLong());
        }
    }

    @Test
    void shouldSendOnlyTheFilteredAgentsSeconds() throws Exception {
        collector = TestCollector.start(dataDirectory);
        try (Viewer viewer = open("/v1/live?agent=router-b")) {
            assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
            assertEquals(200, collector.ingest(TOKEN_B, Fixture.batchB1()).statusCode());

            final JsonNode event = viewer.nextEvent();
            assertEquals("router-b", event.get("agent").asText());
            assertEquals(Fixture.T0 + 2, event.get("t").asLong());
            assertEquals(200, event.get("up").get("wireBytes").asLong());
        }
    }

    @Test
    void shouldNotRepeatADuplicateBatch() throws Exception {
        collector = TestCollector.start(dataDirectory);
        try (Viewer viewer = open("/v1/live?interface=wwan0")) {
            assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
            assertEquals("duplicate", TestCollector.json(collector.ingest(TOKEN_A, Fixture.batchA1()))
                .get("outcome").asText());
            assertEquals(200, collector.ingest(TOKEN_B, Fixture.batchB1()).statusCode());

            assertEquals("router-a " + Fixture.T0, key(viewer.nextEvent()));
            assertEquals("router-a " + (Fixture.T0 + 1), key(viewer.nextEvent()));
            // Had the duplicate been published, router-a's seconds would come again before router-b's.
            assertEquals("router-b " + (Fixture.T0 + 2), key(viewer.nextEvent()));
        }
    }

    @Test
    void shouldFilterByServingNetworkAndShowUncapturedBytes() throws Exception {
        collector = TestCollector.start(dataDirectory);
        try (Viewer viewer = open("/v1/live?network=26201")) {
            // At home on 23415, then roaming on 26201 with 3 packets / 4,500 bytes the capture never saw.
            assertEquals(200, collector.ingest(TOKEN_A, Frames.batch(TestCollector.AGENT_A, 1)
                .second("wwan0", "esim-eu", Fixture.T0).network("23415")
                .nonIp(org.esimmeter.wire.Direction.UP, 1, 60)
                .second("wwan0", "esim-eu", Fixture.T0 + 1).network("26201")
                .nonIp(org.esimmeter.wire.Direction.UP, 1, 70)
                .uncaptured(org.esimmeter.wire.Direction.DOWN, 3, 4500, 4458)
                .encode()).statusCode());

            final JsonNode roaming = viewer.nextEvent();
            assertEquals(Fixture.T0 + 1, roaming.get("t").asLong(), "the home second is not this viewer's");
            assertEquals("26201", roaming.get("network").asText());
            assertEquals(70, roaming.get("total").get("wireBytes").asLong());
            assertEquals(4500, roaming.get("uncaptured").get("down").get("wireBytes").asLong());
            assertEquals(4458, roaming.get("uncaptured").get("total").get("ipBytes").asLong());
        }
        final java.net.http.HttpResponse<String> bad = collector.get("/v1/live?network=UK");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("network"), bad.body());
    }

    @Test
    void shouldSayTheSpanOfAMergedRecordAndOnlyOfIt() throws Exception {
        collector = TestCollector.start(dataDirectory);
        try (Viewer viewer = open("/v1/live")) {
            assertEquals(200, collector.ingest(TOKEN_A, Frames.batch(TestCollector.AGENT_A, 1)
                .second("wwan0", "esim-eu", Fixture.T0 + 59)
                .nonIp(org.esimmeter.wire.Direction.UP, 1, 60)
                .merged("wwan0", "esim-eu", Fixture.T0 + 60, 60)
                .nonIp(org.esimmeter.wire.Direction.UP, 30, 1800)
                .encode()).statusCode());

            final JsonNode second = viewer.nextEvent();
            assertEquals(Fixture.T0 + 59, second.get("t").asLong());
            assertTrue(!second.has("spanSeconds"), second.toString());
            final JsonNode merged = viewer.nextEvent();
            assertEquals(Fixture.T0 + 60, merged.get("t").asLong());
            assertEquals(60, merged.get("spanSeconds").asInt());
            assertEquals(1800, merged.get("total").get("wireBytes").asLong());
        }
    }

    @Test
    void shouldSendHeartbeatsOnAQuietStream() throws Exception {
        collector = TestCollector.start(dataDirectory, "live:\n  heartbeatSeconds: 1\n");
        try (Viewer viewer = open("/v1/live")) {
            assertEquals(": heartbeat", viewer.nextLine());
        }
    }

    @Test
    void shouldRequireTheReadTokenAsHeaderOrAccessTokenParameter() throws Exception {
        collector = TestCollector.start(dataDirectory, "readToken: " + TestCollector.READ_TOKEN + "\n");
        final HttpResponse<String> refused = collector.get("/v1/live");
        assertEquals(401, refused.statusCode());
        assertEquals("authorization : missing (expected: Authorization: Bearer TOKEN)",
            TestCollector.error(refused).get("error"));
        assertEquals(401, collector.get("/v1/live?access_token=wrong-token-0123456789").statusCode());

        try (Viewer viewer = open("/v1/live?access_token=" + TestCollector.READ_TOKEN)) {
            assertEquals(200, collector.ingest(TOKEN_B, Fixture.batchB1()).statusCode());
            assertEquals("router-b", viewer.nextEvent().get("agent").asText());
        }
    }

    @Test
    void shouldDisconnectAViewerThatDoesNotReadWithoutHoldingUpOthers() throws Exception {
        collector = TestCollector.start(dataDirectory, "live:\n  viewerBufferBytes: 4096\n");
        try (Socket stalled = new Socket()) {
            // A tiny receive window: the collector's socket buffer fills, then the viewer's outbound buffer.
            stalled.setReceiveBufferSize(1024);
            stalled.connect(collector.server.address());
            final OutputStream out = stalled.getOutputStream();
            out.write("GET /v1/live HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try (Viewer reader = open("/v1/live?agent=router-b")) {
                awaitViewers(2);
                long sequence = 1;
                while (dropped() == 0) {
                    assertTrue(sequence < 100_000, "the stalled viewer was never dropped");
                    final Frames batch = Frames.batch(TestCollector.AGENT_A, sequence++);
                    for (int second = 0; second < 50; second++) {
                        batch.second("wwan0", "esim-eu", Fixture.T0 + sequence * 100 + second)
                            .flow(0, Fixture.TCP, "10.0.0.2", 50000, "93.184.216.34", 443, 1, 100, 80);
                    }
                    assertEquals(200, collector.ingest(TOKEN_A, batch.encode()).statusCode());
                }
                assertEquals(1.0, dropped());
                // Never on the first batch: a viewer's backlog is judged when the next batch arrives, so it is
                // dropped for what it left unread. How many batches the kernel's socket buffers absorb before that
                // depends on the machine, so only the policy's lower bound is asserted.
                assertTrue(sequence - 1 >= 2, "dropped after " + (sequence - 1) + " batch(es)");
                awaitViewers(1);
                assertEquals(200, collector.ingest(TOKEN_B, Fixture.batchB1()).statusCode());
                assertEquals("router-b", reader.nextEvent().get("agent").asText());
            }
        }
    }

    @Test
    void shouldKeepAReadingViewerWhoseBatchIsLargerThanItsBuffer() throws Exception {
        collector = TestCollector.start(dataDirectory, "live:\n  viewerBufferBytes: 4096\n");
        try (Viewer viewer = open("/v1/live")) {
            final Frames batch = Frames.batch(TestCollector.AGENT_A, 1);
            for (int second = 0; second < 100; second++) {
                batch.second("wwan0", "esim-eu", Fixture.T0 + second)
                    .flow(0, Fixture.TCP, "10.0.0.2", 50000, "93.184.216.34", 443, 1, 100, 80);
            }
            assertEquals(200, collector.ingest(TOKEN_A, batch.encode()).statusCode());

            for (int second = 0; second < 100; second++) {
                assertEquals(Fixture.T0 + second, viewer.nextEvent().get("t").asLong());
            }
            assertEquals(0.0, dropped());
        }
    }

    private double dropped() {
        return collector.registry.get("esim.live.viewers.dropped").counter().count();
    }

    private void awaitViewers(final int expected) throws InterruptedException {
        while (collector.registry.get("esim.live.viewers").gauge().value() != expected) {
            Thread.sleep(10); // polling a condition; the @Timeout bounds the wait
        }
    }

    private static String key(final JsonNode event) {
        return event.get("agent").asText() + " " + event.get("t").asLong();
    }

    private Viewer open(final String pathAndQuery) throws Exception {
        final HttpResponse<InputStream> response = collector.client.send(
            HttpRequest.newBuilder(collector.uri(pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("content-type").orElse(""));
        final Viewer viewer = new Viewer(new BufferedReader(new InputStreamReader(response.body(),
            StandardCharsets.UTF_8)));
        // The opening comment arrives after the viewer has joined the fan-out: from here on nothing is missed.
        assertEquals(": esim-meter live stream", viewer.nextLine());
        assertEquals("", viewer.nextLine());
        return viewer;
    }

    /** Reads an event stream line by line. */
    private static final class Viewer implements AutoCloseable {
        private final BufferedReader reader;

        Viewer(final BufferedReader reader) {
            this.reader = reader;
        }

        String nextLine() throws Exception {
            final String line = reader.readLine();
            assertTrue(line != null, "stream ended");
            return line;
        }

        /** The next {@code second} event's data, skipping heartbeats. */
        JsonNode nextEvent() throws Exception {
            String line = nextLine();
            while (line.isEmpty() || line.startsWith(":")) {
                line = nextLine();
            }
            assertEquals("event: second", line);
            final String data = nextLine();
            assertTrue(data.startsWith("data: "), data);
            assertEquals("", nextLine());
            return TestCollector.JSON.readTree(data.substring("data: ".length()));
        }

        @Override
        public void close() throws java.io.IOException {
            reader.close();
        }
    }
}
