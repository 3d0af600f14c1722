package org.esimmeter.bench.collector;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Closed-loop ingest load: {@code agents} threads, one per simulated agent, each on its own keep-alive connection
 * (HttpClient's pool), POST a batch of {@code batchSeconds} seconds x {@code flows} flows, wait for the durable
 * acknowledgement, and send the next one at once. Two ways to end:
 * <ul>
 * <li>timed ({@code measureSeconds > 0}): a warm-up, then a measuring window; records count when their batch was
 *     acknowledged inside the window, latencies when their batch was sent inside it;</li>
 * <li>a span of data ({@code spanSeconds > 0}): each agent sends exactly that many seconds (populating a store).</li>
 * </ul>
 */
final class IngestLoad {
    record Result(long records, long interfaceSeconds, double elapsedSeconds, Histogram latencyUs) {
        double recordsPerSecond() {
            return records / elapsedSeconds;
        }
    }

    private IngestLoad() {
    }

    static Result timed(final String baseUrl, final int agents, final int flows, final int batchSeconds,
        final long firstSecond, final int warmupSeconds, final int measureSeconds) throws Exception {
        return run(baseUrl, agents, flows, batchSeconds, firstSecond, warmupSeconds, measureSeconds, 0);
    }

    static Result span(final String baseUrl, final int agents, final int flows, final int batchSeconds,
        final long firstSecond, final long spanSeconds) throws Exception {
        return run(baseUrl, agents, flows, batchSeconds, firstSecond, 0, 0, spanSeconds);
    }

    private static Result run(final String baseUrl, final int agents, final int flows, final int batchSeconds,
        final long firstSecond, final int warmupSeconds, final int measureSeconds, final long spanSeconds)
        throws Exception {
        final HttpClient client = Http.client();
        final Recorder latencyUs = new Recorder(3);
        final AtomicLong records = new AtomicLong();
        final AtomicLong interfaceSeconds = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long startNs = System.nanoTime();
        final long windowStartNs = startNs + warmupSeconds * 1_000_000_000L;
        final long windowEndNs = windowStartNs + measureSeconds * 1_000_000_000L;
        final boolean timed = spanSeconds == 0;
        final List<Thread> threads = new ArrayList<>(agents);
        for (int a = 0; a < agents; a++) {
            final int agent = a;
            final Thread thread = new Thread(() -> {
                final Fleet.FrameEncoder encoder = new Fleet.FrameEncoder(agent, flows);
                long sequence = 1;
                long second = firstSecond;
                final long lastSecond = firstSecond + spanSeconds;
                try {
                    while (failure.get() == null) {
                        final int seconds;
                        if (timed) {
                            if (System.nanoTime() >= windowEndNs) {
                                break;
                            }
                            seconds = batchSeconds;
                        } else {
                            if (second >= lastSecond) {
                                break;
                            }
                            seconds = (int) Math.min(batchSeconds, lastSecond - second);
                        }
                        final byte[] frame = encoder.frame(sequence++, second, seconds);
                        second += seconds;
                        final long sentNs = System.nanoTime();
                        Http.ingest(client, baseUrl, agent, frame);
                        final long ackNs = System.nanoTime();
                        if (!timed || sentNs >= windowStartNs && sentNs < windowEndNs) {
                            latencyUs.recordValue((ackNs - sentNs) / 1000);
                        }
                        if (!timed || ackNs >= windowStartNs && ackNs < windowEndNs) {
                            records.addAndGet((long) seconds * flows);
                            interfaceSeconds.addAndGet(seconds);
                        }
                    }
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "agent-" + agent);
            thread.start();
            threads.add(thread);
        }
        for (final Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("ingest failed: " + failure.get(), failure.get());
        }
        final double elapsed = timed ? measureSeconds : (System.nanoTime() - startNs) / 1e9;
        return new Result(records.get(), interfaceSeconds.get(), elapsed, latencyUs.getIntervalHistogram());
    }
}
