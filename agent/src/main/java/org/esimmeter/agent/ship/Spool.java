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
import java.util.zip.CRC32C;
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
 *  LEASE_DIR/sequence                 the same, on persistent storage when DIR is not (see below)
 *  DIR/segment-{first sequence}.spool [a supersede record] then wire frames (magic, length, body, CRC32C) back to
 *                                     back, as written by one flush, one merge, or one rewrite
 *  supersede record := "ESMS", u32 count, count x u64 sequence, u32 CRC32C of what precedes it
 * </pre>
 * Sequences are leased in blocks: the file is rewritten (temp file, fsync, atomic rename, fsync of the directory)
 * only when a block is used up, so flash sees one small write per {@code leaseBlock} batches (about 2.8 hours at a
 * batch per second for the default 10,000), and a restart, even after kill -9, resumes at the leased bound: above
 * every sequence ever sent. Gaps are fine for the collector; reuse is not.
 * <p>
 * The spool may live on tmpfs (/run, the default), which a reboot empties: a lease kept only there would restart at
 * 1 and the collector would answer every batch up to the old numbers "duplicate", silently dropping them. So the
 * lease is also written to a lease directory on persistent storage when one is given (the service's
 * {@code $STATE_DIRECTORY}), and the higher of the two files wins at start.
 * <p>
 * A segment is written whole to a temporary file, fsynced and renamed into place, so a kill -9 or a power cut leaves
 * either the old state or the new one. A segment found damaged anyway (a file system that lost data) is cut at its
 * last whole frame by the frame's length and CRC32C (the real {@link BatchReader} decodes every frame), with a WARN
 * line. A segment is deleted once all its batches are acknowledged, and rewritten without its acknowledged batches
 * when the sink stops, so a restart resends nothing the collector already has.
 * <p>
 * Merging at the size cap replaces batches by one with new sequence numbers. The merged segment names the sequences
 * it replaces (its supersede record) and is renamed into place before the segments holding the replaced batches are
 * rewritten without them: a crash between the two leaves both on disk, and {@link #open} drops the replaced batches
 * (and finishes the rewrite), so no second is sent twice and none is lost.
 */
public final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    public static final long DEFAULT_LEASE_BLOCK = 10_000;
    static final String SEQUENCE_FILE = "sequence";
    static final String LOCK_FILE = "lock";
    static final String SEGMENT_PREFIX = "segment-";
    static final String SEGMENT_SUFFIX = ".spool";
    static final String TEMP_SUFFIX = ".tmp";

    static final int SUPERSEDE_MAGIC = 0x45534D53; // "ESMS"

    /** A segment file and how many of its batches still wait for the collector. */
    static final class Segment {
        final Path path;
        int remaining;
        /** Batches that left the queue since the file was written: a rewrite drops them from the file. */
        int released;
        /** Where the first frame starts: after the supersede record, if any. */
        int firstFrameOffset;

        Segment(final Path path, final int remaining, final int firstFrameOffset) {
            this.path = path;
            this.remaining = remaining;
            this.firstFrameOffset = firstFrameOffset;
        }
    }

    /**
     * A batch found in a segment at start: where its frame is (read back with {@link #read} when it is sent), and
     * what {@link BatchMerger} needs to know about it without decoding it again.
     */
    record Recovered(long sequence, int seconds, int length, Segment segment, long offset, MergeLevel level) {
    }

    private final Path directory;
    private final Path leaseDirectory;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final long leaseBlock;
    private final List<Recovered> recovered;
    private final long framesDiscarded;
    private long next;
    private long leased;
    private long leaseWrites;
    private long segmentWrites;

    private Spool(final Path directory, final Path leaseDirectory, final FileChannel lockChannel, final FileLock lock,
        final long leaseBlock, final List<Recovered> recovered, final long framesDiscarded, final long next) {
        this.directory = directory;
        this.leaseDirectory = leaseDirectory;
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
        return open(directory, directory, leaseBlock);
    }

    /**
     * As {@link #open(Path, long)}, with the sequence lease also kept in {@code leaseDirectory} (created if absent;
     * one agent per lease directory), for a spool on storage that a reboot empties.
     */
    public static Spool open(final Path directory, final Path leaseDirectory, final long leaseBlock)
        throws IOException {
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
            long next = readLease(directory);
            if (!leaseDirectory.equals(directory)) {
                Files.createDirectories(leaseDirectory);
                if (!Files.isWritable(leaseDirectory)) {
                    throw new IOException("lease directory " + leaseDirectory + " is not writable");
                }
                next = Math.max(next, readLease(leaseDirectory));
            }
            final List<Recovered> recovered = new ArrayList<>();
            final long discarded = readSegments(directory, recovered);
            for (final Recovered batch : recovered) {
                next = Math.max(next, batch.sequence() + 1);
            }
            final Spool spool = new Spool(directory, leaseDirectory, channel, lock, leaseBlock, List.copyOf(recovered),
                discarded, next);
            spool.persistLease(next + leaseBlock);
            return spool;
        } catch (final IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
        }
    }

    /** A segment as read at start, before replaced batches are dropped. */
    private record Scanned(Path path, int firstFrameOffset, long[] supersedes, List<Batch> batches,
        List<long[]> spans, boolean torn) {
    }

    /** The lease in {@code directory}, 1 when there is none. */
    private static long readLease(final Path directory) throws IOException {
        final Path sequenceFile = directory.resolve(SEQUENCE_FILE);
        if (!Files.exists(sequenceFile)) {
            return 1;
        }
        final String text = Files.readString(sequenceFile, StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(text);
        } catch (final NumberFormatException e) {
            throw new IOException(sequenceFile + " : \"" + text + "\" is not a sequence number " +
                "(delete it only if no batch of this agent is at the collector)", e);
        }
    }

    private static long readSegments(final Path directory, final List<Recovered> into) throws IOException {
        final List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (final Path path : files) {
                final String name = path.getFileName().toString();
                if (name.startsWith(SEGMENT_PREFIX) && name.endsWith(SEGMENT_SUFFIX)) {
                    segments.add(path);
                } else if (name.startsWith(SEGMENT_PREFIX) && name.endsWith(TEMP_SUFFIX)) {
                    // A write that never got renamed into place: what it held is still in the files it replaces.
                    Files.delete(path);
                }
            }
        }
        // Zero-padded first sequence in the name: name order is sequence order.
        segments.sort(null);
        final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
        long discarded = 0;
        final List<Scanned> scanned = new ArrayList<>();
        final java.util.Set<Long> superseded = new java.util.HashSet<>();
        for (final Path path : segments) {
            final byte[] bytes = Files.readAllBytes(path);
            int offset = 0;
            long[] supersedes = new long[0];
            if (bytes.length >= 4 && ByteBuffer.wrap(bytes, 0, 4).getInt() == SUPERSEDE_MAGIC) {
                supersedes = readSupersedes(bytes);
                if (supersedes == null) {
                    // Only a damaged disk gets here: the replaced batches may be gone already, so keep this
                    // segment's merged batches, and say loudly that some seconds may now be counted twice.
                    LOG.error("spool {} : damaged supersede record; its merged batches are kept, and batches it " +
                        "replaced, if still on disk, will be sent too", path);
                    supersedes = new long[0];
                    offset = supersedeLength(bytes);
                } else {
                    offset = 4 + 4 + 8 * supersedes.length + 4;
                }
                for (final long sequence : supersedes) {
                    superseded.add(sequence);
                }
            }
            final int firstFrameOffset = offset;
            final List<Batch> batches = new ArrayList<>();
            final List<long[]> spans = new ArrayList<>();
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
                spans.add(new long[] {offset, frameLength});
                offset += (int) frameLength;
            }
            if (torn != null) {
                discarded++;
                LOG.warn("spool {} : torn tail at byte {} of {} ({}), discarded; the {} frames before it are kept",
                    path, offset, bytes.length, torn, batches.size());
            }
            scanned.add(new Scanned(path, firstFrameOffset, supersedes, batches, spans, torn != null));
        }
        for (final Scanned segment : scanned) {
            final List<Integer> live = new ArrayList<>();
            for (int i = 0; i < segment.batches().size(); i++) {
                if (!superseded.contains(segment.batches().get(i).sequence())) {
                    live.add(i);
                }
            }
            if (live.isEmpty()) {
                Files.delete(segment.path());
                continue;
            }
            Segment kept = new Segment(segment.path(), live.size(), segment.firstFrameOffset());
            final long[] offsets = new long[live.size()];
            for (int i = 0; i < live.size(); i++) {
                offsets[i] = segment.spans().get(live.get(i))[0];
            }
            if (live.size() < segment.batches().size() || segment.torn()) {
                // Finish what a crash interrupted: the replaced batches (or a torn tail) leave the file now, so
                // they cannot come back once the merged segment is acknowledged and deleted.
                final byte[] bytes = Files.readAllBytes(segment.path());
                final List<byte[]> frames = new ArrayList<>();
                for (final int i : live) {
                    final long[] span = segment.spans().get(i);
                    frames.add(java.util.Arrays.copyOfRange(bytes, (int) span[0], (int) (span[0] + span[1])));
                }
                if (live.size() < segment.batches().size()) {
                    LOG.warn("spool {} : {} batches replaced by a merge before the last stop, removed", segment.path(),
                        segment.batches().size() - live.size());
                }
                kept = writeFile(segment.path(), segment.supersedes(), frames);
                long at = kept.firstFrameOffset;
                for (int i = 0; i < frames.size(); i++) {
                    offsets[i] = at;
                    at += frames.get(i).length;
                }
            }
            for (int i = 0; i < live.size(); i++) {
                final Batch batch = segment.batches().get(live.get(i));
                into.add(new Recovered(batch.sequence(), batch.seconds().size(),
                    (int) segment.spans().get(live.get(i))[1], kept, offsets[i], MergeLevel.of(batch)));
            }
        }
        into.sort((a, b) -> Long.compare(a.sequence(), b.sequence()));
        return discarded;
    }

    /** The sequences of a supersede record at the start of {@code bytes}, or null if it is damaged. */
    private static long[] readSupersedes(final byte[] bytes) {
        if (bytes.length < 12) {
            return null;
        }
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        in.getInt();
        final long count = in.getInt() & 0xFFFF_FFFFL;
        if (count > (bytes.length - 12) / 8) {
            return null;
        }
        final long[] sequences = new long[(int) count];
        for (int i = 0; i < sequences.length; i++) {
            sequences[i] = in.getLong();
        }
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, in.position());
        return (int) crc.getValue() == in.getInt() ? sequences : null;
    }

    /** Where frames start after a damaged supersede record: past its declared length, or the whole file. */
    private static int supersedeLength(final byte[] bytes) {
        if (bytes.length < 8) {
            return bytes.length;
        }
        final long count = ByteBuffer.wrap(bytes, 4, 4).getInt() & 0xFFFF_FFFFL;
        return (int) Math.min(bytes.length, 12 + 8 * count);
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
        // Both copies before any number below the new bound is handed out; at start the higher one wins.
        if (!leaseDirectory.equals(directory)) {
            writeLease(leaseDirectory, bound);
        }
        writeLease(directory, bound);
        leased = bound;
        leaseWrites++;
    }

    private static void writeLease(final Path directory, final long bound) throws IOException {
        final Path temp = directory.resolve(SEQUENCE_FILE + ".tmp");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(ByteBuffer.wrap((bound + "\n").getBytes(StandardCharsets.US_ASCII)));
            out.force(true);
        }
        Files.move(temp, directory.resolve(SEQUENCE_FILE), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(directory);
    }

    /** Makes a rename or create durable: without it a power cut can forget the new directory entry. */
    private static void syncDirectory(final Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (final IOException e) {
            // Some file systems refuse fsync on a directory; the file's own fsync is then all there is.
        }
    }

    /**
     * Writes the frames as one new segment file, named after {@code firstSequence}, whole or not at all.
     *
     * @param supersedes sequences of batches the frames replace (a merge), or an empty array
     */
    Segment write(final long firstSequence, final List<byte[]> frames, final long[] supersedes) throws IOException {
        final Segment segment = writeFile(directory.resolve(String.format("%s%020d%s", SEGMENT_PREFIX, firstSequence,
            SEGMENT_SUFFIX)), supersedes, frames);
        synchronized (this) {
            segmentWrites++;
        }
        return segment;
    }

    /**
     * Replaces the segment's file by one holding only {@code frames} (its batches still unacknowledged), whole or not
     * at all, and updates the segment in place.
     */
    void rewrite(final Segment segment, final List<byte[]> frames) throws IOException {
        final Segment written = writeFile(segment.path, new long[0], frames);
        segment.remaining = written.remaining;
        segment.released = 0;
        segment.firstFrameOffset = written.firstFrameOffset;
        synchronized (this) {
            segmentWrites++;
        }
    }

    /** Temporary file, fsync, atomic rename, directory fsync: a crash leaves the old file or the new one. */
    private static Segment writeFile(final Path path, final long[] supersedes, final List<byte[]> frames)
        throws IOException {
        final Path temp = path.resolveSibling(path.getFileName() + TEMP_SUFFIX);
        int firstFrameOffset = 0;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            if (supersedes.length > 0) {
                final ByteBuffer record = ByteBuffer.allocate(4 + 4 + 8 * supersedes.length + 4);
                record.putInt(SUPERSEDE_MAGIC).putInt(supersedes.length);
                for (final long sequence : supersedes) {
                    record.putLong(sequence);
                }
                final CRC32C crc = new CRC32C();
                crc.update(record.array(), 0, record.position());
                record.putInt((int) crc.getValue()).flip();
                firstFrameOffset = record.remaining();
                writeFully(out, record);
            }
            for (final byte[] frame : frames) {
                writeFully(out, ByteBuffer.wrap(frame));
            }
            out.force(true);
        } catch (final IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(path.getParent());
        return new Segment(path, frames.size(), firstFrameOffset);
    }

    private static void writeFully(final FileChannel out, final ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** A spooled frame read back: batches that left memory are read when they are sent or merged. */
    byte[] read(final Segment segment, final long offset, final int length) throws IOException {
        final byte[] frame = new byte[length];
        try (FileChannel in = FileChannel.open(segment.path, StandardOpenOption.READ)) {
            final ByteBuffer buffer = ByteBuffer.wrap(frame);
            while (buffer.hasRemaining()) {
                if (in.read(buffer, offset + buffer.position()) < 0) {
                    throw new IOException(segment.path + " : ends before byte " + (offset + length));
                }
            }
        }
        return frame;
    }

    /** One batch of the segment is acknowledged (or replaced): the file goes when none is left. */
    void release(final Segment segment) {
        segment.released++;
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
