package org.esimmeter.collector.web;

import static org.esimmeter.collector.web.TestCollector.READ_TOKEN;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics, /v1/openapi.json, the read token, and a graceful stop. */
class ServiceEndpointsTest {
    @TempDir
    Path dataDirectory;

    private TestCollector collector;

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    @Test
    void shouldCountIngestAndRejectionsInPrometheusText() throws Exception {
        collector = TestCollector.start(dataDirectory, "maxBatchBytes: 4096\n");
        assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
        assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
        assertEquals(200, collector.ingest(TestCollector.TOKEN_B, Fixture.batchB1()).statusCode());
        assertEquals(401, collector.ingest(null, Fixture.batchA1()).statusCode());
        assertEquals(400, collector.ingest(TOKEN_A, new byte[20]).statusCode());
        assertEquals(400, collector.ingest(TOKEN_A, new byte[21]).statusCode());
        assertEquals(413, collector.ingest(TOKEN_A, new byte[5000]).statusCode());
        assertEquals(400, collector.get("/v1/usage?step=5m").statusCode());
        assertEquals(404, collector.get("/nowhere").statusCode());
        assertEquals(405, collector.get("/v1/ingest").statusCode());
        assertEquals(200, collector.get("/v1/totals").statusCode());

        final HttpResponse<String> response = collector.get("/metrics");

        assertEquals(200, response.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
            response.headers().firstValue("content-type").orElse(""));
        final List<String> lines = Arrays.asList(response.body().split("\n"));
        assertTrue(lines.contains("esim_ingest_batches_total{outcome=\"stored\"} 2.0"), response.body());
        assertTrue(lines.contains("esim_ingest_batches_total{outcome=\"duplicate\"} 1.0"));
        assertTrue(lines.contains("esim_ingest_seconds_total 4.0"));
        assertTrue(lines.contains("esim_ingest_flows_total 6.0"));
        assertTrue(lines.contains("esim_ingest_latency_seconds_count 3"));
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("esim_ingest_latency_seconds{quantile=\"0.99\"}")));
        assertTrue(lines.contains("esim_store_latency_seconds_count{operation=\"ingest\"} 3"));
        assertTrue(lines.contains("esim_store_latency_seconds_count{operation=\"totals\"} 1"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"unauthorized\"} 1.0"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"malformed\"} 2.0"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"too_large\"} 1.0"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"bad_parameter\"} 1.0"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"not_found\"} 1.0"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"method_not_allowed\"} 1.0"));
        assertTrue(lines.contains("esim_http_rejected_total{reason=\"internal\"} 0.0"));
        assertTrue(lines.contains("esim_live_viewers 0.0"));
        assertTrue(lines.contains("esim_live_viewers_dropped_total 0.0"));
    }

    @Test
    void shouldServeAnOpenApiDocumentListingEveryPath() throws Exception {
        collector = TestCollector.start(dataDirectory);

        final HttpResponse<String> response = collector.get("/v1/openapi.json");

        assertEquals(200, response.statusCode());
        final JsonNode document = json(response);
        assertTrue(document.get("openapi").asText().startsWith("3."));
        final TreeSet<String> paths = new TreeSet<>();
        document.get("paths").fieldNames().forEachRemaining(paths::add);
        final TreeSet<String> routes = new TreeSet<>();
        for (final Route route : Route.values()) {
            routes.add(route.path());
        }
        assertEquals(routes, paths);
        final List<String> usageParameters = new ArrayList<>();
        document.get("paths").get("/v1/usage").get("get").get("parameters")
            .forEach(parameter -> usageParameters.add(parameter.get("name").asText()));
        assertEquals(List.of("from", "to", "step", "agent", "interface", "profile", "network", "device", "service",
            "by"), usageParameters);
        final List<String> topParameters = new ArrayList<>();
        document.get("paths").get("/v1/top").get("get").get("parameters")
            .forEach(parameter -> topParameters.add(parameter.get("name").asText()));
        assertTrue(topParameters.contains("limit"));
    }

    @Test
    void shouldRequireTheReadTokenForReadsWhenOneIsConfigured() throws Exception {
        collector = TestCollector.start(dataDirectory, "readToken: " + READ_TOKEN + "\n");
        assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());

        for (final String read : List.of("/v1/usage", "/v1/totals", "/v1/top", "/v1/agents",
            "/v1/profiles")) {
            assertEquals(401, collector.get(read).statusCode(), read);
            assertEquals(401, collector.get(read, "Authorization", "Bearer " + TOKEN_A).statusCode(), read);
            assertEquals(200, collector.get(read, "Authorization", "Bearer " + READ_TOKEN).statusCode(), read);
        }
        assertEquals("authorization : not the read token", TestCollector.error(
            collector.get("/v1/agents", "Authorization", "Bearer " + TOKEN_A)).get("error"));
        // Health, metrics and the API description stay open to probes and scrapers.
        assertEquals(200, collector.get("/healthz").statusCode());
        assertEquals(200, collector.get("/metrics").statusCode());
        assertEquals(200, collector.get("/v1/openapi.json").statusCode());
    }

    @Test
    void shouldStopAcceptingAndKeepWhatWasAcknowledged() throws Exception {
        collector = TestCollector.start(dataDirectory);
        assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
        final java.net.InetSocketAddress address = collector.server.address();

        collector.server.close();

        // The port is closed: a new connection is refused.
        try (java.net.Socket socket = new java.net.Socket()) {
            final java.io.IOException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.io.IOException.class, () -> socket.connect(address, 2000));
            assertTrue(refused instanceof java.net.ConnectException, refused.toString());
        }
        // What was acknowledged before the stop is in the store.
        assertEquals(1, collector.store.agents().size());
    }
}
