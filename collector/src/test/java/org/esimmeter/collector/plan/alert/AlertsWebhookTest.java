package org.esimmeter.collector.plan.alert;

import static org.esimmeter.collector.web.TestCollector.AGENT_A;
import static org.esimmeter.collector.web.TestCollector.READ_TOKEN;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.error;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.esimmeter.collector.web.Frames;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts end to end: batches POSTed to a real collector (real SQLite file, loopback port), a real webhook receiver
 * (com.sun.net.httpserver on a free loopback port). "Now" is 2026-11-20T12:00:00Z; the plan is 5 GB a month from
 * the 1st in Berlin, so the cycle is 2026-10-31T23:00:00Z .. 2026-11-30T23:00:00Z. 50 % is 2.5 GB, 80 % 4 GB.
 */
class AlertsWebhookTest {
    private static final long NOW = at("2026-11-20T12:00:00Z");
    private static final long CYCLE_START = at("2026-10-31T23:00:00Z");
    private static final long CYCLE_END = at("2026-11-30T23:00:00Z");
    private static final String ICCID = "8949000000000000077";
    private static final String PROFILES = "readToken: " + READ_TOKEN + "\n" +
        "alerts:\n  checkSeconds: 1\n" +
        "profiles:\n" +
        "  - id: travel-5gb\n" +
        "    label: Travel 5 GB\n" +
        "    iccid: \"" + ICCID + "\"\n" +
        "    plan: {type: monthly, capBytes: 5000000000, resetDay: 1, timeZone: Europe/Berlin}\n";
    private static final String RECEIVER_TOKEN = "token-of-the-receiver";
    private static final long DEADLINE_MILLIS = 15_000;

    @TempDir
    Path directory;

    private Receiver receiver;
    private TestCollector collector;
    private long sequence;

    @BeforeEach
    void startReceiver() throws IOException {
        receiver = new Receiver();
    }

    @AfterEach
    void stop() throws Exception {
        if (collector != null) {
            collector.close();
        }
        receiver.close();
    }

    @Test
    void shouldPostEachThresholdOnceWithItsFigures() throws Exception {
        collector = start(50);
        use(2_600_000_000L);
        awaitRequests(1);
        use(1_420_000_000L);
        awaitRequests(2);
        awaitChecks(collector, 2); // two more checks after the second POST: nothing more is sent

        assertEquals(2, receiver.requests.size());
        final Request fifty = receiver.requests.get(0);
        final JsonNode first = TestCollector.JSON.readTree(fifty.body);
        assertEquals("travel-5gb/" + CYCLE_START + "/percent/50", first.get("id").asText());
        assertEquals("travel-5gb", first.get("profile").asText());
        assertEquals("Travel 5 GB", first.get("label").asText());
        assertEquals("percent", first.get("kind").asText());
        assertEquals(50, first.get("thresholdPercent").asInt());
        assertTrue(first.get("budgetBytes").isNull());
        assertEquals(2_600_000_000L, first.get("usedBytes").asLong());
        assertEquals(5_000_000_000L, first.get("capBytes").asLong());
        assertEquals(CYCLE_START, first.get("cycle").get("start").asLong());
        assertEquals("2026-11-01T00:00:00+01:00", first.get("cycle").get("startTime").asText());
        assertEquals(CYCLE_END, first.get("cycle").get("end").asLong());
        assertEquals("2026-12-01T00:00:00+01:00", first.get("cycle").get("endTime").asText());
        assertEquals("Europe/Berlin", first.get("timeZone").asText());
        assertEquals(NOW, first.get("firedAt").asLong());
        assertEquals("profile travel-5gb: 50 % of 5.00 GB used (2.60 GB) in cycle 2026-11-01..2026-12-01",
            first.get("message").asText());
        assertEquals("Bearer " + RECEIVER_TOKEN, fifty.authorization);
        assertEquals(first.get("id").asText(), fifty.idempotencyKey);
        assertEquals("application/json", fifty.contentType);
        final JsonNode second = TestCollector.JSON.readTree(receiver.requests.get(1).body);
        assertEquals("travel-5gb/" + CYCLE_START + "/percent/80", second.get("id").asText());
        assertEquals(80, second.get("thresholdPercent").asInt());
        assertEquals(4_020_000_000L, second.get("usedBytes").asLong());
        assertEquals("profile travel-5gb: 80 % of 5.00 GB used (4.02 GB) in cycle 2026-11-01..2026-12-01",
            second.get("message").asText());

        awaitDelivered(2);
        final JsonNode alerts = alerts("");
        assertEquals(List.of("travel-5gb/" + CYCLE_START + "/percent/80", "travel-5gb/" + CYCLE_START +
            "/percent/50"), ids(alerts));
        for (final JsonNode alert : alerts) {
            assertEquals("delivered", alert.get("delivery").get("status").asText());
            assertEquals(1, alert.get("delivery").get("attempts").asInt());
            assertTrue(alert.get("delivery").get("lastError").isNull());
        }
        final List<String> metrics = collector.get("/metrics").body().lines().toList();
        assertTrue(metrics.contains("esim_alerts_fired_total{kind=\"percent\"} 2.0"), String.join("\n", metrics));
        assertTrue(metrics.contains("esim_alerts_fired_total{kind=\"daily_budget\"} 0.0"));
        assertTrue(metrics.contains("esim_alerts_delivered_total 2.0"));
        assertTrue(metrics.contains("esim_alerts_delivery_failures_total 0.0"));
    }

