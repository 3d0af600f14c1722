package org.esimmeter.agent.ship;

import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.agent.meter.SecondSink;
import org.esimmeter.agent.privacy.AddressTruncation;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every sealed second to the collector's {@code POST /v1/ingest}, through a bounded store-and-forward spool.
 * <pre>
 *  capture thread(s)            "ship-batch" thread                     "ship-send" thread
 *  onSecond: encode into the    lingerMillis after the open batch got   POST the oldest batches (up to 256 frames in
 *  open batch (BatchWriter),    its first second (or at batchMaxBytes): one body after an outage); 200 -> next;
 *  under a short lock; no I/O   swap the open and spare buffers under   5xx / I/O error / 408 / 429 -> same bytes
 *                               the lock, end + copy the closed one     again after a jittered backoff; other 4xx ->
 *                               outside it, queue it; spool, merge at   find the refused frame, log the collector's
 *                               the cap, watch the wall clock           reason, drop it, next
 * </pre>
 * The capture thread never waits for the network or the disk: it only takes the lock that the batch thread holds for
 * a pointer swap (the HdrHistogram interval-swap pattern), and encodes into a buffer that steady state reuses.
 * <p>
 * Store and forward (with a {@link Spool}; a replay runs without one): every closed batch stays queued until the
 * collector acknowledges it. At most once per {@code spoolFlushMillis} the batch thread appends the batches not yet on
 * disk to a new segment file (routers write flash rarely; a batch acknowledged before that never touches the disk),
 * sooner only when they would pass {@code spoolMemoryBytes}; {@link #close} writes everything unacknowledged and
 * rewrites segments that are partly acknowledged. Spooled batches beyond {@code spoolMemoryBytes} leave the heap and
 * are read back when their turn comes, so the heap holds a bounded window whatever the outage. At start the batches
 * found in the spool are sent first, in order; sequence numbers come from the spool's persisted lease, so they
 * increase strictly across restarts, kill -9 included.
 * <p>
 * The cap: when the unacknowledged batches pass {@code spoolMaxBytes}, the oldest are merged ({@link BatchMerger})
 * into per-minute records, then per-hour, per-day, and last per-day interface totals, until they fit in three
 * quarters of the cap: totals stay exact, detail goes, and the collector is told by the records' spans. A batch that
 * may already be at the collector (its POST got no definite answer) is never merged: merging gives new sequence
 * numbers, and the collector would count those seconds twice. Only if even day totals do not fit is a batch dropped.
 * <p>
 * What can be lost: after a clean stop ({@link #close}, SIGTERM), nothing. After kill -9 or a power cut, the open
 * second and the seconds sealed since the last spool flush that the collector had not yet acknowledged: with the
 * collector reachable that is the open second and at most the one whose POST was in flight (a batch leaves
 * {@code lingerMillis} after its first second); during an outage, up to {@code spoolFlushMillis} of seconds.
 */
public final class CollectorSink implements SecondSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorSink.class);
    private static final int REASON_MAX_CHARS = 300;
    private static final long NOT_TIMED = Long.MIN_VALUE; // a batch's close time when it is not known

    /** Where and how to ship; times in milliseconds. */
    public record Settings(URI collector, String agentId, String token, int batchMaxBytes, long spoolMaxBytes,
        long lingerMillis, long initialBackoffMillis, long maxBackoffMillis, long requestTimeoutMillis,
        long spoolFlushMillis, long spoolMemoryBytes, int maxFramesPerRequest) {

        /** Frames in one request, as the collector accepts them ({@link WireFormat#MAX_FRAMES_PER_REQUEST}). */
        public static final int DEFAULT_MAX_FRAMES_PER_REQUEST = WireFormat.MAX_FRAMES_PER_REQUEST;
        /** Heap for spooled batches: a few minutes of a busy router; the rest waits on disk. */
        public static final long DEFAULT_SPOOL_MEMORY_BYTES = 4 << 20;

        /**
         * The defaults of a running agent: a batch leaves 100 ms after its first second (the interfaces' seconds
         * seal together), backoff from 0.5 s to 30 s, 30 s per request, the spool written at most once a minute.
         */
        public static Settings of(final URI collector, final String agentId, final String token,
            final int batchMaxBytes, final long spoolMaxBytes) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, 100, 500, 30_000, 30_000,
                60_000, Math.min(DEFAULT_SPOOL_MEMORY_BYTES, spoolMaxBytes), DEFAULT_MAX_FRAMES_PER_REQUEST);
        }

        public Settings withSpoolFlush(final long spoolFlushMillis) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, lingerMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis, spoolFlushMillis, spoolMemoryBytes,
                maxFramesPerRequest);
        }

        public Settings withTimes(final long lingerMillis, final long initialBackoffMillis,
            final long maxBackoffMillis) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, lingerMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis, spoolFlushMillis, spoolMemoryBytes,
                maxFramesPerRequest);
        }

        public Settings withSpoolMemory(final long spoolMemoryBytes) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, lingerMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis, spoolFlushMillis, spoolMemoryBytes,
                maxFramesPerRequest);
        }

        public Settings withMaxFramesPerRequest(final int maxFramesPerRequest) {
            return new Settings(collector, agentId, token, batchMaxBytes, spoolMaxBytes, lingerMillis,
                initialBackoffMillis, maxBackoffMillis, requestTimeoutMillis, spoolFlushMillis, spoolMemoryBytes,
                maxFramesPerRequest);
        }
    }

    /** One batch being written: the HdrHistogram-style active/inactive pair swaps two of these. */
    private static final class OpenBatch {
        final BatchWriter writer = new BatchWriter();
        final ByteBuf buffer;
        long sequence;
        int seconds;
        boolean begun;
        long begunNanos;

        OpenBatch(final int capacity) {
            buffer = ByteBufAllocator.DEFAULT.heapBuffer(capacity);
        }
    }

    /**
     * A closed batch: the exact bytes that are sent, and resent until acknowledged. Its frame is in memory, in a
     * segment, or both; all fields but the final ones are guarded by queue's monitor.
     */
    private static final class ClosedBatch {
        final long sequence;
        final int seconds;
        final int length;
        final MergeLevel level;
        byte[] frame; // null once it left the heap: read back from segment at offset
        Spool.Segment segment;
        long offset;
        // Put on the wire without a definite "not stored": it may be at the collector, so it is never merged.
        boolean maybeDelivered;
        // When it was closed, for the ship latency; a merge's replacements take the oldest of the batches it replaces.
        long closedNanos = System.nanoTime();

        ClosedBatch(final long sequence, final int seconds, final byte[] frame, final MergeLevel level) {
            this.sequence = sequence;
            this.seconds = seconds;
            this.length = frame.length;
            this.frame = frame;
            this.level = level;
        }

        ClosedBatch(final Spool.Recovered recovered) {
            this.sequence = recovered.sequence();
            this.seconds = recovered.seconds();
            this.length = recovered.length();
            this.level = recovered.level();
            this.segment = recovered.segment();
            this.offset = recovered.offset();
            this.closedNanos = NOT_TIMED; // closed by an earlier process: no clock to measure from
        }
    }

    private final Settings settings;
    // Set once before capture starts; read under the lock by the capture thread, which alone uses the holder.
    private volatile FlowLabels labels = FlowLabels.NONE;
    private volatile AddressTruncation truncation = AddressTruncation.NONE;
    private final FlowLabel label = new FlowLabel();
    private final URI ingest;
    private final HttpClient client;
    private final Spool spool; // null: memory only (replay)
    private final BatchMerger merger;
    private final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES); // batch thread only
    private final ClockWatch clockWatch; // batch thread only

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
    // Seconds stamped since the last clock step (the range a step report names), and steps not yet in a batch.
    private long firstStampedSecond = Long.MAX_VALUE;
    private long lastStampedSecond = Long.MIN_VALUE;
    private final List<ClockStep> pendingSteps = new ArrayList<>();
    // Serializes closing a batch (batch thread, flush from other threads): the spare is only touched under it.
    private final Object closing = new Object();

    // Delivery side, guarded by queue's monitor.
    private final ArrayDeque<ClosedBatch> queue = new ArrayDeque<>();
    private long queuedBytes;   // every unacknowledged batch, in memory or on disk: what the cap bounds
    private long memoryBytes;   // frames held in the heap
    private long unspooledBytes; // frames only in the heap
    private int inFlight;       // batches at the head of the queue in the current POST
    private int soloLeft;       // after a refused multi-frame POST: batches to send one by one to find the bad one
    private boolean stopping;

    private final AtomicLong secondsEncoded = new AtomicLong();
    private final AtomicLong secondsRefused = new AtomicLong();
    private final AtomicLong batchesAcknowledged = new AtomicLong();
    private final AtomicLong secondsAcknowledged = new AtomicLong();
    private final AtomicLong requestsAcknowledged = new AtomicLong();
    private final AtomicLong batchesRejected = new AtomicLong();
    private final AtomicLong batchesDropped = new AtomicLong();
    private final AtomicLong secondsDropped = new AtomicLong();
    private final AtomicLong attemptsFailed = new AtomicLong();
    private final AtomicLong spoolWriteFailures = new AtomicLong();
    private final AtomicLong merges = new AtomicLong();
    private final AtomicLong batchesMerged = new AtomicLong();
    private final AtomicLong secondsMerged = new AtomicLong();
    private final AtomicLong clockSteps = new AtomicLong();
    private volatile String lastRejection;
    // The collector's reason while it refuses this agent's token (401/403), null once a request is acknowledged.
    private volatile String tokenRefusal;
    // Self-metrics the send thread records into, once ShipMetrics has bound them (null before).
    private volatile Timer latency;   // batch closed -> acknowledged
    private volatile Timer roundTrip; // POST sent -> acknowledged
    // The last attempt failed: a stop does not wait for a collector that is not answering.
    private volatile boolean failing;

    private final Thread batchThread;
    private final Thread sendThread;

    /**
     * @param firstSequence the first batch's sequence number; later batches count up from it
     *                      ({@link #interimFirstSequence()} for a replay)
     */
    public CollectorSink(final Settings settings, final long firstSequence) {
        this(settings, firstSequence, null, ClockWatch.Clocks.SYSTEM);
    }

    /**
     * A sink that spools to {@code spool} and takes its sequence numbers from it; it sends the batches found there
     * first. {@link #close} closes the spool.
     */
    public CollectorSink(final Settings settings, final Spool spool) {
        this(settings, 0, spool, ClockWatch.Clocks.SYSTEM);
    }

    CollectorSink(final Settings settings, final long firstSequence, final Spool spool,
        final ClockWatch.Clocks clocks) {
        this.settings = settings;
        this.spool = spool;
        this.nextSequence = firstSequence;
        this.merger = new BatchMerger(settings.agentId(), settings.batchMaxBytes(), this::takeSequence);
        this.clockWatch = new ClockWatch(clocks, ClockWatch.DEFAULT_THRESHOLD_MILLIS);
        if (spool != null) {
            for (final Spool.Recovered recovered : spool.recovered()) {
                final ClosedBatch batch = new ClosedBatch(recovered);
                queue.addLast(batch);
                queuedBytes += batch.length;
            }
            if (!queue.isEmpty()) {
                LOG.info("spool {} : {} unacknowledged batches ({} bytes) from before the restart, sent first",
                    spool.directory(), queue.size(), queuedBytes);
            }
        }
        final String base = settings.collector().toString();
        this.ingest = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/ingest");
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

    /**
     * The spool's lease (file I/O only when a block runs out, and the batch thread renews it ahead), or the in-memory
     * counter of a replay, under the capture lock (reentrant: the capture thread holds it already).
     */
    private long takeSequence() {
        if (spool != null) {
            return spool.nextSequence();
        }
        lock.lock();
        try {
            return nextSequence++;
        } finally {
            lock.unlock();
        }
    }

    /** Names each flow's device and service as seconds are encoded; {@link FlowLabels#NONE} until set. */
    public CollectorSink labelFlowsWith(final FlowLabels labels) {
        this.labels = labels;
        return this;
    }

    /** Cuts flow addresses to the configured prefixes before they are encoded; whole until set. */
    public CollectorSink truncateAddresses(final AddressTruncation truncation) {
        this.truncation = truncation;
        return this;
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
                batch.sequence = takeSequence();
                batch.writer.begin(batch.buffer, settings.agentId(), batch.sequence, WireFormat.FLAG_CONTEXT);
                batch.begun = true;
                batch.begunNanos = System.nanoTime();
                closeDue.signal(); // the batch thread now waits for the linger, not the clock check
            }
            final FlowTable flows = second.flows();
            try {
                batch.writer.second(second.interfaceName(), second.profile(), second.epochSecond(), 1,
                    second.network(), second.total(), second.nonIp(), second.unparsed(), flows.overflow(),
                    second.uncaptured(), second.pcapReceived(), second.pcapDropped(), flows.size());
            } catch (final IllegalArgumentException e) {
                // Refused before anything was written (e.g. a profile over 255 bytes): the batch stays valid.
                secondsRefused.incrementAndGet();
                LOG.error("second {} of {} not shipped: {}", second.epochSecond(), second.interfaceName(),
                    e.getMessage());
                return;
            }
            final FlowLabels labels = this.labels;
            final AddressTruncation cut = this.truncation;
            for (int i = 0; i < flows.size(); i++) {
                final long meta = flows.meta(i);
                final int version = FlowMeta.ipVersion(meta);
                label.clear();
                labels.label(second, i, label); // from the whole addresses, before they are cut
                batch.writer.flow(FlowMeta.direction(meta), version, FlowMeta.protocol(meta),
                    cut.hi(version, flows.srcHi(i)), cut.lo(version, flows.srcLo(i)), FlowMeta.srcPort(meta),
                    cut.hi(version, flows.dstHi(i)), cut.lo(version, flows.dstLo(i)), FlowMeta.dstPort(meta), flows.packets(i), flows.wireBytes(i), flows.ipBytes(i), label.device,
                    label.approximate && label.device != null, label.service);
            }
            batch.seconds++;
            secondsEncoded.incrementAndGet();
            firstStampedSecond = Math.min(firstStampedSecond, second.epochSecond());
            lastStampedSecond = Math.max(lastStampedSecond, second.epochSecond());
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
        final long lingerNanos = TimeUnit.MILLISECONDS.toNanos(settings.lingerMillis());
        final long spoolNanos = TimeUnit.MILLISECONDS.toNanos(settings.spoolFlushMillis());
        final long clockNanos = TimeUnit.SECONDS.toNanos(1);
        long nextSpoolNanos = System.nanoTime() + spoolNanos;
        long nextClockNanos = System.nanoTime() + clockNanos;
        while (true) {
            final boolean closeNow;
            lock.lock();
            try {
                long waitNanos;
                // Wakes for the open batch's linger, the clock check and, with a spool, the next flush.
                while (!closed && full == null && active.buffer.readableBytes() < settings.batchMaxBytes() &&
                    (waitNanos = Math.min(Math.min(
                        active.begun ? active.begunNanos + lingerNanos - System.nanoTime() : Long.MAX_VALUE,
                        nextClockNanos - System.nanoTime()),
                        spool == null ? Long.MAX_VALUE : nextSpoolNanos - System.nanoTime())) > 0) {
                    closeDue.awaitNanos(waitNanos);
                }
                if (closed) {
                    return;
                }
                closeNow = full != null || active.buffer.readableBytes() >= settings.batchMaxBytes() ||
                    active.begun && System.nanoTime() - (active.begunNanos + lingerNanos) >= 0;
            } catch (final InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (System.nanoTime() - nextClockNanos >= 0) {
                nextClockNanos = System.nanoTime() + clockNanos;
                watchClock();
            }
            if (closeNow) {
                closeOpenBatch();
            }
            if (spool != null) {
                spool.prefetch();
                if (System.nanoTime() - nextSpoolNanos >= 0) {
                    nextSpoolNanos = System.nanoTime() + spoolNanos;
                    synchronized (queue) {
                        spoolPending();
                    }
                }
            }
        }
    }

    /**
     * Reports a wall-clock step in the next batch: the seconds stamped since the last step (or the start) up to the
     * old clock's "now" carry the old clock, and the collector is told which they are.
     */
    private void watchClock() {
        final long step = clockWatch.check();
        if (step == 0) {
            return;
        }
        final long now = clockWatch.lastWallMillis();
        final long oldNowSecond = Math.floorDiv(now - step, 1000);
        final ClockStep report;
        lock.lock();
        try {
            report = new ClockStep(now, step, Math.min(firstStampedSecond, oldNowSecond),
                Math.max(lastStampedSecond, oldNowSecond));
            pendingSteps.add(report);
            firstStampedSecond = Long.MAX_VALUE;
            lastStampedSecond = Long.MIN_VALUE;
        } finally {
            lock.unlock();
        }
        clockSteps.incrementAndGet();
        LOG.warn("wall clock stepped by {} ms (now {}); seconds stamped {} to {} carry the old clock; the step goes " +
            "to the collector with the next batch", step, java.time.Instant.ofEpochMilli(now),
            report.affectedFromSecond(), report.affectedToSecond());
        closeOpenBatch(); // the report leaves now, even if no second is open
    }

    /** Queues the batch the capture thread closed, if any, then the open one (swapped for the spare). */
    private void closeOpenBatch() {
        synchronized (closing) {
            for (int i = 0; i < 2; i++) {
                final OpenBatch done;
                final List<ClockStep> steps;
                lock.lock();
                try {
                    if (full == null && spare != null && (active.begun || !pendingSteps.isEmpty() && !closed)) {
                        if (!active.begun) {
                            // A step report with no second to ride on: an empty batch carries it.
                            active.sequence = takeSequence();
                            active.writer.begin(active.buffer, settings.agentId(), active.sequence, WireFormat.FLAG_CONTEXT);
                            active.begun = true;
                        }
                        full = active;
                        active = spare;
                        spare = null;
                    }
                    done = full;
                    steps = done == null || pendingSteps.isEmpty() ? List.of() : List.copyOf(pendingSteps);
                    pendingSteps.clear();
                } finally {
                    lock.unlock();
                }
                if (done == null) {
                    return;
                }
                // Outside the lock: the capture thread writes into the other buffer meanwhile.
                for (final ClockStep step : steps) {
                    done.writer.clockStep(step.detectedAtMillis(), step.stepMillis(), step.affectedFromSecond(),
                        step.affectedToSecond());
                }
                done.writer.end();
                final ClosedBatch batch = new ClosedBatch(done.sequence, done.seconds,
                    ByteBufUtil.getBytes(done.buffer), MergeLevel.SECOND);
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

    /**
     * Appends the unacknowledged batches not yet on disk to a new segment; a failure leaves them for next time.
     * Under queue's monitor.
     */
    private void spoolPending() {
        final List<byte[]> frames = new ArrayList<>();
        final List<ClosedBatch> batches = new ArrayList<>();
        for (final ClosedBatch batch : queue) {
            if (batch.segment == null) {
                frames.add(batch.frame);
                batches.add(batch);
            }
        }
        if (batches.isEmpty()) {
            return;
        }
        try {
            place(batches, spool.write(batches.get(0).sequence, frames, new long[0]));
            unspooledBytes = 0;
        } catch (final IOException e) {
            spoolWriteFailures.incrementAndGet();
            LOG.error("spool {} : cannot write {} batches ({}); they stay in memory only", spool.directory(),
                batches.size(), e.toString());
        }
        evict();
    }

    /** Records where each batch's frame sits in the segment just written with exactly these frames, in order. */
    private static void place(final List<ClosedBatch> batches, final Spool.Segment segment) {
        long offset = segment.firstFrameOffset;
        for (final ClosedBatch batch : batches) {
            batch.segment = segment;
            batch.offset = offset;
            offset += batch.length;
        }
    }

    /**
     * Lets spooled frames leave the heap, newest first (the oldest are sent next), down to a quarter of
     * {@code spoolMemoryBytes}: with at most another quarter not yet spooled and half in the request on the wire,
     * the heap holds at most {@code spoolMemoryBytes} of frames. Under queue's monitor.
     */
    private void evict() {
        final long target = settings.spoolMemoryBytes() / 4;
        if (memoryBytes <= target) {
            return;
        }
        final Iterator<ClosedBatch> newest = queue.descendingIterator();
        while (memoryBytes > target && newest.hasNext()) {
            final ClosedBatch batch = newest.next();
            if (batch.frame != null && batch.segment != null) {
                batch.frame = null;
                memoryBytes -= batch.length;
            }
        }
    }

    /** The batch's frame, read back from its segment if it left the heap. Under queue's monitor. */
    private byte[] frameOf(final ClosedBatch batch) throws IOException {
        if (batch.frame == null) {
            batch.frame = spool.read(batch.segment, batch.offset, batch.length);
            memoryBytes += batch.length;
        }
        return batch.frame;
    }

    /** The batch leaves the queue (acknowledged, refused, merged or dropped). Under queue's monitor. */
    private void remove(final ClosedBatch batch) {
        queuedBytes -= batch.length;
        if (batch.frame != null) {
            memoryBytes -= batch.length;
            if (batch.segment == null) {
                unspooledBytes -= batch.length;
            }
            batch.frame = null;
        }
        if (batch.segment != null) {
            spool.release(batch.segment);
            batch.segment = null;
        }
    }

    private void enqueue(final ClosedBatch batch) {
        synchronized (queue) {
            queue.addLast(batch);
            queuedBytes += batch.length;
            memoryBytes += batch.length;
            unspooledBytes += batch.length;
            if (spool != null && unspooledBytes > settings.spoolMemoryBytes() / 4) {
                // More than the heap should hold waits for the disk: the memory bound beats the flush interval.
                spoolPending();
            }
            if (queuedBytes > settings.spoolMaxBytes()) {
                compact();
            }
            queue.notifyAll();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // At the cap: merge

    /**
     * Merges the oldest batches one level coarser at a time until the queue fits in three quarters of the cap (so
     * the next merge is not one second away). Under queue's monitor: the sender waits meanwhile, capture does not.
     */
    private void compact() {
        final long target = settings.spoolMaxBytes() - settings.spoolMaxBytes() / 4;
        final long chunkBytes = Math.max(settings.batchMaxBytes(), Math.min(2L << 20, settings.spoolMaxBytes() / 4));
        for (MergeLevel level = MergeLevel.MINUTE; level != null && queuedBytes > target; level = level.coarser()) {
            while (queuedBytes > target) {
                final List<ClosedBatch> chunk = new ArrayList<>();
                long bytes = 0;
                for (final ClosedBatch batch : queue) {
                    if (!batch.maybeDelivered && batch.level.compareTo(level) < 0) {
                        chunk.add(batch);
                        bytes += batch.length;
                        if (bytes >= chunkBytes) {
                            break;
                        }
                    }
                }
                if (chunk.size() < 2 && (chunk.isEmpty() || chunk.get(0).seconds < 2)) {
                    break; // nothing left to gain at this level
                }
                if (!merge(chunk, level, bytes)) {
                    return; // the disk refused: over the cap, but nothing lost
                }
            }
        }
        dropOverCap();
    }

    /** Replaces {@code chunk} by its merge at {@code level}, on disk first when any of it was on disk. */
    private boolean merge(final List<ClosedBatch> chunk, final MergeLevel level, final long bytesIn) {
        final List<Batch> decoded = new ArrayList<>(chunk.size());
        long secondsIn = 0;
        long closedNanos = NOT_TIMED;
        try {
            for (final ClosedBatch batch : chunk) {
                if (batch.closedNanos != NOT_TIMED &&
                    (closedNanos == NOT_TIMED || batch.closedNanos - closedNanos < 0)) {
                    closedNanos = batch.closedNanos;
                }
                decoded.add(reader.read(Unpooled.wrappedBuffer(frameOf(batch))));
                if (batch.level == MergeLevel.SECOND) {
                    secondsIn += batch.seconds;
                }
            }
        } catch (final IOException | WireFormatException e) {
            spoolWriteFailures.incrementAndGet();
            LOG.error("spool {} : cannot read batches back to merge them ({}); the queue stays over its cap",
                spool == null ? "(memory)" : spool.directory(), e.toString());
            return false;
        }
        final List<BatchMerger.Merged> merged = merger.merge(decoded, level);
        final List<ClosedBatch> replacements = new ArrayList<>(merged.size());
        for (final BatchMerger.Merged m : merged) {
            replacements.add(new ClosedBatch(m.sequence(), m.records(), m.frame(), level));
            replacements.get(replacements.size() - 1).closedNanos = closedNanos;
        }
        final Set<ClosedBatch> replaced = Collections.newSetFromMap(new IdentityHashMap<>());
        replaced.addAll(chunk);
        final Set<Spool.Segment> touched = Collections.newSetFromMap(new IdentityHashMap<>());
        for (final ClosedBatch batch : chunk) {
            if (batch.segment != null) {
                touched.add(batch.segment);
            }
        }
        if (!touched.isEmpty() && !replacements.isEmpty()) {
            // The merged segment names what it replaces and is in place before the old segments lose those
            // batches: a crash in between leaves both, and the next start drops the replaced ones.
            final long[] supersedes = new long[chunk.size()];
            final List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                supersedes[i] = chunk.get(i).sequence;
            }
            for (final ClosedBatch batch : replacements) {
                frames.add(batch.frame);
            }
            try {
                place(replacements, spool.write(replacements.get(0).sequence, frames, supersedes));
            } catch (final IOException e) {
                spoolWriteFailures.incrementAndGet();
                LOG.error("spool {} : cannot write merged batches ({}); the queue stays over its cap",
                    spool.directory(), e.toString());
                return false;
            }
        }
        // The queue, in order, with the merged batches where the first replaced one was.
        final List<ClosedBatch> order = new ArrayList<>(queue);
        queue.clear();
        boolean inserted = false;
        for (final ClosedBatch batch : order) {
            if (!replaced.contains(batch)) {
                queue.addLast(batch);
                continue;
            }
            if (!inserted) {
                for (final ClosedBatch replacement : replacements) {
                    queue.addLast(replacement);
                    queuedBytes += replacement.length;
                    memoryBytes += replacement.length;
                    if (replacement.segment == null) {
                        unspooledBytes += replacement.length;
                    }
                }
                inserted = true;
            }
            remove(batch);
        }
        for (final Spool.Segment segment : touched) {
            rewriteLive(segment);
        }
        long bytesOut = 0;
        for (final ClosedBatch batch : replacements) {
            bytesOut += batch.length;
        }
        merges.incrementAndGet();
        batchesMerged.addAndGet(chunk.size());
        secondsMerged.addAndGet(secondsIn);
        LOG.warn("spool at its cap of {} bytes: merged {} batches ({} bytes) into {} {}-level records ({} bytes), " +
            "{} -> {} bytes unacknowledged; totals stay exact, the detail inside each {} s span is lost; {} " +
            "per-second records merged so far", settings.spoolMaxBytes(), chunk.size(), bytesIn,
            replacements.stream().mapToInt(b -> b.seconds).sum(), level.name().toLowerCase(Locale.ROOT), bytesOut,
            queuedBytes + bytesIn - bytesOut, queuedBytes, level.spanSeconds, secondsMerged.get());
        evict();
        return true;
    }

    /**
     * Rewrites a segment without the batches that left the queue (a merge replaced them, or the collector has
     * them), so neither comes back at the next start. Under queue's monitor.
     */
    private void rewriteLive(final Spool.Segment segment) {
        if (segment.remaining == 0) {
            return; // released to zero: already deleted
        }
        final List<ClosedBatch> live = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        try {
            for (final ClosedBatch batch : queue) {
                if (batch.segment == segment) {
                    live.add(batch);
                    frames.add(frameOf(batch));
                }
            }
            spool.rewrite(segment, frames);
        } catch (final IOException e) {
            spoolWriteFailures.incrementAndGet();
            LOG.error("spool {} : cannot rewrite {} without its {} acknowledged or merged batches ({}); a restart " +
                "resends what the collector has (it answers duplicate) and drops what a merge replaced",
                spool.directory(), segment.path.getFileName(), segment.released, e.toString());
            return;
        }
        place(live, segment);
        evict();
    }

    /** The last resort, when even per-day totals do not fit: the oldest batch goes, loudly. */
    private void dropOverCap() {
        final Iterator<ClosedBatch> oldest = queue.iterator();
        while (queuedBytes > settings.spoolMaxBytes() && oldest.hasNext()) {
            final ClosedBatch candidate = oldest.next();
            if (candidate.maybeDelivered || candidate == queue.peekLast()) {
                continue;
            }
            oldest.remove();
            remove(candidate);
            batchesDropped.incrementAndGet();
            secondsDropped.addAndGet(candidate.seconds);
            LOG.error("spool full ({} bytes) even with day totals: dropped the oldest batch {} ({} records, {} " +
                "bytes); {} batches dropped so far", settings.spoolMaxBytes(), candidate.sequence, candidate.seconds,
                candidate.length, batchesDropped.get());
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
                final List<ClosedBatch> batches = new ArrayList<>();
                final byte[] body;
                synchronized (queue) {
                    while (queue.isEmpty() && !stopping) {
                        queue.wait();
                    }
                    if (stopping) {
                        return;
                    }
                    body = nextRequest(batches);
                    if (body == null) {
                        continue; // the head could not be read back and was dropped
                    }
                }
                final long sentNanos = System.nanoTime();
                final Attempt attempt = post(body);
                final long answeredNanos = System.nanoTime();
                synchronized (queue) {
                    inFlight = 0;
                    if (attempt.retry()) {
                        attemptsFailed.incrementAndGet();
                        if (attempt.tokenRefused()) {
                            tokenRefusal = attempt.reason();
                        }
                        if (attempt.notSent()) {
                            for (final ClosedBatch batch : batches) {
                                batch.maybeDelivered = false;
                            }
                        }
                        failing = true;
                        if (failingSinceNanos == 0) {
                            failingSinceNanos = System.nanoTime();
                            LOG.warn("collector {} : {}; retrying from batch {} with backoff up to {} ms", ingest,
                                attempt.reason(), batches.get(0).sequence, settings.maxBackoffMillis());
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
                    failing = false;
                    tokenRefusal = null;
                    if (attempt.reason() != null && batches.size() > 1) {
                        // One frame spoiled the request: send these one by one, so only that one is dropped.
                        soloLeft = batches.size();
                        LOG.warn("collector {} refused a request of {} batches ({}); sending them one by one",
                            ingest, batches.size(), attempt.reason());
                        continue;
                    }
                    soloLeft = Math.max(0, soloLeft - batches.size());
                    for (final ClosedBatch batch : batches) {
                        // Still at the head: a merge never takes a batch that may be at the collector.
                        queue.remove(batch);
                        remove(batch);
                        if (attempt.reason() == null) {
                            batchesAcknowledged.incrementAndGet();
                            secondsAcknowledged.addAndGet(batch.seconds);
                            time(latency, batch.closedNanos, answeredNanos);
                        } else {
                            batchesRejected.incrementAndGet();
                            lastRejection = attempt.reason();
                            LOG.error("collector {} refused batch {} ({} records), not retried: {}", ingest,
                                batch.sequence, batch.seconds, attempt.reason());
                        }
                    }
                    if (attempt.reason() == null) {
                        requestsAcknowledged.incrementAndGet();
                        time(roundTrip, sentNanos, answeredNanos);
                    }
                    queue.notifyAll();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (queue) {
                inFlight = 0;
                queue.notifyAll();
            }
        }
    }

    private static void time(final Timer timer, final long fromNanos, final long toNanos) {
        if (timer != null && fromNanos != NOT_TIMED) {
            timer.record(toNanos - fromNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Where the send thread records ship latency and POST round trips (see {@link ShipMetrics}). */
    void timeInto(final Timer latency, final Timer roundTrip) {
        this.latency = latency;
        this.roundTrip = roundTrip;
    }

    /**
     * Takes the next request's batches from the head of the queue (up to {@code maxFramesPerRequest} and
     * {@code batchMaxBytes}, at least one) and marks them as on the wire. Under queue's monitor.
     *
     * @return the request body, or null if the head batch could not be read back from the spool (it is dropped)
     */
    private byte[] nextRequest(final List<ClosedBatch> batches) {
        final int maxFrames = soloLeft > 0 ? 1 : settings.maxFramesPerRequest();
        // A request's batches cannot be merged while it is out: at most a quarter of the cap, so a merge can always
        // bring the rest under it; and at most half the heap window. One batch always goes, whatever its size.
        final long maxBytes = Math.min(Math.min(WireFormat.DEFAULT_MAX_FRAME_BYTES / 4, settings.spoolMaxBytes() / 4),
            settings.spoolMemoryBytes() / 2);
        long bytes = 0;
        for (final ClosedBatch batch : queue) {
            if (batches.size() == maxFrames || !batches.isEmpty() && bytes + batch.length > maxBytes) {
                break;
            }
            try {
                frameOf(batch);
            } catch (final IOException e) {
                if (!batches.isEmpty()) {
                    break;
                }
                queue.remove(batch);
                remove(batch);
                batchesDropped.incrementAndGet();
                secondsDropped.addAndGet(batch.seconds);
                LOG.error("spool {} : cannot read batch {} back ({}); its {} records are lost", spool.directory(),
                    batch.sequence, e.toString(), batch.seconds);
                return null;
            }
            batches.add(batch);
            bytes += batch.length;
        }
        final byte[] body = new byte[(int) bytes];
        int at = 0;
        for (final ClosedBatch batch : batches) {
            batch.maybeDelivered = true;
            System.arraycopy(batch.frame, 0, body, at, batch.length);
            at += batch.length;
        }
        inFlight = batches.size();
        return body;
    }

    /**
     * Outcome of one POST: acknowledged (no reason), refused for good (reason), or to be retried; {@code notSent}
     * when no byte of it can have reached the collector (the connection was refused).
     */
    private record Attempt(boolean retry, String reason, boolean notSent, boolean tokenRefused) {
        Attempt(final boolean retry, final String reason, final boolean notSent) {
            this(retry, reason, notSent, false);
        }
    }

    private Attempt post(final byte[] body) throws InterruptedException {
        final HttpRequest request = HttpRequest.newBuilder(ingest)
            .timeout(Duration.ofMillis(settings.requestTimeoutMillis()))
            .header("Authorization", "Bearer " + settings.token())
            .header("Content-Type", WireFormat.CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
        final HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            final String message = e.getMessage();
            return new Attempt(true, e.getClass().getSimpleName() +
                (message == null || message.isBlank() ? "" : ": " + oneLine(message)),
                e instanceof java.net.ConnectException || e instanceof java.net.http.HttpConnectTimeoutException);
        }
        final int status = response.statusCode();
        if (status == 200) {
            return new Attempt(false, null, false);
        }
        final String reason = "HTTP " + status + " " + oneLine(response.body());
        // 408 and 429 say "later"; 401 and 403 say the collector does not know this agent's token yet — an operator
        // fixes that on either side, and the seconds must still be there then. Any other 4xx (a malformed or
        // oversized frame) will not get better by sending the same bytes again.
        final boolean retry = status >= 500 || status == 408 || status == 429 || status == 401 || status == 403 ||
            status < 400;
        return new Attempt(retry, reason.trim(), false, status == 401 || status == 403);
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
            while (!(queue.isEmpty() && inFlight == 0)) {
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
     * Stops taking seconds: with a spool, first writes every unacknowledged batch to it; then gives queued batches up
     * to {@code timeoutMillis} to be delivered (no wait while the collector is failing), stops, rewrites the segments
     * the collector acknowledged part of, and closes the spool, so the next start sends exactly what is left.
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
        flush();
        if (spool != null) {
            // Durable before waiting on the network: whatever ends this process now (a service manager's
            // timeout, a second signal), the next start sends what is left; the collector drops what it has.
            synchronized (queue) {
                spoolPending();
            }
        }
        if (!failing) {
            awaitDelivered(timeoutMillis, TimeUnit.MILLISECONDS);
        }
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
        batchThread.join(TimeUnit.SECONDS.toMillis(2));
        sendThread.join(TimeUnit.SECONDS.toMillis(2));
        synchronized (queue) {
            // Not only when the wait timed out: a second may have arrived after it.
            if (!queue.isEmpty()) {
                long seconds = 0;
                for (final ClosedBatch batch : queue) {
                    seconds += batch.seconds;
                }
                if (spool != null) {
                    spoolPending();
                    LOG.warn("stopping with {} batches ({} records) not acknowledged by {}; spooled in {}, sent " +
                        "first at the next start", queue.size(), seconds, ingest, spool.directory());
                } else {
                    LOG.warn("stopping with {} batches ({} records) not acknowledged by {}; they are lost (no " +
                        "spool)", queue.size(), seconds, ingest);
                }
            }
            if (spool != null) {
                // Segments the collector has partly acknowledged lose those batches now, so the next start does
                // not send them again.
                final Set<Spool.Segment> partly = Collections.newSetFromMap(new IdentityHashMap<>());
                for (final ClosedBatch batch : queue) {
                    if (batch.segment != null && batch.segment.released > 0) {
                        partly.add(batch.segment);
                    }
                }
                partly.forEach(this::rewriteLive);
            }
        }
        closeSpool();
        releaseBuffers();
    }

    private void releaseBuffers() {
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
        releaseBuffers(); // the heap would go with the process; only the leak detector would notice
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

    /** Batches the collector refused as unreadable (400) or too large (413): dropped, not retried. */
    public long batchesRejected() {
        return batchesRejected.get();
    }

    /** The collector's reason while it refuses this agent's token (retried, never dropped), or null. */
    public String tokenRefusal() {
        return tokenRefusal;
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

    /** POSTs that failed and were retried (I/O error, 5xx, 408, 429, and 401/403 while the token is refused). */
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

    /** Requests acknowledged (each carries one batch, or many after an outage). */
    public long requestsAcknowledged() {
        return requestsAcknowledged.get();
    }

    /** Times the queue reached its cap and old batches were merged into coarser records. */
    public long merges() {
        return merges.get();
    }

    /** Batches replaced by merged ones. */
    public long batchesMerged() {
        return batchesMerged.get();
    }

    /** Per-second records folded into coarser ones (each counted once, at its first merge). */
    public long secondsMerged() {
        return secondsMerged.get();
    }

    /** The coarsest detail now queued: "second" in steady state (and when empty), "minute" and up after a merge. */
    public String coarsestQueued() {
        MergeLevel coarsest = MergeLevel.SECOND;
        synchronized (queue) {
            for (final ClosedBatch batch : queue) {
                coarsest = batch.level.compareTo(coarsest) > 0 ? batch.level : coarsest;
            }
        }
        return coarsest.name().toLowerCase(Locale.ROOT);
    }

    /** Wall-clock steps seen (and reported to the collector). */
    public long clockSteps() {
        return clockSteps.get();
    }

    /** Bytes of unacknowledged frames held in the heap (the rest is in the spool only). */
    public long memoryBytes() {
        synchronized (queue) {
            return memoryBytes;
        }
    }

    /** Bytes of unacknowledged batches, in memory and (a subset of them) in the spool. */
    public long queuedBytes() {
        synchronized (queue) {
            return queuedBytes;
        }
    }
}
