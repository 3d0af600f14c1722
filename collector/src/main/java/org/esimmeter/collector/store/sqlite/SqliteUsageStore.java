package org.esimmeter.collector.store.sqlite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;
import org.esimmeter.collector.store.AgentClockStep;
import org.esimmeter.collector.store.AgentInfo;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.MergedRecord;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.Batch;
import org.sqlite.SQLiteConfig;

/**
 * {@link UsageStore} in one SQLite file ({@value #FILE_NAME}) under a data directory, created if absent.
 * <p>
 * Design, for ingest of ≥ 1 M flow-seconds/s on two cores and 30-day queries in milliseconds:
 * <ul>
 * <li><b>Durability.</b> WAL journal, {@code synchronous=FULL}: COMMIT returns after the WAL is fsynced, and an
 *     ingest is acknowledged only after its COMMIT — acknowledged batches survive kill -9 and power loss.</li>
 * <li><b>Group commit.</b> One writer thread ({@link IngestWriter}) owns the only write connection; concurrent
 *     ingests from many agents queue up and share one transaction and one fsync. Dedup rows ({@code batch_log})
 *     are written in that same transaction, so a batch is either wholly there with its dedup row or not at all.</li>
 * <li><b>Aggregate before writing.</b> Each group is summed in memory per resolution first, so a flow active for a
 *     minute of a group costs one upsert per coarse resolution instead of one per second.</li>
 * <li><b>Dictionaries.</b> Agents, series (agent, interface, profile, serving network), devices, services and
 *     flows (direction + 5-tuple + device + service) get integer ids; data rows carry only integers, and their
 *     WITHOUT ROWID tables are clustered by (bucket, series[, flow]).</li>
 * <li><b>Compact per-second flows.</b> The most numerous rows — flow-seconds — are stored as one BLOB per
 *     series-second ({@link FlowBlob}), read only when a query really needs per-second flow detail (the edges of an
 *     unaligned range, or step=1s by a flow dimension). The rollups (1m, 1h, 1d) are ordinary rows.</li>
 * <li><b>Exact ranges.</b> Queries split the range with {@link org.esimmeter.collector.store.RangePlan}: aligned
 *     interior from coarse rows, edges from finer ones, never the same second twice; a 30-day query reads at most
 *     ~30 day rows plus ~4 x 59 edge rows per series. If retention already removed the fine rows an unaligned edge
 *     needs, that edge has no data (coarse rows are never split).</li>
 * <li><b>Merged records and clock steps.</b> A merged record (span > 1 s, from the agent's spool at its cap) is
 *     stored like a second at its first second, so rollups and totals stay exact; {@code coarse_span} remembers
 *     where they are. Clock steps are stored with their batch. Both are read back for the notices of a query.</li>
 * <li><b>Readers.</b> WAL lets queries run on their own connections (a small pool) while the writer commits; each
 *     query is one read transaction, so all its pieces see the same snapshot.</li>
 * </ul>
 */
public final class SqliteUsageStore implements UsageStore {
    public static final String FILE_NAME = "esim-meter.db";
    private static final int QUEUE_CAPACITY = 4 * IngestWriter.MAX_GROUP;
    private static final int READERS = 4;

    private final Path file;
    private final Connection writeConnection;
    private final IngestWriter writer;
    private final Thread writerThread;
    private final BlockingQueue<IngestWriter.Job> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final BlockingQueue<QueryReader> readers = new ArrayBlockingQueue<>(READERS);
    private final List<QueryReader> allReaders = new ArrayList<>(READERS);
    private final ReentrantReadWriteLock closing = new ReentrantReadWriteLock();
    private final SeriesDirectory seriesDirectory = new SeriesDirectory();
    private final FlowDirectory flowDirectory = new FlowDirectory();
    private final LabelDirectory labelDirectory = new LabelDirectory();
    private boolean closed;

    /** Opens (creating if absent) the store in {@code dataDirectory} with the wall clock for last-seen times. */
    public static SqliteUsageStore open(final Path dataDirectory, final RetentionPolicy retention)
        throws StoreException {
        return new SqliteUsageStore(dataDirectory, retention, () -> System.currentTimeMillis() / 1000);
    }

    /** As {@link #open}, with a clock (epoch seconds) for the time a batch was stored. */
    public SqliteUsageStore(final Path dataDirectory, final RetentionPolicy retention,
        final LongSupplier wallClockSeconds) throws StoreException {
        file = dataDirectory.resolve(FILE_NAME);
        Connection connection = null;
        try {
            Files.createDirectories(dataDirectory);
            connection = connect(false);
            Schema.create(connection);
            connection.setAutoCommit(false);
            writeConnection = connection;
            writer = new IngestWriter(connection, queue, retention, wallClockSeconds);
            for (int i = 0; i < READERS; i++) {
                final QueryReader reader = new QueryReader(connect(true), seriesDirectory, flowDirectory,
                    labelDirectory);
                allReaders.add(reader);
                readers.add(reader);
            }
        } catch (final IOException | SQLException e) {
            allReaders.forEach(QueryReader::close);
            if (connection != null) {
                try {
                    connection.close();
                } catch (final SQLException ignored) {
                    // reporting the first failure
                }
            }
            throw new StoreException("store : cannot open " + file + " (" + e.getMessage() + ")", e);
        }
        writerThread = new Thread(writer, "store-writer");
        writerThread.setDaemon(true);
        writerThread.start();
    }

