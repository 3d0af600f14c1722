package org.esimmeter.bench.collector;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * {@code viewers} Server-Sent-Event clients on {@code GET /v1/live} (all agents, no filter) while {@code agents}
 * agents each ingest one second per second, for {@code ticks} seconds, spread evenly over each second. Every
 * viewer notes when each event reached it; an event's latency is that time minus the moment its batch was sent
 * (which includes the durable store commit the collector does before it publishes), and minus the moment the
 * ingest answer reached the agent (negative when the viewer had the event first: counted, recorded as 0).
 * All clocks are this process's {@link System#nanoTime()}.
 */
final class LiveLoad {
    private static final String OPENING = "esim-meter live stream";
    private static final int AGENT_BITS = 12;

    record Result(int viewers, int connected, int endedEarly, long expected, long received, long beforeAck,
        Histogram fromSentUs, Histogram fromAckUs, double elapsedSeconds) {
    }

    private LiveLoad() {
    }

    /** One SSE stream: records (event key, arrival nanos) pairs; the collector writes one stream per viewer. */
    static final class Viewer implements Flow.Subscriber<String> {
        private final CountDownLatch opened;
        private long[] log = new long[1024];
        private int size;
        private boolean isOpen;
        private volatile boolean ended;

        Viewer(final CountDownLatch opened) {
            this.opened = opened;
        }

        @Override
        public void onSubscribe(final Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(final String line) {
            final long nowNs = System.nanoTime();
            if (line.startsWith("data: ")) {
                record(key(line), nowNs);
            } else if (!isOpen && line.contains(OPENING)) {
                isOpen = true;
                opened.countDown();
            }
        }

        private synchronized void record(final long key, final long nowNs) {
            if (size + 2 > log.length) {
                log = Arrays.copyOf(log, log.length * 2);
            }
            log[size++] = key;
            log[size++] = nowNs;
        }

        synchronized long[] events() {
            return Arrays.copyOf(log, size);
        }

        @Override
        public void onError(final Throwable throwable) {
            ended = true;
        }

        @Override
        public void onComplete() {
            ended = true;
        }
    }

    static long key(final int agentIndex, final long epochSecond) {
        return epochSecond << AGENT_BITS | agentIndex;
    }

    /** {@code data: {"agent":"agent-007",...,"t":1700000000,...}} to the event's key. */
    static long key(final String line) {
        final int agentAt = line.indexOf("\"agent\":\"agent-") + "\"agent\":\"agent-".length();
        final int agent = Integer.parseInt(line, agentAt, line.indexOf('"', agentAt), 10);
        final int tAt = line.indexOf("\"t\":") + "\"t\":".length();
        int end = tAt;
        while (end < line.length() && Character.isDigit(line.charAt(end))) {
            end++;
        }
        return key(agent, Long.parseLong(line, tAt, end, 10));
    }

    static Result run(final String baseUrl, final int viewers, final int agents, final int ticks) throws Exception {
        if (agents >= 1 << AGENT_BITS) {
            throw new IllegalArgumentException("agents : " + agents + " (expected: < " + (1 << AGENT_BITS) + ")");
        }
        // Several clients, so the viewers' reads are not all funnelled through one client selector thread.
        final int clientCount = Math.max(1, (viewers + 249) / 250);
        final List<HttpClient> clients = new ArrayList<>(clientCount);
        for (int i = 0; i < clientCount; i++) {
            clients.add(Http.client());
        }
        final CountDownLatch opened = new CountDownLatch(viewers);
        final List<Viewer> list = new ArrayList<>(viewers);
        final HttpRequest liveRequest = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/live"))
            .header("Accept", "text/event-stream").GET().build();
        for (int i = 0; i < viewers; i++) {
            final Viewer viewer = new Viewer(opened);
            list.add(viewer);
            clients.get(i % clientCount).sendAsync(liveRequest, HttpResponse.BodyHandlers.fromLineSubscriber(viewer))
                .whenComplete((response, error) -> {
                    if (error != null || response.statusCode() != 200) {
                        viewer.onError(error);
                    }
                });
        }
        if (!opened.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException((viewers - opened.getCount()) + " of " + viewers +
                " live streams opened within 120 s");
        }
        final int connected = viewers - (int) list.stream().filter(v -> v.ended).count();

        final ConcurrentHashMap<Long, Long> sentNs = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, Long> ackNs = new ConcurrentHashMap<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(agents);
        final long firstSecond = System.currentTimeMillis() / 1000;
        final HttpClient ingestClient = Http.client();
        final ScheduledExecutorService senders = Executors.newScheduledThreadPool(agents);
        final long startNs = System.nanoTime();
        for (int a = 0; a < agents; a++) {
            final int agent = a;
            final Fleet.FrameEncoder encoder = new Fleet.FrameEncoder(agent, 5);
            final long[] tick = {0};
            // At a fixed rate, one second per second, agent i offset by i/agents of a second; a task never
            // overlaps itself, so an agent's batches stay in sequence order.
            senders.scheduleAtFixedRate(() -> {
                if (tick[0] >= ticks) {
                    return;
                }
                final long second = firstSecond + tick[0];
                final byte[] frame = encoder.frame(tick[0] + 1, second, 1);
                final long key = key(agent, second);
                try {
                    sentNs.put(key, System.nanoTime());
                    Http.ingest(ingestClient, baseUrl, agent, frame);
                    ackNs.put(key, System.nanoTime());
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                }
                if (++tick[0] == ticks) {
                    done.countDown();
                }
            }, agent * 1000L / agents, 1000, TimeUnit.MILLISECONDS);
        }
        final boolean finished = done.await(ticks + 120L, TimeUnit.SECONDS);
        senders.shutdownNow();
        final double elapsed = (System.nanoTime() - startNs) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException("ingest failed: " + failure.get(), failure.get());
        }
        if (!finished) {
            throw new IllegalStateException("the agents did not send " + ticks + " seconds in " + (ticks + 120) + " s");
        }
        final long expectedPerViewer = (long) agents * ticks;
        // Let the last events arrive: until every live viewer has them all, at most 10 s.
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadlineNs &&
            list.stream().anyMatch(v -> !v.ended && v.events().length / 2 < expectedPerViewer)) {
            Thread.sleep(50);
        }
        final Histogram fromSentUs = new Histogram(3);
        final Histogram fromAckUs = new Histogram(3);
        long received = 0;
        long beforeAck = 0;
        int endedEarly = 0;
        for (final Viewer viewer : list) {
            if (viewer.ended) {
                endedEarly++;
            }
            final long[] events = viewer.events();
            for (int i = 0; i < events.length; i += 2) {
                final Long sent = sentNs.get(events[i]);
                final Long ack = ackNs.get(events[i]);
                if (sent == null || ack == null) {
                    throw new IllegalStateException("event " + (events[i] >>> AGENT_BITS) + "/" +
                        (events[i] & ((1 << AGENT_BITS) - 1)) + " was never sent");
                }
                received++;
                fromSentUs.recordValue(Math.max(0, events[i + 1] - sent) / 1000);
                if (events[i + 1] < ack) {
                    beforeAck++;
                }
                fromAckUs.recordValue(Math.max(0, events[i + 1] - ack) / 1000);
            }
        }
        return new Result(viewers, connected, endedEarly, expectedPerViewer * viewers, received, beforeAck,
            fromSentUs, fromAckUs, elapsed);
    }
}
