package org.esimmeter.collector.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.esimmeter.collector.store.AgentInfo;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.sqlite.SqliteUsageStore;
import org.esimmeter.wire.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shaded jar as an operator runs it: starts, says where it listens, ingests, stops on SIGTERM with exit 0. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectorProcessIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    @TempDir
    Path directory;

    @Test
    void shouldServeUntilSigtermThenExitZeroWithTheBatchStored() throws Exception {
        final Path data = directory.resolve("data");
        final Path config = directory.resolve("collector.yaml");
        Files.writeString(config, "listen:\n  port: 0\ndataDirectory: " + data + "\nagents:\n  router-a:\n" +
            "    token: ${ROUTER_A_TOKEN}\n");
        final ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-jar", System.getProperty("collector.jar"), "run", "--config", config.toString());
        builder.environment().put("ROUTER_A_TOKEN", TestCollector.TOKEN_A);
        builder.redirectErrorStream(true);
        final Process process = builder.start();
        try (BufferedReader log = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
            String url = null;
            while (url == null) {
                final String line = log.readLine();
                assertTrue(line != null, "the collector exited before listening");
                final Matcher matcher = LISTENING.matcher(line);
                if (matcher.find()) {
                    url = matcher.group(1);
                }
            }
            assertTrue(url.startsWith("http://127.0.0.1:"), url);
            final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(url + "/v1/ingest"))
                .header("Authorization", "Bearer " + TestCollector.TOKEN_A)
                .header("Content-Type", WireFormat.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Fixture.batchA1())).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());

            process.destroy(); // SIGTERM

            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
            assertEquals(0, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
        try (SqliteUsageStore store = SqliteUsageStore.open(data, RetentionPolicy.DEFAULT)) {
            final List<AgentInfo> agents = store.agents();
            assertEquals(1, agents.size());
            assertEquals(1, agents.get(0).lastSequence());
        }
    }
}