    @Test
    void shouldRetryUntilTheReceiverAcceptsAndDeliverExactlyOnce() throws Exception {
        receiver.statuses.add(500);
        receiver.statuses.add(500);
        collector = start(50);
        use(2_600_000_000L);

        awaitDelivered(1);
        awaitChecks(collector, 2);

        assertEquals(List.of(500, 500, 200), receiver.requests.stream().map(request -> request.answered).toList());
        for (final Request request : receiver.requests) {
            assertEquals("travel-5gb/" + CYCLE_START + "/percent/50", request.idempotencyKey);
            assertEquals(receiver.requests.get(0).body, request.body);
        }
        final JsonNode delivery = alerts("").get(0).get("delivery");
        assertEquals("delivered", delivery.get("status").asText());
        assertEquals(3, delivery.get("attempts").asInt());
        final List<String> metrics = collector.get("/metrics").body().lines().toList();
        assertTrue(metrics.contains("esim_alerts_delivered_total 1.0"), String.join("\n", metrics));
        assertTrue(metrics.contains("esim_alerts_delivery_failures_total 2.0"));
    }

    @Test
    void shouldNeitherFireNorSendAgainAfterARestart() throws Exception {
        collector = start(50);
        use(4_100_000_000L); // past 50 and 80 % at once: only 80 % is sent
        awaitDelivered(1);
        collector.close();

        collector = start(50);
        awaitChecks(collector, 2);

        assertEquals(1, receiver.requests.size());
        final JsonNode alerts = alerts("");
        assertEquals(List.of("travel-5gb/" + CYCLE_START + "/percent/80"), ids(alerts));
        assertEquals("delivered", alerts.get(0).get("delivery").get("status").asText());
        assertEquals(1, alerts.get(0).get("delivery").get("attempts").asInt());
    }

    @Test
    void shouldKeepRetryingAnUndeliveredAlertAfterARestart() throws Exception {
        receiver.fallback.set(503);
        collector = start(1_000);
        use(2_600_000_000L);
        await("the first attempt recorded", () -> alerts("").size() == 1 &&
            alerts("").get(0).get("delivery").get("attempts").asInt() == 1);
        final JsonNode pending = alerts("").get(0).get("delivery");
        assertEquals("pending", pending.get("status").asText());
        assertEquals("HTTP 503", pending.get("lastError").asText());
        collector.close();

        receiver.fallback.set(200);
        collector = start(1_000);
        awaitDelivered(1);

        assertEquals(List.of(503, 200), receiver.requests.stream().map(request -> request.answered).toList());
        assertEquals(receiver.requests.get(0).body, receiver.requests.get(1).body);
        assertEquals(2, alerts("").get(0).get("delivery").get("attempts").asInt());
    }

    @Test
    void shouldListAlertsByProfileAndRefuseBadParameters() throws Exception {
        collector = TestCollector.start(directory, PROFILES +
            "  - id: home\n" +
            "    plan: {type: monthly, capBytes: 1000, resetDay: 1, timeZone: UTC}\n" +
            "    alerts: {thresholds: [100]}\n", () -> NOW);
        use(2_600_000_000L);
        ingest("home", 1_000);
        await("two alerts", () -> alerts("").size() == 2);

        assertEquals("not_sent", alerts("").get(0).get("delivery").get("status").asText()); // no webhook
        assertEquals(List.of("travel-5gb/" + CYCLE_START + "/percent/50"), ids(alerts("?profile=" + ICCID)));
        assertEquals(List.of("home/" + at("2026-11-01T00:00:00Z") + "/percent/100"), ids(alerts("?profile=home")));
        assertEquals(1, alerts("?limit=1").size());
        assertEquals(401, collector.get("/v1/alerts").statusCode());
        assertBad("?profile=nope", "profile", "profile : nope (expected: the id or ICCID of a configured profile, " +
            "see /v1/profiles)");
        assertBad("?limit=0", "limit", "limit : 0 (expected: 1..1000)");
        assertBad("?limit=many", "limit", "limit : many (expected: 1..1000)");
        assertBad("?colour=red", "colour", "colour : unknown parameter (expected: limit, profile)");
        assertBad("?profile=home&profile=travel-5gb", "profile", "profile : given 2 times (expected: once)");
    }

