package org.esimmeter.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A collector that stores nothing and never says yes, for {@link SlowCollectorLiveIT}: a JVM of its own started in
 * the test's namespace ({@code java -cp TEST_CLASSES org.esimmeter.e2e.FaultyCollector PORT SLOW HOLD_MILLIS}), on
 * the JDK's HTTP server only. Every request's body is read in full; the first {@code SLOW} answers are held
 * {@code HOLD_MILLIS} and then are 503, every later one is 500 at once. Neither is an acknowledgement, so the agent
 * must keep every batch for the real collector that replaces this one.
 * <p>
 * Prints {@code listening on PORT}, then a line per answer: {@code answer N: STATUS after MILLIS ms (BYTES bytes)}.
 */
final class FaultyCollector {
    static final String LISTENING = "listening on ";
    static final String SLOW_ANSWER = ": 503 after ";
    static final String ERROR_ANSWER = ": 500 after ";

    private FaultyCollector() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: FaultyCollector PORT SLOW HOLD_MILLIS");
            System.exit(2);
        }
        final int port = Integer.parseInt(args[0]);
        final int slowAnswers = Integer.parseInt(args[1]);
        final long holdMillis = Long.parseLong(args[2]);
        final AtomicInteger requests = new AtomicInteger();
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        // A thread per request: a held answer must not hold up the next request's (the agent may reconnect).
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            final long startNs = System.nanoTime();
            final int request = requests.incrementAndGet();
            final int received = exchange.getRequestBody().readAllBytes().length;
            final boolean slow = request <= slowAnswers;
            if (slow) {
                try {
                    Thread.sleep(holdMillis); // the fault itself: an answer that takes this long
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            final int status = slow ? 503 : 500;
            final byte[] body = ("fault injected by the test: answer " + request + "\n")
                .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            System.out.printf("answer %d: %d after %d ms (%d bytes)%n", request, status,
                (System.nanoTime() - startNs) / 1_000_000, received);
            System.out.flush();
        });
        server.start();
        System.out.println(LISTENING + port);
        System.out.flush();
    }
}