    /** The writer is the only way a batch is stored: it dies only of an Error (out of memory), and then nothing is. */
    @Override
    public String livenessProblem() {
        return writerThread.isAlive() ? null : "the store's writer thread has ended; no batch can be stored";
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    private Connection connect(final boolean reader) throws SQLException {
        final SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(10_000);
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        // 64 MiB of page cache for the writer keeps the right-most B-tree pages of every table resident.
        config.setCacheSize(reader ? -16_384 : -65_536);
        final Connection connection = config.createConnection("jdbc:sqlite:" + file);
        if (reader) {
            try (java.sql.Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA query_only = true");
            }
        }
        return connection;
    }

    @Override
    public IngestOutcome ingest(final Batch batch) throws StoreException {
        return ingestAll(List.of(batch)).get(0);
    }

    @Override
    public List<IngestOutcome> ingestAll(final List<Batch> batches) throws StoreException {
        if (batches.isEmpty()) {
            return List.of();
        }
        final IngestWriter.IngestJob job = new IngestWriter.IngestJob(batches);
        enqueue(job);
        return await(job.done);
    }

    @Override
    public long applyRetention(final long nowEpochSecond) throws StoreException {
        final IngestWriter.RetentionJob job = new IngestWriter.RetentionJob(nowEpochSecond);
        enqueue(job);
        return await(job.done);
    }

    private void enqueue(final IngestWriter.Job job) throws StoreException {
        closing.readLock().lock();
        try {
            if (closed) {
                throw new StoreException("store : closed", null);
            }
            queue.put(job);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("store : interrupted before the batch was queued", e);
        } finally {
            closing.readLock().unlock();
        }
    }

    private static <T> T await(final CompletableFuture<T> done) throws StoreException {
        try {
            return done.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("store : interrupted while waiting for commit (outcome unknown)", e);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof StoreException storeException) {
                throw storeException;
            }
            throw new StoreException("store : " + e.getCause(), e.getCause());
        }
    }

    @Override
    public List<UsagePoint> usage(final UsageQuery query) throws StoreException {
        final QueryReader reader = borrow();
        try {
            return reader.usage(query);
        } finally {
            readers.add(reader);
        }
    }

    @Override
    public List<GroupUsage> totals(final UsageQuery query) throws StoreException {
        final QueryReader reader = borrow();
        try {
            return reader.totals(query);
        } finally {
            readers.add(reader);
        }
    }

    @Override
    public List<GroupUsage> top(final UsageQuery query, final int limit) throws StoreException {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit : " + limit + " (expected: > 0)");
        }
        final QueryReader reader = borrow();
        try {
            return reader.top(query, limit);
        } finally {
            readers.add(reader);
        }
    }

    @Override
    public List<AgentClockStep> clockSteps(final UsageQuery query, final int limit) throws StoreException {
        final QueryReader reader = borrow();
        try {
            return reader.clockSteps(query, limit);
        } finally {
            readers.add(reader);
        }
    }

    @Override
    public List<MergedRecord> mergedRecords(final UsageQuery query, final long bucketSeconds, final int limit)
        throws StoreException {
        final QueryReader reader = borrow();
        try {
            return reader.mergedRecords(query, bucketSeconds, limit);
        } finally {
            readers.add(reader);
        }
    }

    @Override
    public List<AgentInfo> agents() throws StoreException {
        final QueryReader reader = borrow();
        try {
            return reader.agents();
        } finally {
            readers.add(reader);
        }
    }

    private QueryReader borrow() throws StoreException {
        closing.readLock().lock();
        try {
            if (closed) {
                throw new StoreException("store : closed", null);
            }
        } finally {
            closing.readLock().unlock();
        }
        try {
            return readers.take();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("store : interrupted while waiting for a reader", e);
        }
    }

    /** Answers every ingest already queued, then stops the writer and closes all connections. Idempotent. */
    @Override
    public void close() throws StoreException {
        closing.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            queue.put(new IngestWriter.StopJob());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closing.writeLock().unlock();
        }
        try {
            writerThread.join();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.closeStatements();
        for (int i = 0; i < READERS; i++) {
            try {
                readers.take().close(); // waits for queries in flight
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            writeConnection.close();
        } catch (final SQLException e) {
            throw new StoreException("store : close failed (" + e.getMessage() + ")", e);
        }
    }
}
