package org.esimmeter.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.cli.UsageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The agent's {@code GET /metrics} on a real loopback port: what it serves, what it refuses, how it binds. */
class MetricsEndpointTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final AgentMetrics metrics = new AgentMetrics();

    @AfterEach
    void close() {
        metrics.close();
    }

    private MetricsEndpoint serveOnAFreePort() throws UsageException {
        metrics.serve(new AgentConfig.Metrics(null, "127.0.0.1:0"));
        return metrics.endpoint();
    }

    private HttpResponse<String> send(final String method, final String path) throws Exception {
        final URI uri = URI.create("http://127.0.0.1:" + metrics.endpoint().address().getPort() + path);
        return client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeTheRegistryAsPrometheusText() throws Exception {
        Counter.builder("esimmeter.agent.test.things").register(metrics.registry()).increment(3);
        Gauge.builder("esimmeter.agent.test.level", () -> 42).register(metrics.registry());
        final MetricsEndpoint endpoint = serveOnAFreePort();
        assertEquals("http://127.0.0.1:" + endpoint.address().getPort() + "/metrics", endpoint.url());

        final HttpResponse<String> response = send("GET", "/metrics");
        assertEquals(200, response.statusCode());
        assertEquals(List.of("text/plain; version=0.0.4; charset=utf-8"),
            response.headers().allValues("Content-Type"));
        final List<String> lines = response.body().lines().toList();
        assertTrue(lines.contains("esimmeter_agent_test_things_total 3.0"), response.body());
        assertTrue(lines.contains("esimmeter_agent_test_level 42.0"), response.body());
        // The cheap JVM meters are bound too.
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("jvm_memory_used_bytes{area=\"heap\"")),
            response.body());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("jvm_threads_live_threads ")), response.body());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("process_uptime_seconds ")), response.body());
        // A query string changes nothing.
        assertEquals(200, send("GET", "/metrics?name=x").statusCode());
    }

    @Test
    void shouldAnswer404ForEveryOtherPath() throws Exception {
        serveOnAFreePort();
        for (final String path : List.of("/", "/metrics/", "/metricsx", "/v1/ingest")) {
            final HttpResponse<String> response = send("GET", path);
            assertEquals(404, response.statusCode(), path);
            assertEquals("path : " + path + " (expected: /metrics)\n", response.body());
        }
    }

    @Test
    void shouldAnswer405WithAllowForEveryOtherMethod() throws Exception {
        serveOnAFreePort();
        for (final String method : List.of("POST", "PUT", "DELETE", "OPTIONS")) {
            final HttpResponse<String> response = send(method, "/metrics");
            assertEquals(405, response.statusCode(), method);
            assertEquals(List.of("GET"), response.headers().allValues("Allow"), method);
            assertEquals("method : " + method + " (expected: GET)\n", response.body());
        }
    }

    @Test
    void shouldRefuseAnAddressInUseNamingTheKey() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final String listen = "127.0.0.1:" + taken.getLocalPort();
            final UsageException refused = assertThrows(UsageException.class,
                () -> metrics.serve(new AgentConfig.Metrics(true, listen)));
            assertEquals("metrics.listen : cannot listen on " + listen + " (Address already in use)",
                refused.getMessage());
        }
        assertNull(metrics.endpoint());
    }

    @Test
    void shouldServeNothingWhenDisabled() throws Exception {
        metrics.serve(new AgentConfig.Metrics(false, "127.0.0.1:0"));
        assertNull(metrics.endpoint());
    }

    @Test
    void shouldFreeItsPortWhenClosed() throws Exception {
        final int port = serveOnAFreePort().address().getPort();
        assertEquals(200, send("GET", "/metrics").statusCode());
        metrics.close();
        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
        final long threads = Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().equals("metrics-http") && thread.isAlive()).count();
        assertEquals(0, threads, "the endpoint's thread ended");
    }
}
