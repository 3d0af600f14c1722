package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.esimmeter.common.systemd.NotifyReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector jar as systemd runs it (Type=notify, WatchdogSec=, StateDirectory=): the test binds the notify
 * socket itself and sets the variables systemd sets. READY=1 comes only once the port answers; the database goes to
 * $STATE_DIRECTORY when the configuration names no dataDirectory; WATCHDOG=1 every half interval; SIGTERM gives
 * STOPPING=1 and exit status 0, and no ping after it.
 */
class CollectorNotifyIT {
    private static final Duration START = Duration.ofSeconds(30);
    private static final Pattern READY = Pattern.compile(
        "READY=1\nSTATUS=listening on (http://127\\.0\\.0\\.1:\\d+), store in (.+)");

    @TempDir
    Path dir;

    @Test
    void shouldNotifyReadyFeedTheWatchdogAndNotifyStopping() throws Exception {
        final Path state = Files.createDirectories(dir.resolve("state"));
        final Path config = Files.writeString(dir.resolve("collector.yaml"), String.join("\n",
            "listen:", "  address: 127.0.0.1", "  port: 0",
            "agents:", "  router-a:", "    token: \"" + CollectorProcess.newToken() + "\"", ""));
        try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
            final ProcessBuilder builder = new ProcessBuilder(Jars.command(Jars.collector(), "run", "--config",
                config.toString())).redirectErrorStream(true).redirectOutput(dir.resolve("collector.log").toFile());
            builder.environment().put("NOTIFY_SOCKET", systemd.address());
            builder.environment().put("WATCHDOG_USEC", "1000000");
            builder.environment().put("STATE_DIRECTORY", state.toString());
            final Process collector = builder.start();
            try {
                final String ready = systemd.await(m -> m.startsWith("READY=1"), START);
                assertNotNull(ready, "READY=1 within " + START + "; received " + systemd.all() + "; log: " + log());
                final Matcher matcher = READY.matcher(ready);
                assertTrue(matcher.matches(), ready);
                assertEquals(state.toString(), matcher.group(2));
                // Ready means serving: the first request after READY=1 is answered, and the store is in place.
                final HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(matcher.group(1) + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), health.body());
                assertTrue(Files.isRegularFile(state.resolve("esim-meter.db")), "database in $STATE_DIRECTORY");

                for (int i = 0; i < 3; i++) {
                    awaitPing(systemd);
                }

                collector.destroy(); // SIGTERM, as systemctl stop
                assertEquals("STOPPING=1\nSTATUS=stopping: finishing in-flight ingests, closing the store",
                    systemd.await(m -> m.startsWith("STOPPING=1"), START), "STOPPING=1 on SIGTERM");
                assertTrue(collector.waitFor(30, TimeUnit.SECONDS), "collector exits after SIGTERM");
                assertEquals(0, collector.exitValue(), log());
                systemd.skipQueued();
                assertFalse(systemd.all().subList(systemd.all().indexOf(
                        "STOPPING=1\nSTATUS=stopping: finishing in-flight ingests, closing the store"),
                    systemd.all().size()).stream().anyMatch(m -> m.contains("WATCHDOG=1")),
                    "no ping after STOPPING=1: " + systemd.all());
            } finally {
                collector.destroyForcibly();
            }
        }
    }

    private static void awaitPing(final NotifyReceiver systemd) {
        assertEquals("WATCHDOG=1", systemd.await(m -> m.contains("WATCHDOG=1"), Duration.ofSeconds(5)),
            "a watchdog ping; received " + systemd.all());
    }

    private String log() throws IOException {
        final Path log = dir.resolve("collector.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
