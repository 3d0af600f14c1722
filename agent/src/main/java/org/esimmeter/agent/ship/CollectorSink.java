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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
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
 * Store and forward (with a {@link Spool}; a replay runs without one): every closed batch stays in memory until
 * the collector acknowledges it; at most once per {@code spoolFlushMillis} the batch thread appends the batches
 * not yet on disk to a new segment file of the spool directory (routers write flash rarely; a batch acknowledged
 * before that never touches the disk), and {@link #close} writes everything unacknowledged before it returns. A
 * segment file is deleted once all its batches are acknowledged. At start the batches found in the spool are sent
 * first, in sequence order, then the new ones; sequence numbers come from the spool's persisted lease, so they
 * increase strictly across restarts, kill -9 included.
 * <p>
 * What can be lost: after a clean stop ({@link #close}, SIGTERM), nothing the spool could write. After kill -9 or a
 * power cut, the seconds sealed since the last spool flush that the collector had not yet acknowledged: at most
 * {@code spoolFlushMillis} plus one batch interval of seconds, and none while the collector keeps up; a segment
 * torn by the kill is cut at its last whole frame (length + CRC32C) with a WARN line at the next start.
 * <p>
 * The bound: unacknowledged batches (memory and spool alike) are capped at {@code spoolMaxBytes}; over it the
 * oldest batch not on the wire is dropped, with a WARN line and the {@link #batchesDropped()} counter. That is this
 * increment's behaviour; issue 4 goes on to merge old seconds into coarser records instead, so totals stay exact.
 */
public final class CollectorSink implements SecondSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorSink.class);
    private static final int REASON_MAX_CHARS = 300;

    /** Where and how to ship; times in milliseconds. */
    public record Settings(URI collector, String agentId, String token, int batchMaxBytes, long spoolMaxBytes,
        long flushIntervalMillis, long initialBackoffMillis, long maxBackoffMillis, long requestTimeoutMillis,
        long spoolFlushMillis) {

        /**
         * The defaults of a running agent: a batch per second, backoff from 0.5 s to 30 s, 30 s per request, the
         * spool written at most once a minute.
         */
        public static Settings of(final URI collector, final String agentId, final String token,
            final int batchMaxBytes, final long spoolMaxBytes) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, 1000, 500, 30_000, 30_000,
                60_000);
        }

        public Settings withSpoolFlush(final long spoolFlushMillis) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, flushIntervalMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis, spoolFlushMillis);
        }

        public Settings withTimes(final long flushIntervalMillis, final long initialBackoffMillis,
            final long maxBackoffMillis) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, flushIntervalMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis, spoolFlushMillis);
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

    /** A closed batch: the exact bytes that are sent, and resent until acknowledged; in a segment once spooled. */
    private static final class ClosedBatch {
        final long sequence;
        final int seconds;
        final byte[] frame;
        Spool.Segment segment; // guarded by queue's monitor

        ClosedBatch(final long sequence, final int seconds, final byte[] frame, final Spool.Segment segment) {
            this.sequence = sequence;
            this.seconds = seconds;
            this.frame = frame;
            this.segment = segment;
        }

        long sequence() {
            return sequence;
        }

        int seconds() {
            return seconds;
        }

        byte[] frame() {
            return frame;
        }
    }

    private final Settings settings;
    private final URI ingest;
    private final HttpClient client;
    private final Spool spool; // null: memory only (replay)

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
    private final AtomicLong spoolWriteFailures = new AtomicLong();
    private volatile String lastRejection;

    private final Thread batchThread;
    private final Thread sendThread;

    /**
     * @param firstSequence the first batch's sequence number; later batches count up from it
     *                      ({@link #interimFirstSequence()} for a running agent)
     */
    public CollectorSink(final Settings settings, final long firstSequence) {
        this(settings, firstSequence, null);
    }

    /**
     * A sink that spools to {@code spool} and takes its sequence numbers from it; it sends the batches found there
     * first. {@link #close} closes the spool.
     */
    public CollectorSink(final Settings settings, final Spool spool) {
        this(settings, 0, spool);
    }

    private CollectorSink(final Settings settings, final long firstSequence, final Spool spool) {
        this.settings = settings;
        this.spool = spool;
        if (spool != null) {
            for (final Spool.Recovered batch : spool.recovered()) {
                queue.addLast(new ClosedBatch(batch.sequence(), batch.seconds(), batch.frame(), batch.segment()));
                queuedBytes += batch.frame().length;
            }
            if (!queue.isEmpty()) {
                LOG.info("spool {} : {} unacknowledged batches from before the restart, sent first",
                    spool.directory(), queue.size());
            }
        }
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
     * The sequence scheme of a replay (no spool): microseconds of the wall clock at process start, then +1 per
     * batch. Strictly increasing across runs as long as fewer than 1000 batches per millisecond of run time are sent
     * and the clock does not step back between runs. A running agent takes its numbers from the {@link Spool}.
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
                // The spool's lease is renewed ahead by the batch thread: no file I/O here in practice.
                batch.sequence = spool != null ? spool.nextSequence() : nextSequence++;
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
        final long spoolNanos = TimeUnit.MILLISECONDS.toNanos(settings.spoolFlushMillis());
        long nextCloseNanos = System.nanoTime() + intervalNanos;
        long nextSpoolNanos = System.nanoTime() + spoolNanos;
        while (true) {
            final boolean closeNow;
            lock.lock();
            try {
                long waitNanos;
                // Wakes for the next batch close or, with a spool, the next spool flush, whichever comes first.
                while (!closed && full == null && active.buffer.readableBytes() < settings.batchMaxBytes() &&
                    (waitNanos = Math.min(nextCloseNanos - System.nanoTime(),
                        spool == null ? Long.MAX_VALUE : nextSpoolNanos - System.nanoTime())) > 0) {
                    closeDue.awaitNanos(waitNanos);
                }
                if (closed) {
                    return;
                }
                closeNow = full != null || System.nanoTime() - nextCloseNanos >= 0 ||
                    active.buffer.readableBytes() >= settings.batchMaxBytes();
            } catch (final InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (closeNow) {
                nextCloseNanos = System.nanoTime() + intervalNanos;
                closeOpenBatch();
            }
            if (spool != null) {
                spool.prefetch();
                if (System.nanoTime() - nextSpoolNanos >= 0) {
                    nextSpoolNanos = System.nanoTime() + spoolNanos;
                    spoolPending();
                }
            }
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
                    ByteBufUtil.getBytes(done.buffer), null);
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

    /** Appends the unacknowledged batches not yet on disk to a new segment; a failure leaves them for next time. */
    private void spoolPending() {
        synchronized (queue) {
            final List<byte[]> frames = new ArrayList<>();
            final List<ClosedBatch> batches = new ArrayList<>();
            for (final ClosedBatch batch : queue) {
                if (batch.segment == null) {
                    frames.add(batch.frame());
                    batches.add(batch);
                }
            }
            if (batches.isEmpty()) {
                return;
            }
            try {
                final Spool.Segment segment = spool.write(batches.get(0).sequence(), frames);
                for (final ClosedBatch batch : batches) {
                    batch.segment = segment;
                }
            } catch (final IOException e) {
                spoolWriteFailures.incrementAndGet();
                LOG.error("spool {} : cannot write {} batches ({}); they stay in memory only", spool.directory(),
                    batches.size(), e.toString());
            }
        }
    }

    /** The batch leaves memory (acknowledged, refused or dropped): its segment loses one. Under queue's monitor. */
    private void release(final ClosedBatch batch) {
        if (batch.segment != null) {
            spool.release(batch.segment);
            batch.segment = null;
        }
    }

    private void enqueue(final ClosedBatch batch) {
        synchronized (queue) {
            queue.addLast(batch);
            queuedBytes += batch.frame().length;
            // Over the bound: drop the oldest batches, never the one on the wire nor the one just closed.
            final Iterator<ClosedBatch> oldest = queue.iterator();
            while (queuedBytes > settings.spoolMaxBytes() && oldest.hasNext()) {
                final ClosedBatch candidate = oldest.next();
                if (candidate == inFlight || candidate == batch) {
                    continue;
                }
                oldest.remove();
                queuedBytes -= candidate.frame().length;
                release(candidate);
                batchesDropped.incrementAndGet();
                secondsDropped.addAndGet(candidate.seconds());
                LOG.warn("spool full ({} bytes unacknowledged): dropped the oldest batch {} ({} seconds, {} bytes) " +
                    "unsent; {} batches dropped so far", settings.spoolMaxBytes(), candidate.sequence(), candidate.seconds(),
                    candidate.frame().length, batchesDropped.get());
            }
            queue.notifyAll();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Send thread

    /**
     * The wait before the next attempt: between half the backoff and all of it ("equal jitter"), so a fleet of
     * routers that lost the collector at the same moment does not come back in lock step when it restarts.
     *
     * @param unit a uniform draw from [0, 1)
     */
    static long jitteredMillis(final long backoffMillis, final double unit) {
        final long half = (backoffMillis + 1) / 2; // rounded up: a 1 ms backoff still waits 1 ms
        return half + (long) ((backoffMillis - half) * unit);
    }

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
                        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                            jitteredMillis(backoffMillis, ThreadLocalRandom.current().nextDouble()));
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
                    release(batch);
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

    /**
     * Stops taking seconds, gives queued batches up to {@code timeoutMillis} to be delivered, then stops; with a
     * spool, writes every batch still unacknowledged to it and closes it, so the next start sends them first.
     */
    public void close(final long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
        } finally {
            lock.unlock();
        }
        awaitDelivered(timeoutMillis, TimeUnit.MILLISECONDS);
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
        }
        sendThread.interrupt(); // a request still waiting for an answer
        batchThread.join(TimeUnit.SECONDS.toMillis(5));
        sendThread.join(TimeUnit.SECONDS.toMillis(5));
        synchronized (queue) {
            // Not only when the wait timed out: a second may have arrived after it.
            if (!queue.isEmpty()) {
                long seconds = 0;
                for (final ClosedBatch batch : queue) {
                    seconds += batch.seconds();
                }
                if (spool != null) {
                    spoolPending();
                    LOG.warn("stopping with {} batches ({} seconds) not acknowledged by {}; spooled in {}, sent " +
                        "first at the next start", queue.size(), seconds, ingest, spool.directory());
                } else {
                    LOG.warn("stopping with {} batches ({} seconds) not acknowledged by {}; they are lost (no " +
                        "spool)", queue.size(), seconds, ingest);
                }
            }
        }
        closeSpool();
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

    private void closeSpool() {
        if (spool != null) {
            try {
                spool.close();
            } catch (final IOException e) {
                LOG.warn("spool {} : cannot release the lock: {}", spool.directory(), e.toString());
            }
        }
    }

    /**
     * Test hook for kill -9: stops the threads and releases the spool's lock without writing anything, as if the
     * process had died. What was not yet spooled is gone; the sequence lease on disk stays.
     */
    void abandon() throws InterruptedException {
        lock.lock();
        try {
            closed = true;
            closeDue.signalAll();
        } finally {
            lock.unlock();
        }
        synchronized (queue) {
            stopping = true;
            queue.notifyAll();
        }
        sendThread.interrupt();
        batchThread.interrupt();
        batchThread.join(TimeUnit.SECONDS.toMillis(5));
        sendThread.join(TimeUnit.SECONDS.toMillis(5));
        closeSpool();
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

    /** Spool segment writes that failed (the batches stayed in memory and are tried again at the next flush). */
    public long spoolWriteFailures() {
        return spoolWriteFailures.get();
    }

    /** Segment files written, 0 without a spool. */
    public long spoolWrites() {
        return spool == null ? 0 : spool.segmentWrites();
    }

    /** Bytes of unacknowledged batches, in memory and (a subset of them) in the spool. */
    public long queuedBytes() {
        synchronized (queue) {
            return queuedBytes;
        }
    }
}
