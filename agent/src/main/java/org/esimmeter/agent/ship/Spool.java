package org.esimmeter.agent.ship;

import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's spool directory: the persisted sequence lease and the segment files of unacknowledged batches.
 * <pre>
 *  DIR/lock                           held (flock) while an agent uses the directory: one agent per spool
 *  DIR/sequence                       decimal text: every sequence ever handed out is below this number
 *  DIR/segment-{first sequence}.spool wire frames (magic, length, body, CRC32C) back to back, as written by one flush
 * </pre>
 * Sequences are leased in blocks: the file is rewritten (temp file, fsync, atomic rename, fsync of the directory)
 * only when a block is used up, so flash sees one small write per {@code leaseBlock} batches (about 2.8 hours at a
 * batch per second for the default 10,000), and a restart, even after kill -9, resumes at the leased bound: above
 * every sequence ever sent. Gaps are fine for the collector; reuse is not.
 * <p>
 * A segment is written in place (no rename) and fsynced; a kill -9 during the write leaves a torn tail, which
 * {@link #open} finds by the frame's length and CRC32C (the real {@link BatchReader} decodes every frame) and
 * discards with a WARN line. Frames before it are sent. A segment is deleted once all its batches are acknowledged.
 */
public final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    public static final long DEFAULT_LEASE_BLOCK = 10_000;
    static final String SEQUENCE_FILE = "sequence";
    static final String LOCK_FILE = "lock";
    static final String SEGMENT_PREFIX = "segment-";
    static final String SEGMENT_SUFFIX = ".spool";

    /** A segment file and how many of its batches still wait for the collector. */
    static final class Segment {
        final Path path;
        int remaining;

        Segment(final Path path, final int remaining) {
            this.path = path;
            this.remaining = remaining;
        }
    }

    /** A batch found in a segment at start. */
    record Recovered(long sequence, int seconds, byte[] frame, Segment segment) {
    }

    private final Path directory;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final long leaseBlock;
    private final List<Recovered> recovered;
    private final long framesDiscarded;
    private long next;
    private long leased;
    private long leaseWrites;
    private long segmentWrites;

    private Spool(final Path directory, final FileChannel lockChannel, final FileLock lock, final long leaseBlock,
        final List<Recovered> recovered, final long framesDiscarded, final long next) {
        this.directory = directory;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.leaseBlock = leaseBlock;
        this.recovered = recovered;
        this.framesDiscarded = framesDiscarded;
        this.next = next;
        this.leased = next;
    }

    /**
     * Creates the directory if absent, locks it, reads the lease and the segments.
     *
     * @throws IOException with a short reason when the directory cannot be used (not writable, in use, corrupt lease)
     */
    public static Spool open(final Path directory, final long leaseBlock) throws IOException {
        if (leaseBlock < 1) {
            throw new IllegalArgumentException("leaseBlock : " + leaseBlock + " (expected: >= 1)");
        }
        Files.createDirectories(directory);
        if (!Files.isDirectory(directory) || !Files.isWritable(directory)) {
            throw new IOException("not a writable directory");
        }
        final FileChannel channel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        final FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (final java.nio.channels.OverlappingFileLockException e) {
            channel.close();
            throw new IOException("in use by another agent (" + directory.resolve(LOCK_FILE) + " is locked)", e);
        } catch (final IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("in use by another agent (" + directory.resolve(LOCK_FILE) + " is locked)");
        }
        try {
            long next = 1;
            final Path sequenceFile = directory.resolve(SEQUENCE_FILE);
            if (Files.exists(sequenceFile)) {
                final String text = Files.readString(sequenceFile, StandardCharsets.US_ASCII).trim();
                try {
                    next = Long.parseLong(text);
                } catch (final NumberFormatException e) {
                    throw new IOException(sequenceFile + " : \"" + text + "\" is not a sequence number " +
                        "(delete it only if no batch of this agent is at the collector)", e);
                }
            }
            final List<Recovered> recovered = new ArrayList<>();
            final long discarded = readSegments(directory, recovered);
            for (final Recovered batch : recovered) {
                next = Math.max(next, batch.sequence() + 1);
            }
            final Spool spool = new Spool(directory, channel, lock, leaseBlock, List.copyOf(recovered), discarded,
                next);
            spool.persistLease(next + leaseBlock);
            return spool;
        } catch (final IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
        }
    }

    private static long readSegments(final Path directory, final List<Recovered> into) throws IOException {
        final List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, SEGMENT_PREFIX + "*" + SEGMENT_SUFFIX)) {
            files.forEach(segments::add);
        }
        // Zero-padded first sequence in the name: name order is sequence order.
        segments.sort(null);
        final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
        long discarded = 0;
        for (final Path path : segments) {
            final byte[] bytes = Files.readAllBytes(path);
            final List<Batch> batches = new ArrayList<>();
            final List<byte[]> frames = new ArrayList<>();
            int offset = 0;
            String torn = null;
            while (offset < bytes.length) {
                final int left = bytes.length - offset;
                if (left < WireFormat.HEADER_LENGTH + WireFormat.CHECKSUM_LENGTH) {
                    torn = "truncated header";
                    break;
                }
                final long bodyLength = ByteBuffer.wrap(bytes, offset + WireFormat.BODY_LENGTH_OFFSET, 4).getInt() &
                    0xFFFF_FFFFL;
                final long frameLength = WireFormat.HEADER_LENGTH + bodyLength + WireFormat.CHECKSUM_LENGTH;
                if (frameLength > left) {
                    torn = "frame of " + frameLength + " bytes, " + left + " in the file";
                    break;
                }
                try {
                    batches.add(reader.read(Unpooled.wrappedBuffer(bytes, offset, (int) frameLength)));
                } catch (final WireFormatException e) {
                    torn = e.getMessage();
                    break;
                }
                final byte[] frame = new byte[(int) frameLength];
                System.arraycopy(bytes, offset, frame, 0, frame.length);
                frames.add(frame);
                offset += (int) frameLength;
            }
            if (torn != null) {
                discarded++;
                LOG.warn("spool {} : torn tail at byte {} of {} ({}), discarded: it was being written when the " +
                    "agent stopped; the {} frames before it are kept", path, offset, bytes.length, torn,
                    frames.size());
            }
            if (frames.isEmpty()) {
                Files.delete(path);
                continue;
            }
            final Segment segment = new Segment(path, frames.size());
            for (int i = 0; i < frames.size(); i++) {
                into.add(new Recovered(batches.get(i).sequence(), batches.get(i).seconds().size(), frames.get(i),
                    segment));
            }
        }
        into.sort((a, b) -> Long.compare(a.sequence(), b.sequence()));
        return discarded;
    }

    /** Unacknowledged batches found at start, in sequence order: they are sent before any new one. */
    List<Recovered> recovered() {
        return recovered;
    }

    /** Torn frames discarded at start. */
    public long framesDiscarded() {
        return framesDiscarded;
    }

    public Path directory() {
        return directory;
    }

    /**
     * The next sequence number. Persists a new lease when the block is used up (rare: {@link #prefetch} renews it
     * off the capture thread first). If that write fails the number is still handed out, with an ERROR line: the
     * meter keeps counting, and only a restart before the next successful lease could reuse numbers.
     */
    synchronized long nextSequence() {
        if (next >= leased) {
            renew();
        }
        return next++;
    }

    /** Renews the lease when less than half a block is left; called by the batch thread, not the capture thread. */
    synchronized void prefetch() {
        if (leased - next < (leaseBlock + 1) / 2) {
            renew();
        }
    }

    private void renew() {
        try {
            persistLease(next + leaseBlock);
        } catch (final IOException e) {
            LOG.error("spool {} : cannot persist the sequence lease ({}); a restart before the next successful " +
                "lease may reuse sequence numbers", directory, e.toString());
            leased = next + leaseBlock;
        }
    }

    private void persistLease(final long bound) throws IOException {
        final Path temp = directory.resolve(SEQUENCE_FILE + ".tmp");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(ByteBuffer.wrap((bound + "\n").getBytes(StandardCharsets.US_ASCII)));
            out.force(true);
        }
        Files.move(temp, directory.resolve(SEQUENCE_FILE), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        syncDirectory();
        leased = bound;
        leaseWrites++;
    }

    /** Makes a rename or create durable: without it a power cut can forget the new directory entry. */
    private void syncDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (final IOException e) {
            // Some file systems refuse fsync on a directory; the file's own fsync is then all there is.
        }
    }

    /** Writes the frames (ascending sequences) as one new segment file, fsynced. */
    Segment write(final long firstSequence, final List<byte[]> frames) throws IOException {
        final Path path = directory.resolve(String.format("%s%020d%s", SEGMENT_PREFIX, firstSequence,
            SEGMENT_SUFFIX));
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (final byte[] frame : frames) {
                final ByteBuffer buffer = ByteBuffer.wrap(frame);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
            out.force(true);
        } catch (final IOException e) {
            Files.deleteIfExists(path);
            throw e;
        }
        syncDirectory();
        synchronized (this) {
            segmentWrites++;
        }
        return new Segment(path, frames.size());
    }

    /** One batch of the segment is acknowledged (or dropped): the file goes when none is left. */
    void release(final Segment segment) {
        if (--segment.remaining == 0) {
            try {
                Files.deleteIfExists(segment.path);
            } catch (final IOException e) {
                LOG.warn("spool {} : cannot delete acknowledged segment ({}); its batches will be sent again at " +
                    "the next start, with their original sequence numbers", segment.path, e.toString());
            }
        }
    }

    /** Sequence lease files written (the first one at open). */
    public synchronized long leaseWrites() {
        return leaseWrites;
    }

    /** Segment files written since open. */
    public synchronized long segmentWrites() {
        return segmentWrites;
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }
}
