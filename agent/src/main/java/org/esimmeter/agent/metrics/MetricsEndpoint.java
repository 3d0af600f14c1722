package org.esimmeter.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: the registry's scrape in Prometheus text, and nothing else (404 for any other path, 405 for
 * any other method).
 * <p>
 * The JDK's {@code com.sun.net.httpserver} (module jdk.httpserver, a supported API): a scraper asks once every 15 to
 * 60 s, so one daemon thread serves it, and the agent's jar gains no HTTP stack. netty would need its transport and
 * codec-http modules (the agent has only netty-buffer) and an event loop, for one request a minute. Scrapes never
 * touch the capture thread: every meter is read from values the capture and ship threads already publish.
 */
public final class MetricsEndpoint implements AutoCloseable {
    public static final String PATH = "/metrics";
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final PrometheusMeterRegistry registry;
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(final PrometheusMeterRegistry registry, final HttpServer server) {
        this.registry = registry;
        this.server = server;
        this.executor = Executors.newSingleThreadExecutor(task -> {
            final Thread thread = new Thread(task, "metrics-http");
            thread.setDaemon(true);
            return thread;
        });
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /**
     * Binds {@code address} (a host name is resolved now) and serves until {@link #close()}.
     *
     * @throws IOException the address does not resolve or cannot be bound (in use, not local, no permission)
     */
    public static MetricsEndpoint start(final InetSocketAddress address, final PrometheusMeterRegistry registry)
        throws IOException {
        final InetSocketAddress resolved = address.isUnresolved() ?
            new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (resolved.isUnresolved()) {
            throw new UnknownHostException(address.getHostString() + " does not resolve");
        }
        final MetricsEndpoint endpoint = new MetricsEndpoint(registry, HttpServer.create(resolved, 8));
        LOG.info("metrics on {}", endpoint.url());
        return endpoint;
    }

    /** The bound address (the port the kernel chose for port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** {@code http://HOST:PORT/metrics}, as a scraper is configured. */
    public String url() {
        final InetSocketAddress bound = address();
        final String host = bound.getAddress().getHostAddress();
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bound.getPort() + PATH;
    }

    private void handle(final HttpExchange exchange) throws IOException {
        try {
            final String path = exchange.getRequestURI().getPath();
            final String method = exchange.getRequestMethod();
            if (!PATH.equals(path)) {
                respond(exchange, 404, "path : " + path + " (expected: " + PATH + ")");
            } else if (!"GET".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET");
                respond(exchange, 405, "method : " + method + " (expected: GET)");
            } else {
                final byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (final RuntimeException e) {
            LOG.warn("metrics : scrape failed: {}", e.toString());
            respond(exchange, 500, "scrape failed: " + e);
        } finally {
            exchange.close();
        }
    }

    /** One line of plain text: what was wrong with the request. */
    private static void respond(final HttpExchange exchange, final int status, final String message)
        throws IOException {
        final byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Stops listening at once (a scrape in progress is cut short) and ends the thread. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
                LOG.warn("metrics : the endpoint's thread did not end within 1 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
