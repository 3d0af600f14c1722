package org.esimmeter.agent.ship;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;

/**
 * Stands in for the collector's {@code POST /v1/ingest} on a loopback port (the real collector is built
 * concurrently): checks the token and content type, decodes every body (one frame or several) with the real
 * {@link BatchReader}, answers
 * 200 — or what the test scripted — and records everything it saw. A test can make it hang before answering.
 */
final class IngestReceiver implements AutoCloseable {
    static final String TOKEN = "s3cret-token";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
    private final ArrayDeque<Integer> script = new ArrayDeque<>();
    private final List<byte[]> bodies = new ArrayList<>();
    private final List<Batch> accepted = new ArrayList<>();
    private final Set<Integer> clientPorts = new HashSet<>();
    private volatile CountDownLatch hold;
    private final CountDownLatch firstRequest = new CountDownLatch(1);

    private IngestReceiver(final HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    static IngestReceiver start() throws IOException {
        return start(0);
    }

    static IngestReceiver start(final int port) throws IOException {
        return new IngestReceiver(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0));
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next answers, in order (200: decode and accept as usual), before it goes back to answering 200. */
    synchronized IngestReceiver script(final Integer... statuses) {
        script.addAll(List.of(statuses));
        return this;
    }

    /** Requests wait before being answered until {@link #release()}. */
    void hang() {
        hold = new CountDownLatch(1);
    }

    void release() {
        hold.countDown();
    }

    boolean awaitFirstRequest(final long timeout, final TimeUnit unit) throws InterruptedException {
        return firstRequest.await(timeout, unit);
    }

    synchronized List<byte[]> bodies() {
        return List.copyOf(bodies);
    }

    synchronized List<Batch> accepted() {
        return List.copyOf(accepted);
    }

    synchronized Set<Integer> clientPorts() {
        return Set.copyOf(clientPorts);
    }

    private void handle(final HttpExchange exchange) throws IOException {
        try (exchange) {
            final byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            final int status;
            final String answer;
            synchronized (this) {
                bodies.add(body);
                clientPorts.add(exchange.getRemoteAddress().getPort());
            }
            firstRequest.countDown();
            final CountDownLatch waitFor = hold;
            if (waitFor != null) {
                try {
                    waitFor.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!"POST".equals(exchange.getRequestMethod()) || !"/v1/ingest".equals(exchange.getRequestURI().getPath())) {
                status = 404;
                answer = "not found: " + exchange.getRequestMethod() + " " + exchange.getRequestURI();
            } else if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                status = 401;
                answer = "token : missing or wrong";
            } else if (!WireFormat.CONTENT_TYPE.equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                status = 415;
                answer = "content type : " + exchange.getRequestHeaders().getFirst("Content-Type");
            } else {
                final Integer scripted;
                synchronized (this) {
                    scripted = script.poll();
                }
                if (scripted != null && scripted != 200) {
                    status = scripted;
                    answer = "scripted " + scripted + "\nsecond line that must not be shown";
                } else {
                    final ByteBuf frame = Unpooled.wrappedBuffer(body);
                    String refusal = null;
                    try {
                        final List<Batch> batches = reader.readAll(frame, WireFormat.MAX_FRAMES_PER_REQUEST);
                        synchronized (this) {
                            accepted.addAll(batches);
                            notifyAll();
                        }
                    } catch (final WireFormatException e) {
                        refusal = e.getMessage();
                    } finally {
                        frame.release();
                    }
                    status = refusal == null ? 200 : 400;
                    answer = refusal == null ? "" : refusal;
                }
            }
            final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        final CountDownLatch waitFor = hold;
        if (waitFor != null) {
            waitFor.countDown();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
