package org.esimmeter.bench.ship;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector's shaded jar as an operator runs it ({@code java -jar esim-meter-collector.jar run --config FILE}),
 * a child process on 127.0.0.1 with a port the kernel picks; its URL comes from the "listening on" log line. The log
 * goes to a file beside the configuration. {@link #close} sends SIGTERM (the collector drains and closes its store),
 * then SIGKILL if it outlives 30 s.
 */
final class CollectorJar implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final long START_TIMEOUT_SECONDS = 60;
    private static final long STOP_TIMEOUT_SECONDS = 30;

    private final Process process;
    private final Path log;
    private final URI url;

    private CollectorJar(final Process process, final Path log) throws IOException, InterruptedException {
        this.process = process;
        this.log = log;
        final CompletableFuture<URI> listening = new CompletableFuture<>();
        final Thread reader = new Thread(() -> copyLog(listening), "collector-log");
        reader.setDaemon(true);
        reader.start();
        try {
            url = listening.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            close();
            throw new IOException("the collector did not log where it listens within " + START_TIMEOUT_SECONDS +
                " s; see " + log, e);
        }
    }

    /** Writes the configuration (loopback, port 0, {@code data}, one agent) and starts the jar. */
    static CollectorJar start(final Path jar, final Path directory, final String agentId, final String token)
        throws IOException, InterruptedException {
        Files.createDirectories(directory);
        final Path config = directory.resolve("collector.yaml");
        Files.writeString(config, "listen:\n  address: 127.0.0.1\n  port: 0\n" +
            "dataDirectory: \"" + directory.resolve("data").toAbsolutePath() + "\"\n" +
            "agents:\n  \"" + agentId + "\":\n    token: \"" + token + "\"\n", StandardCharsets.UTF_8);
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        final ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(), "-jar", jar.toString(), "run",
            "--config", config.toString()));
        builder.redirectErrorStream(true);
        builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        return new CollectorJar(builder.start(), directory.resolve("collector.log"));
    }

    private void copyLog(final CompletableFuture<URI> listening) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write(line);
                out.newLine();
                final Matcher matcher = LISTENING.matcher(line);
                if (!listening.isDone() && matcher.find()) {
                    out.flush();
                    listening.complete(URI.create(matcher.group(1)));
                }
            }
        } catch (final IOException e) {
            listening.completeExceptionally(e);
        }
        listening.completeExceptionally(new IllegalStateException("the collector exited before listening"));
    }

    URI url() {
        return url;
    }

    Path log() {
        return log;
    }

    /** An interrupt stops the wait (the collector then gets SIGKILL) and stays set. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
