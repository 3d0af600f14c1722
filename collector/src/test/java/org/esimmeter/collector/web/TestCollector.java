package org.esimmeter.collector.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;
import org.esimmeter.collector.config.CollectorConfig;
import org.esimmeter.collector.plan.alert.AlertService;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.collector.store.sqlite.SqliteUsageStore;
import org.esimmeter.common.config.YamlConfigLoader;
import org.esimmeter.wire.WireFormat;

/**
 * A real collector for tests: SQLite file in a temporary directory, server on an ephemeral loopback port, and a
 * java.net.http client. Configuration is YAML text, as an operator writes it.
 */
public final class TestCollector implements AutoCloseable {
    public static final String AGENT_A = "router-a";
    public static final String TOKEN_A = "token-of-router-a-0123456789";
    public static final String AGENT_B = "router-b";
    public static final String TOKEN_B = "token-of-router-b-0123456789";
    public static final String READ_TOKEN = "read-token-0123456789abcdef";

    public static final ObjectMapper JSON = new ObjectMapper();

    public final UsageStore store;
    public final AlertService alerts;
    public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    public final CollectorServer server;
    public final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    private TestCollector(final Path dataDirectory, final String extraYaml, final LongSupplier nowSecond)
        throws IOException, StoreException {
        final String yaml = "listen:\n  port: 0\n" +
            "dataDirectory: " + dataDirectory + "\n" +
            "agents:\n  " + AGENT_A + ":\n    token: " + TOKEN_A + "\n  " + AGENT_B + ":\n    token: " + TOKEN_B + "\n" +
            extraYaml;
        final Path file = dataDirectory.resolve("collector.yaml");
        Files.writeString(file, yaml);
        final CollectorConfig config = YamlConfigLoader.load(file, CollectorConfig.class);
        final SqliteUsageStore sqlite = SqliteUsageStore.open(dataDirectory, config.retention().policy());
        store = sqlite;
        final LongSupplier clock = nowSecond == null ? () -> System.currentTimeMillis() / 1000 : nowSecond;
        alerts = AlertService.start(config.profiles(), config.alerts(), config.webhook(), store, sqlite.file(),
            registry, clock);
        server = CollectorServer.start(config, store, registry, clock, alerts);
        base = URI.create(server.url());
    }

    /** Reads open to all. */
    public static TestCollector start(final Path dataDirectory) throws IOException, StoreException {
        return new TestCollector(dataDirectory, "", null);
    }

    /** {@code extraYaml}: more top-level configuration keys, e.g. {@code "maxBatchBytes: 4096\n"}. */
    public static TestCollector start(final Path dataDirectory, final String extraYaml)
        throws IOException, StoreException {
        return new TestCollector(dataDirectory, extraYaml, null);
    }

    /** As {@link #start(Path, String)}, with the clock that answers "now" (query defaults, billing cycles). */
    public static TestCollector start(final Path dataDirectory, final String extraYaml, final LongSupplier nowSecond)
        throws IOException, StoreException {
        return new TestCollector(dataDirectory, extraYaml, nowSecond);
    }

    public URI uri(final String pathAndQuery) {
        return base.resolve(pathAndQuery);
    }

    public HttpResponse<String> get(final String pathAndQuery, final String... headers) throws IOException,
        InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> send(final String method, final String pathAndQuery, final byte[] body,
        final String... headers) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POST /v1/ingest with a bearer token (null = no Authorization header). */
    public HttpResponse<String> ingest(final String token, final byte[] frame) throws IOException,
        InterruptedException {
        return token == null ?
            send("POST", "/v1/ingest", frame, "Content-Type", WireFormat.CONTENT_TYPE) :
            send("POST", "/v1/ingest", frame, "Content-Type", WireFormat.CONTENT_TYPE, "Authorization",
                "Bearer " + token);
    }

    public static JsonNode json(final HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** The one-field error body every failure carries. */
    public static Map<String, String> error(final HttpResponse<String> response) throws IOException {
        final JsonNode node = json(response);
        return node.has("parameter") ?
            Map.of("error", node.get("error").asText(), "parameter", node.get("parameter").asText()) :
            Map.of("error", node.get("error").asText());
    }

    @Override
    public void close() throws StoreException {
        server.close();
        alerts.close();
        store.close();
    }
}
