package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector's shaded jar running as a child process on a loopback port the kernel picks ({@code port: 0}), its
 * URL taken from the "listening on" log line. The log (stdout and stderr) is kept for failure messages. Whoever
 * starts one closes it: SIGTERM, then SIGKILL if it outlives the grace period.
 */
final class CollectorProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Process process;
    private final StringBuffer log = new StringBuffer();
    private final Thread logReader;
    private final URI url;

    private CollectorProcess(final Process process) {
        this.process = process;
        final CompletableFuture<URI> listening = new CompletableFuture<>();
        logReader = new Thread(() -> readLog(listening), "collector-log-" + process.pid());
        logReader.setDaemon(true);
        logReader.start();
        try {
            url = listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final TimeoutException | ExecutionException e) {
            close();
            throw new AssertionError("the collector did not say where it listens within " + START_TIMEOUT + "; log:\n" +
                log, e);
        } catch (final InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts {@code java -jar esim-meter-collector.jar run --config CONFIG} and waits until it listens. */
    static CollectorProcess start(final Path config) {
        return start(List.of(), config);
    }

    /**
     * As {@link #start(Path)}, inside a network namespace ({@code ip netns exec NAMESPACE java ...}): its loopback
     * address is that namespace's. {@code ip netns exec} execs the command in place, so the process's pid is the
     * JVM's and SIGTERM / SIGKILL reach the collector itself.
     */
    static CollectorProcess startInNamespace(final String namespace, final Path config) {
        return start(List.of("ip", "netns", "exec", namespace), config);
    }

    private static CollectorProcess start(final List<String> launcher, final Path config) {
        final List<String> command = new ArrayList<>(launcher);
        command.addAll(Jars.command(Jars.collector(), "run", "--config", config.toString()));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectErrorStream(true);
        builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        try {
            return new CollectorProcess(builder.start());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start the collector: " + e.getMessage(), e);
        }
    }

    private void readLog(final CompletableFuture<URI> listening) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                log.append(line).append('\n');
                final Matcher matcher = LISTENING.matcher(line);
                if (!listening.isDone() && matcher.find()) {
                    listening.complete(URI.create(matcher.group(1)));
                }
            }
        } catch (final IOException e) {
            log.append("(log unreadable: ").append(e).append(")\n");
        }
        listening.completeExceptionally(new IllegalStateException("the collector exited before listening"));
    }

    URI url() {
        return url;
    }

    String log() {
        return log.toString();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as a power cut or the OOM killer would: no shutdown hook, no flush. Waits until it is gone. */
    void kill() {
        process.destroyForcibly();
        awaitExit();
    }

    /** SIGTERM, and the exit status once it is gone; fails when it outlives the grace period. */
    int stop() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("the collector still runs " + STOP_TIMEOUT + " after SIGTERM; log:\n" + log);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        awaitExit();
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        awaitExit();
    }

    private void awaitExit() {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("the collector (pid " + process.pid() + ") is still running after SIGKILL");
            }
            // The pipe closes with the process: the log is complete once the reader has seen its end.
            logReader.join(STOP_TIMEOUT.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A random bearer token: 32 hex digits (the collector wants at least 16 visible characters). */
    static String newToken() {
        final byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** A collector configuration file: loopback, a port (0 by default), the data directory, agents, read token. */
    static final class Config {
        private final Map<String, String> agentTokens = new LinkedHashMap<>();
        private final String readToken = newToken();
        private final Path dataDirectory;
        private int port;

        Config(final Path dataDirectory) {
            this.dataDirectory = dataDirectory;
        }

        /**
         * A fixed port instead of one the kernel picks: a collector restarted on the same configuration must be
         * found again at the URL its agents were given.
         */
        Config port(final int port) {
            this.port = port;
            return this;
        }

        /** Registers an agent and returns its token. */
        String agent(final String agentId) {
            return agentTokens.computeIfAbsent(agentId, id -> newToken());
        }

        String readToken() {
            return readToken;
        }

        /**
         * Writes the YAML (port 0 unless {@link #port(int)} fixed one). Retention is forever at every resolution:
         * the captures are years old, and the default (1 s rows for 7 days, applied at start) would rightly delete
         * their per-second rows on a restart.
         */
        Path write(final Path file) {
            final StringBuilder yaml = new StringBuilder()
                .append("listen:\n  address: 127.0.0.1\n  port: ").append(port).append('\n')
                .append("dataDirectory: \"").append(dataDirectory).append("\"\n")
                .append("retention:\n  1s: forever\n  1m: forever\n  1h: forever\n  1d: forever\n")
                .append("readToken: \"").append(readToken).append("\"\n")
                .append("agents:\n");
            agentTokens.forEach((agent, token) -> yaml.append("  \"").append(agent).append("\":\n    token: \"")
                .append(token).append("\"\n"));
            try {
                return Files.writeString(file, yaml.toString());
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
