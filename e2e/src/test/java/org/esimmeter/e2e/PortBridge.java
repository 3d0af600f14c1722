package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.esimmeter.agent.capture.LiveNetwork;

/**
 * A loopback port of a test namespace made reachable from the test's own namespace, so that {@link Api} can ask a
 * collector that listens on the router namespace's 127.0.0.1. Two socats joined by a Unix socket in the test's
 * directory (file system paths cross network namespaces, ports do not): one in the namespace connects the socket to
 * the port, one here listens on a loopback port the kernel picks and connects each client to the socket. socat is a
 * tool the live tests need anyway, curl is not.
 * <p>
 * Each client connection forks a socat on both sides; they end with the connection (the collector's stop closes
 * it). {@link #close()} ends the listener here and whatever it forked; the namespace's side goes with the network.
 */
final class PortBridge implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on AF=2 127\\.0\\.0\\.1:(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final Process listener;
    private final URI url;

    private PortBridge(final Process listener, final URI url) {
        this.listener = listener;
        this.url = url;
    }

    /** Bridges {@code namespace}'s 127.0.0.1:{@code port}; the socket and the logs go to {@code dir}. */
    static PortBridge open(final LiveNetwork network, final String namespace, final int port, final Path dir) {
        final String name = "bridge-" + port;
        final Path socket = dir.resolve(name + ".sock");
        network.start(name, namespace, "socat", "UNIX-LISTEN:" + socket + ",fork,unlink-early",
            "TCP:127.0.0.1:" + port);
        LiveNetwork.await(name + " to create " + socket, START_TIMEOUT, () -> Files.exists(socket),
            () -> network.read(network.err(name)));
        final Path log = dir.resolve(name + "-listener.err");
        final Process listener;
        try {
            // -d -d: socat logs the port it was given ("N listening on AF=2 127.0.0.1:PORT").
            listener = new ProcessBuilder("socat", "-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,fork",
                "UNIX-CONNECT:" + socket)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        } catch (final IOException e) {
            throw new UncheckedIOException("socat : cannot start: " + e.getMessage(), e);
        }
        try {
            LiveNetwork.await(name + "'s listener to report its port", START_TIMEOUT,
                () -> LISTENING.matcher(network.read(log)).find() || !listener.isAlive(), () -> network.read(log));
            final Matcher matcher = LISTENING.matcher(network.read(log));
            assertTrue(listener.isAlive() && matcher.find(), name + "'s listener exited: " + network.read(log));
            return new PortBridge(listener, URI.create("http://127.0.0.1:" + matcher.group(1)));
        } catch (final RuntimeException | Error e) {
            stop(listener);
            throw e;
        }
    }

    /** {@code http://127.0.0.1:PORT} in the test's namespace, leading to the namespace's port. */
    URI url() {
        return url;
    }

    @Override
    public void close() {
        stop(listener);
    }

    /** The listener and what it forked (connections still open): all started here, all ours to end. */
    private static void stop(final Process listener) {
        final List<ProcessHandle> all = listener.descendants().toList();
        listener.destroy();
        all.forEach(ProcessHandle::destroy);
        try {
            if (!listener.waitFor(5, TimeUnit.SECONDS)) {
                listener.destroyForcibly();
            }
        } catch (final InterruptedException e) {
            listener.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
