package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Stream;
import org.esimmeter.wire.WireFormat;

/** The collector's HTTP API as a client sees it: reads with the read token, ingest with an agent's token. */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final URI base;
    private final String readToken;

    Api(final URI base, final String readToken) {
        this.base = base;
        this.readToken = readToken;
    }

    /** GET {@code path?parameters} (values URL-encoded, in the given order); fails unless 200 with JSON. */
    JsonNode get(final String path, final Map<String, ?> parameters) {
        final StringJoiner query = new StringJoiner("&", "?", "");
        query.setEmptyValue("");
        parameters.forEach((name, value) -> query.add(name + "=" + URLEncoder.encode(String.valueOf(value),
            StandardCharsets.UTF_8)));
        final URI uri = base.resolve(path + query);
        final HttpResponse<String> response = send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
            .header("Authorization", "Bearer " + readToken).GET().build());
        assertEquals(200, response.statusCode(), () -> "GET " + uri + " : " + response.body());
        try {
            return JSON.readTree(response.body());
        } catch (final IOException e) {
            throw new AssertionError("GET " + uri + " : not JSON: " + response.body(), e);
        }
    }

    /** GET /metrics: every sample of the Prometheus text, by series (name and labels as written). */
    Metrics metrics() {
        final URI uri = base.resolve("/metrics");
        final HttpResponse<String> response = send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build());
        assertEquals(200, response.statusCode(), () -> "GET " + uri + " : " + response.body());
        final Map<String, Double> samples = new LinkedHashMap<>();
        for (final String line : response.body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                final int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return new Metrics(response.body(), samples);
    }

    /** A /metrics answer: its text, and its samples by series. */
    record Metrics(String text, Map<String, Double> samples) {

        /** The one sample of {@code name} that carries every one of {@code labels} ({@code outcome="stored"}). */
        long value(final String name, final String... labels) {
            final List<Double> values = samples.entrySet().stream()
                .filter(sample -> sample.getKey().equals(name) || sample.getKey().startsWith(name + "{") &&
                    Stream.of(labels).allMatch(sample.getKey()::contains))
                .map(Map.Entry::getValue).toList();
            assertEquals(1, values.size(), () -> "samples of " + name + " " + List.of(labels) + " in:\n" + text);
            final double value = values.get(0);
            assertEquals(Math.rint(value), value, () -> name + " is not a whole number: " + value);
            return (long) value;
        }
    }

    /** Parameters in insertion order: {@code params("from", 1, "to", 2)}. */
    static Map<String, Object> params(final Object... namesAndValues) {
        final Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }

    /** POST /v1/ingest; throws IOException when the connection fails (a collector being killed, say). */
    HttpResponse<String> ingest(final byte[] frame, final String agentToken) throws IOException {
        try {
            return client.send(HttpRequest.newBuilder(base.resolve("/v1/ingest")).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + agentToken)
                .header("Content-Type", WireFormat.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(frame)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> send(final HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " : " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
