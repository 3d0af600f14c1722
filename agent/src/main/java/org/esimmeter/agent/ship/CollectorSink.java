package org.esimmeter.agent.ship;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.agent.meter.SecondSink;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every sealed second to the collector's {@code POST /v1/ingest}: the plain delivery path of issue 3.
 * <pre>
 *  capture thread(s)            "ship-batch" thread                     "ship-send" thread
 *  onSecond: encode into the    every flushInterval, or when the open   POST the oldest closed batch; 200 -> next;
 *  open batch (BatchWriter),    batch reaches batchMaxBytes: swap the   5xx / I/O error / 408 / 429 -> same bytes
 *  under a short lock; no I/O   open and spare buffers under the lock,  again after a capped backoff; other 4xx ->
 *                               end + copy the closed one outside it,   log the collector's reason, drop, next
 *                               queue it (drop oldest when full)
 * </pre>
 * The capture thread never waits for the network: it only takes the lock that the batch thread holds for a pointer
 * swap (the HdrHistogram interval-swap pattern), and encodes into a buffer that steady state reuses.
 * <p>
 * Interim, replaced by the reliable shipper of issue 4: closed batches wait in a bounded in-memory queue
 * ({@code queueMaxBytes}); when it is full the oldest unacknowledged batch not currently on the wire is dropped,
 * with a WARN line and the {@link #droppedBatches()} counter. Issue 4's on-disk spool replaces that queue, and its
 * persisted counter replaces the sequence scheme of {@link #interimFirstSequence()}.
 */
public final class CollectorSink implements SecondSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorSink.class);
    private static final int REASON_MAX_CHARS = 300;

    /** Where and how to ship; times in milliseconds. */
    public record Settings(URI collector, String agentId, String token, int batchMaxBytes, long queueMaxBytes,
        long flushIntervalMillis, long initialBackoffMillis, long maxBackoffMillis, long requestTimeoutMillis) {

        /** The defaults of a running agent: a batch per second, backoff from 0.5 s to 30 s, 30 s per request. */
        public static Settings of(final URI collector, final String agentId, final String token,
            final int batchMaxBytes, final long queueMaxBytes) {
            return new Settings(collector, agentId, token, batchMaxBytes, queueMaxBytes, 1000, 500, 30_000, 30_000);
        }

        public Settings withTimes(final long flushIntervalMillis, final long initialBackoffMillis,
            final long maxBackoffMillis) {
            return new Settings(collector, agentId, token, batchMaxBytes, queueMaxBytes, flushIntervalMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis);
        }
    }

    /** One batch being written: the HdrHistogram-style active/inactive pair swaps two of these. */
    private static final class OpenBatch {
        final BatchWriter writer = new BatchWriter();
        final ByteBuf buffer;
        long sequence;
        int seconds;
        boolean begun;

        OpenBatch(final int capacity) {
            buffer = ByteBufAllocator.DEFAULT.heapBuffer(capacity);
        }
    }

    /** A closed batch: the exact bytes that are sent, and resent until acknowledged. */
    private record ClosedBatch(long sequence, int seconds, byte[] frame) {
    }

    private final Settings settings;
    private final URI ingest;
    private final HttpClient client;

    // Capture side: the open batch. Guarded by lock; the batch thread holds it only to swap.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition closeDue = lock.newCondition();
    private OpenBatch active;
    // The other buffer: spare (clear), or full (closed by the capture thread at the size bound, not yet queued), or
    // neither while the batch thread ends and copies it. Swapping two buffers keeps steady state allocation-free.
    private OpenBatch spare;
    private OpenBatch full;
    private long nextSequence;
    private boolean closed;
    // Serializes closing a batch (batch thread, flush from other threads): the spare is only touched under it.
    private final Object closing = new Object();

    // Delivery side, guarded by queue's monitor.
    private final ArrayDeque<ClosedBatch> queue = new ArrayDeque<>();
    private long queuedBytes;
    private ClosedBatch inFlight;
    private boolean stopping;

    private final AtomicLong secondsEncoded = new AtomicLong();
    private final AtomicLong secondsRefused = new AtomicLong();
    private final AtomicLong batchesAcknowledged = new AtomicLong();
    private final AtomicLong secondsAcknowledged = new AtomicLong();
    private final AtomicLong batchesRejected = new AtomicLong();
    private final AtomicLong batchesDropped = new AtomicLong();
    private final AtomicLong secondsDropped = new AtomicLong();
    private final AtomicLong attemptsFailed = new AtomicLong();
    private volatile String lastRejection;

    private final Thread batchThread;
    private final Thread sendThread;

    /**
     * @param firstSequence the first batch's sequence number; later batches count up from it
     *                      ({@link #interimFirstSequence()} for a running agent)
     */
    public CollectorSink(final Settings settings, final long firstSequence) {
        this.settings = settings;
        final String base = settings.collector().toString();
        this.ingest = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/ingest");
        this.nextSequence = firstSequence;
        this.active = new OpenBatch(Math.min(settings.batchMaxBytes(), 64 << 10));
        this.spare = new OpenBatch(Math.min(settings.batchMaxBytes(), 64 << 10));
        // HTTP/1.1 keep-alive: one connection, reused batch after batch (no h2c upgrade dance with the collector).
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(Math.min(settings.requestTimeoutMillis(), 10_000)))
            .build();
        batchThread = new Thread(this::closeBatches, "ship-batch");
        batchThread.setDaemon(true);
        sendThread = new Thread(this::sendBatches, "ship-send");
        sendThread.setDaemon(true);
        batchThread.start();
        sendThread.start();
    }

    /**
     * Interim sequence scheme (issue 4 replaces it with a persisted counter): microseconds of the wall clock at
     * process start, then +1 per batch. Strictly increasing across restarts as long as the agent sends fewer than
     * 1000 batches per millisecond it has been running (it sends about one per second) and the clock does not step
     * back between runs.
     */
    public static long interimFirstSequence() {
        return System.currentTimeMillis() * 1000;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Capture thread

    /** Copies the second into the open batch. No I/O, no allocation in steady state; waits only for a swap. */
    @Override
    public void onSecond(final SecondRecord second) {
        lock.lock();
        try {
            if (closed) {
                secondsRefused.incrementAndGet();
                return;
            }
            final OpenBatch batch = active;
            if (!batch.begun) {
                batch.sequence = nextSequence++;
                batch.writer.begin(batch.buffer, settings.agentId(), batch.sequence);
                batch.begun = true;
            }
            final FlowTable flows = second.flows();
            try {
                batch.writer.second(second.interfaceName(), second.profile(), second.epochSecond(), second.total(),
                    second.nonIp(), second.unparsed(), flows.overflow(), second.pcapReceived(), second.pcapDropped(),
                    flows.size());
            } catch (final IllegalArgumentException e) {
                // Refused before anything was written (e.g. a profile over 255 bytes): the batch stays valid.
                secondsRefused.incrementAndGet();
                LOG.error("second {} of {} not shipped: {}", second.epochSecond(), second.interfaceName(),
                    e.getMessage());
                return;
            }
            for (int i = 0; i < flows.size(); i++) {
                final long meta = flows.meta(i);
                batch.writer.flow(FlowMeta.direction(meta), FlowMeta.ipVersion(meta), FlowMeta.protocol(meta),
                    flows.srcHi(i), flows.srcLo(i), FlowMeta.srcPort(meta), flows.dstHi(i), flows.dstLo(i),
                    FlowMeta.dstPort(meta), flows.packets(i), flows.wireBytes(i), flows.ipBytes(i));
            }
            batch.seconds++;
            secondsEncoded.incrementAndGet();
            if (batch.buffer.readableBytes() >= settings.batchMaxBytes()) {
                // Swap here rather than wait for the batch thread: a fast producer (replay) would otherwise keep the
                // lock and grow one batch past any bound. If the spare is still being copied, the batch grows a
                // little more and swaps at the next second.
                if (spare != null) {
                    full = batch;
                    active = spare;
                    spare = null;
                }
                closeDue.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Batch thread

    private void closeBatches() {
        final long intervalNanos = TimeUnit.MILLISECONDS.toNanos(settings.flushIntervalMillis());
        long nextCloseNanos = System.nanoTime() + intervalNanos;
        while (true) {
            lock.lock();
            try {
                long waitNanos;
                while (!closed && full == null && active.buffer.readableBytes() < settings.batchMaxBytes() &&
                    (waitNanos = nextCloseNanos - System.nanoTime()) > 0) {
                    closeDue.awaitNanos(waitNanos);
                }
                if (closed) {
                    return;
                }
            } catch (final InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            nextCloseNanos = System.nanoTime() + intervalNanos;
            closeOpenBatch();
        }
    }

    /** Queues the batch the capture thread closed, if any, then the open one (swapped for the spare). */
    private void closeOpenBatch() {
        synchronized (closing) {
            for (int i = 0; i < 2; i++) {
                final OpenBatch done;
                lock.lock();
                try {
                    if (full == null && active.begun && spare != null) {
                        full = active;
                        active = spare;
                        spare = null;
                    }
                    done = full;
                } finally {
                    lock.unlock();
                }
                if (done == null) {
                    return;
                }
                // Outside the lock: the capture thread writes into the other buffer meanwhile.
                done.writer.end();
                final ClosedBatch batch = new ClosedBatch(done.sequence, done.seconds,
                    ByteBufUtil.getBytes(done.buffer));
                done.buffer.clear();
                done.seconds = 0;
                done.begun = false;
                lock.lock();
                try {
                    full = null;
                    spare = done;
                } finally {
                    lock.unlock();
                }
                enqueue(batch);
            }
        }
    }

    private void enqueue(final ClosedBatch batch) {
        synchronized (queue) {
            queue.addLast(batch);
            queuedBytes += batch.frame().length;
            // Over the bound: drop the oldest batches, never the one on the wire nor the one just closed.
            final Iterator<ClosedBatch> oldest = queue.iterator();
            while (queuedBytes > settings.queueMaxBytes() && oldest.hasNext()) {
                final ClosedBatch candidate = oldest.next();
                if (candidate == inFlight || candidate == batch) {
                    continue;
                }
                oldest.remove();
                queuedBytes -= candidate.frame().length;
                batchesDropped.incrementAndGet();
                secondsDropped.addAndGet(candidate.seconds());
                LOG.warn("collector queue full ({} bytes): dropped batch {} ({} seconds, {} bytes) unsent; " +
                    "{} batches dropped so far", settings.queueMaxBytes(), candidate.sequence(), candidate.seconds(),
                    candidate.frame().length, batchesDropped.get());
            }
            queue.notifyAll();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Send thread

    private void sendBatches() {
        long backoffMillis = settings.initialBackoffMillis();
        long failingSinceNanos = 0;
        try {
            while (true) {
                final ClosedBatch batch;
                synchronized (queue) {
                    while (queue.isEmpty() && !stopping) {
                        queue.wait();
                    }
                    if (stopping) {
                        return;
                    }
                    batch = queue.peekFirst();
                    inFlight = batch;
                }
                final Attempt attempt = post(batch);
                synchronized (queue) {
                    inFlight = null;
                    if (attempt.retry()) {
                        attemptsFailed.incrementAndGet();
                        if (failingSinceNanos == 0) {
                            failingSinceNanos = System.nanoTime();
                            LOG.warn("collector {} : {}; retrying batch {} with backoff up to {} ms", ingest,
                                attempt.reason(), batch.sequence(), settings.maxBackoffMillis());
                        }
                        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
                        long leftNanos;
                        while (!stopping && (leftNanos = until - System.nanoTime()) > 0) {
                            TimeUnit.NANOSECONDS.timedWait(queue, leftNanos);
                        }
                        backoffMillis = Math.min(backoffMillis * 2, settings.maxBackoffMillis());
                        continue;
                    }
                    if (failingSinceNanos != 0) {
                        LOG.info("collector {} reachable again after {} ms", ingest,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSinceNanos));
                        failingSinceNanos = 0;
                    }
                    backoffMillis = settings.initialBackoffMillis();
                    // Still the head: dropping skips the batch on the wire.
                    queue.pollFirst();
                    queuedBytes -= batch.frame().length;
                    if (attempt.reason() == null) {
                        batchesAcknowledged.incrementAndGet();
                        secondsAcknowledged.addAndGet(batch.seconds());
                    } else {
                        batchesRejected.incrementAndGet();
                        lastRejection = attempt.reason();
                        LOG.error("collector {} refused batch {} ({} seconds), not retried: {}", ingest,
                            batch.sequence(), batch.seconds(), attempt.reason());
                    }
                    queue.notifyAll();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (queue) {
                inFlight = null;
                queue.notifyAll();
            }
        }
    }

    /** Outcome of one POST: acknowledged (no reason), refused for good (reason), or to be retried. */
    private record Attempt(boolean retry, String reason) {
    }

    private Attempt post(final ClosedBatch batch) throws InterruptedException {
        final HttpRequest request = HttpRequest.newBuilder(ingest)
            .timeout(Duration.ofMillis(settings.requestTimeoutMillis()))
            .header("Authorization", "Bearer " + settings.token())
            .header("Content-Type", WireFormat.CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofByteArray(batch.frame()))
            .build();
        final HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            final String message = e.getMessage();
            return new Attempt(true, e.getClass().getSimpleName() +
                (message == null || message.isBlank() ? "" : ": " + oneLine(message)));
        }
        final int status = response.statusCode();
        if (status == 200) {
            return new Attempt(false, null);
        }
        final String reason = "HTTP " + status + " " + oneLine(response.body());
        // 408 and 429 say "later"; any other 4xx will not get better by sending the same bytes again.
        final boolean retry = status >= 500 || status == 408 || status == 429 || status < 400;
        return new Attempt(retry, reason.trim());
    }

    static String oneLine(final String body) {
        if (body == null) {
            return "";
        }
        final String line = body.strip().split("\r?\n", 2)[0];
        return line.length() > REASON_MAX_CHARS ? line.substring(0, REASON_MAX_CHARS) + "..." : line;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Any thread

    /** Closes the open batch now (if it holds any second) and queues it, instead of waiting for the interval. */
    public void flush() {
        closeOpenBatch();
    }

    /**
     * Flushes, then waits until the collector has answered for every queued batch (acknowledged or refused).
     *
     * @return false if batches were still undelivered when the timeout passed
     */
    public boolean awaitDelivered(final long timeout, final TimeUnit unit) throws InterruptedException {
        flush();
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (queue) {
            long leftNanos;
            while (!(queue.isEmpty() && inFlight == null)) {
                leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0 || stopping) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(queue, leftNanos);
            }
            return true;
        }
    }

    /** Stops taking seconds, gives queued batches up to {@code timeoutMillis} to be delivered, then stops. */
    public void close(final long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
        } finally {
            lock.unlock();
        }
        final boolean delivered = awaitDelivered(timeoutMillis, TimeUnit.MILLISECONDS);
        lock.lock();
        try {
            closed = true;
            closeDue.signalAll();
        } finally {
            lock.unlock();
        }
        flush(); // a second that arrived while we waited
        synchronized (queue) {
            stopping = true;
            queue.notifyAll();
            if (!delivered && !queue.isEmpty()) {
                long seconds = 0;
                for (final ClosedBatch batch : queue) {
                    seconds += batch.seconds();
                }
                LOG.warn("stopping with {} batches ({} seconds) not acknowledged by {}; they are lost (the " +
                    "reliable spool is issue 4)", queue.size(), seconds, ingest);
            }
        }
        sendThread.interrupt(); // a request still waiting for an answer
        batchThread.join(TimeUnit.SECONDS.toMillis(5));
        sendThread.join(TimeUnit.SECONDS.toMillis(5));
        synchronized (closing) {
            active.buffer.release();
            if (spare != null) {
                spare.buffer.release();
            }
            if (full != null) {
                full.buffer.release();
            }
        }
    }

    /** {@link #close(long)} with 3 s for the last batches; an interrupt ends the wait and stays set. */
    @Override
    public void close() {
        try {
            close(TimeUnit.SECONDS.toMillis(3));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public URI ingestUri() {
        return ingest;
    }

    public long secondsEncoded() {
        return secondsEncoded.get();
    }

    /** Seconds not encoded: refused by the writer (invalid strings) or offered after close. */
    public long secondsRefused() {
        return secondsRefused.get();
    }

    public long batchesAcknowledged() {
        return batchesAcknowledged.get();
    }

    public long secondsAcknowledged() {
        return secondsAcknowledged.get();
    }

    /** Batches the collector refused with a 4xx (not retried). */
    public long batchesRejected() {
        return batchesRejected.get();
    }

    /** The collector's reason for the last refused batch, or null. */
    public String lastRejection() {
        return lastRejection;
    }

    /** Batches dropped unsent because the queue was full. */
    public long batchesDropped() {
        return batchesDropped.get();
    }

    public long secondsDropped() {
        return secondsDropped.get();
    }

    /** POSTs that failed and were retried (I/O error, 5xx, 408, 429). */
    public long attemptsFailed() {
        return attemptsFailed.get();
    }

    public long queuedBytes() {
        synchronized (queue) {
            return queuedBytes;
        }
    }
}
