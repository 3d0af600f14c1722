package org.esimmeter.bench.collector;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The JDK's HttpClient, HTTP/1.1 with keep-alive (its connection pool), as an agent or a dashboard would use it. */
final class Http {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Http() {
    }

    static HttpClient client() {
        return HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    }

    static HttpRequest ingestRequest(final String baseUrl, final int agentIndex, final byte[] frame) {
        return HttpRequest.newBuilder(URI.create(baseUrl + "/v1/ingest"))
            .timeout(TIMEOUT)
            .header("Authorization", Fleet.authorization(agentIndex))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(frame))
            .build();
    }

    /** Sends one batch and insists on 200 "stored": anything else means the run measured something else. */
    static void ingest(final HttpClient client, final String baseUrl, final int agentIndex, final byte[] frame)
        throws IOException, InterruptedException {
        final HttpResponse<String> response = client.send(ingestRequest(baseUrl, agentIndex, frame),
            HttpResponse.BodyHandlers.ofString());
        requireStored(response);
    }

    static void requireStored(final HttpResponse<String> response) throws IOException {
        if (response.statusCode() != 200 || !response.body().contains("\"outcome\":\"stored\"")) {
            throw new IOException("ingest answered " + response.statusCode() + " " + response.body());
        }
    }

    static String get(final HttpClient client, final String url) throws IOException, InterruptedException {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
            .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + url + " answered " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }
}