    private TestCollector start(final int retryDelayMillis) throws Exception {
        return TestCollector.start(directory, PROFILES + "webhook:\n  url: " + receiver.url() + "\n" +
            "  bearerToken: " + RECEIVER_TOKEN + "\n  retryDelayMillis: " + retryDelayMillis + "\n" +
            "  maxRetryDelayMillis: " + retryDelayMillis + "\n  maxAttempts: 5\n  timeoutSeconds: 5\n", () -> NOW);
    }

    private void use(final long bytes) throws Exception {
        ingest("travel-5gb", bytes);
    }

    /** {@code bytes} IP bytes downloaded by {@code profile}, at a second of the cycle before "now". */
    private void ingest(final String profile, final long bytes) throws Exception {
        sequence++;
        final byte[] frame = Frames.batch(AGENT_A, sequence)
            .second("wwan0", profile, at("2026-11-10T08:00:00Z") + sequence)
            .flow(Direction.DOWN, 6, "1.1.1.1", 443, "10.0.0.2", 50000, 1_000, bytes + 40_000, bytes)
            .encode();
        final HttpResponse<String> response = collector.ingest(TOKEN_A, frame);
        assertEquals(200, response.statusCode(), response.body());
    }

    private JsonNode alerts(final String query) throws Exception {
        final HttpResponse<String> response = collector.get("/v1/alerts" + query, "Authorization",
            "Bearer " + READ_TOKEN);
        assertEquals(200, response.statusCode(), response.body());
        final JsonNode body = json(response);
        assertEquals(NOW, body.get("asOf").asLong());
        return body.get("alerts");
    }

    private void assertBad(final String query, final String parameter, final String message) throws Exception {
        final HttpResponse<String> response = collector.get("/v1/alerts" + query, "Authorization",
            "Bearer " + READ_TOKEN);
        assertEquals(400, response.statusCode(), response.body());
        assertEquals(Map.of("error", message, "parameter", parameter), error(response));
    }

    private void awaitRequests(final int count) throws Exception {
        await(count + " webhook requests", () -> receiver.requests.size() >= count);
    }

    private void awaitDelivered(final int count) throws Exception {
        await(count + " alerts delivered", () -> {
            final JsonNode alerts = alerts("");
            int delivered = 0;
            for (final JsonNode alert : alerts) {
                delivered += "delivered".equals(alert.get("delivery").get("status").asText()) ? 1 : 0;
            }
            return delivered == count;
        });
    }

    /** Waits until {@code more} checks of usage have run after this call (each one would have fired). */
    private static void awaitChecks(final TestCollector collector, final int more) throws Exception {
        final Timer checks = collector.registry.get("esim.store.latency").tag("operation", "alerts").timer();
        final long target = checks.count() + more;
        await(more + " more alert checks", () -> checks.count() >= target);
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(final String what, final Condition condition) throws Exception {
        final long deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000;
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + DEADLINE_MILLIS + " ms for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static List<String> ids(final JsonNode alerts) {
        final List<String> ids = new ArrayList<>();
        alerts.forEach(alert -> ids.add(alert.get("id").asText()));
        return ids;
    }

    private static long at(final String instant) {
        return Instant.parse(instant).getEpochSecond();
    }

    /** One POST the receiver got, and the status it answered. */
    private record Request(String body, String authorization, String idempotencyKey, String contentType,
        int answered) {
    }

    /** A webhook receiver on a free loopback port: answers the queued statuses first, then {@code fallback}. */
    private static final class Receiver implements AutoCloseable {
        final List<Request> requests = new CopyOnWriteArrayList<>();
        final Queue<Integer> statuses = new ConcurrentLinkedQueue<>();
        final AtomicInteger fallback = new AtomicInteger(200);
        private final HttpServer server;

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/hook", exchange -> {
                final String body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                final Integer queued = statuses.poll();
                final int status = queued == null ? fallback.get() : queued;
                requests.add(new Request(body, exchange.getRequestHeaders().getFirst("Authorization"),
                    exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                    exchange.getRequestHeaders().getFirst("Content-Type"), status));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
