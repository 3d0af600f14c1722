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
import java.util.Map;
import java.util.StringJoiner;
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
