package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.Timestamps;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;

/**
 * The store's only writer: one thread, one connection, group commit. Callers enqueue jobs and block on their
 * future; the thread drains every ingest job waiting (up to {@link #MAX_GROUP}), writes them in ONE transaction
 * and completes all futures only after COMMIT returned — with WAL and {@code synchronous=FULL} that is after the
 * WAL fsync, so one fsync acknowledges many batches and "acknowledged" means "survives kill -9 and power loss".
 * <p>
 * Within a group, data is aggregated in memory per resolution before any SQL runs: a flow seen in 60 seconds of a
 * group becomes one upsert into flow_1m, not 60; usage rows likewise. Keys are written in primary-key order.
 * <p>
 * If a group's transaction fails, it is rolled back and each job is retried alone, so one job that cannot be
 * stored fails only its own caller; its partial work never becomes visible (same transaction as the dedup row).
 * A job is the batches of one request ({@link org.esimmeter.collector.store.UsageStore#ingestAll}): all of them
 * are stored, or none.
 * <p>
 * A merged record (span > 1) is aggregated like a second at its first second, so every rollup stays exact; its
 * (bucket, series, span) goes to {@code coarse_span} so that queries can say where per-second detail is missing.
 * Clock steps go to {@code clock_step} in the same transaction as their batch (and once per agent and step even if
 * a later batch repeats one). Merged and implausibly stamped seconds are also counted per agent.
 * <p>
 * Context (wire flag CONTEXT): a second's serving network is part of its series, its uncaptured counters are summed
 * into the same usage rows (their own columns), and a flow's device and service become ids in {@code device} and
 * {@code service}, part of its flow key. A device's address and hostname are those of the newest second that named
 * them: a late batch of older seconds only fills in what is still unknown.
 */
final class IngestWriter implements Runnable {
    static final int MAX_GROUP = 512;
    private static final int FLOW_CACHE_ENTRIES = 1 << 20;
    private static final int SERVICE_CACHE_ENTRIES = 1 << 16;
    /** Per usage row: the nine counters, then the nine uncaptured ones. */
    private static final int USAGE_VALUES = 2 * Schema.COUNTERS;
    private static final Resolution[] RESOLUTIONS = Resolution.values();

    /** Work for the writer thread. */
    abstract static sealed class Job permits IngestJob, RetentionJob, StopJob {
    }

    static final class IngestJob extends Job {
        final List<Batch> batches;
        final CompletableFuture<List<IngestOutcome>> done = new CompletableFuture<>();
        final List<IngestOutcome> outcomes = new ArrayList<>();

        IngestJob(final List<Batch> batches) {
            this.batches = List.copyOf(batches);
        }
    }

    static final class RetentionJob extends Job {
        final long nowEpochSecond;
        final CompletableFuture<Long> done = new CompletableFuture<>();

        RetentionJob(final long nowEpochSecond) {
            this.nowEpochSecond = nowEpochSecond;
        }
    }

    static final class StopJob extends Job {
    }

    private record AgentRow(long id, Long sequenceFloor) {
    }

    /** A clock step to insert, with the batch that carried it. */
    private record StepRow(long agent, long sequence, ClockStep step) {
    }

    private record SeriesKey(long agent, String interfaceName, String profile, String network) {
    }

    /** What the newest second of a group said about a device; null fields: not said. */
    private static final class DeviceSeen {
        long second;
        String address;
        String hostname;

        DeviceSeen(final long second) {
            this.second = second;
        }

        /** The same rule as the UPDATE: newer namings win, older ones only fill gaps. */
        void named(final long epochSecond, final Device device) {
            if (epochSecond >= second) {
                second = epochSecond;
                address = device.address() != null ? device.address() : address;
                hostname = device.hostname() != null ? device.hostname() : hostname;
            } else {
                address = address != null ? address : device.address();
                hostname = hostname != null ? hostname : device.hostname();
            }
        }
    }

    /** (bucket, series) — sorts as the usage tables' primary key. */
    private record BucketSeries(long bucket, long series) {
    }

    /** (bucket, series, flow) — sorts as the flow rollup tables' primary key. */
    private record BucketSeriesFlow(long bucket, long series, long flow) {
    }

    private static final Comparator<BucketSeries> BUCKET_SERIES_ORDER =
        Comparator.comparingLong(BucketSeries::bucket).thenComparingLong(BucketSeries::series);
    private static final Comparator<BucketSeriesFlow> BUCKET_SERIES_FLOW_ORDER =
        Comparator.comparingLong(BucketSeriesFlow::bucket).thenComparingLong(BucketSeriesFlow::series)
            .thenComparingLong(BucketSeriesFlow::flow);

    private final Connection connection;
    private final BlockingQueue<Job> queue;
    private final RetentionPolicy retention;
    private final LongSupplier wallClockSeconds;

    private final Map<String, AgentRow> agents = new HashMap<>();
    private final Map<SeriesKey, Long> series = new HashMap<>();
    // Flows come and go (ephemeral ports): keep the recent ones, look the rest up through the UNIQUE index.
    private final Map<FlowKey, Long> flows = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<FlowKey, Long> eldest) {
            return size() > FLOW_CACHE_ENTRIES;
        }
    };
    private final Map<String, Long> devices = new HashMap<>();

    private final Map<String, Long> services = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Long> eldest) {
            return size() > SERVICE_CACHE_ENTRIES;
        }
    };

    private final PreparedStatement selectAgent;
    private final PreparedStatement insertAgent;
    private final PreparedStatement updateAgent;
    private final PreparedStatement insertBatchLog;
    private final PreparedStatement selectSeries;
    private final PreparedStatement insertSeries;
    private final PreparedStatement updateSeries;
    private final PreparedStatement selectFlow;
    private final PreparedStatement insertFlow;
    private final PreparedStatement selectDevice;
    private final PreparedStatement insertDevice;
    private final PreparedStatement updateDevice;
    private final PreparedStatement selectService;
    private final PreparedStatement insertService;
    private final PreparedStatement[] upsertUsage = new PreparedStatement[RESOLUTIONS.length];
    private final PreparedStatement[] upsertFlow = new PreparedStatement[RESOLUTIONS.length];
    private final PreparedStatement upsertCoarseSpan;
    private final PreparedStatement insertClockStep;
    private final PreparedStatement updateAgentDegradation;

    // Per-group aggregation, reused between groups.
    private final List<Map<BucketSeries, long[]>> usage = new ArrayList<>();
    private final Map<BucketSeries, FlowBlob> secondFlows = new HashMap<>();
    private final List<Map<BucketSeriesFlow, long[]>> flowRollups = new ArrayList<>();
    private final Map<Long, Long> seriesLastSecond = new HashMap<>();
    private final Map<Long, Long> agentLastSequence = new HashMap<>();
    private final Map<BucketSeries, Integer> coarseSpans = new HashMap<>();
    /** Per agent id: merged records, merged seconds, implausible seconds. */
    private final Map<Long, long[]> agentDegradation = new HashMap<>();
    private final List<StepRow> clockSteps = new ArrayList<>();
    private final Map<Long, DeviceSeen> devicesSeen = new HashMap<>();

    IngestWriter(final Connection connection, final BlockingQueue<Job> queue, final RetentionPolicy retention,
        final LongSupplier wallClockSeconds) throws SQLException {
        this.connection = connection;
        this.queue = queue;
        this.retention = retention;
        this.wallClockSeconds = wallClockSeconds;
        selectAgent = connection.prepareStatement("SELECT id, sequence_floor FROM agent WHERE name = ?");
        insertAgent = connection.prepareStatement(
            "INSERT INTO agent (name, last_seen, last_sequence) VALUES (?, ?, ?)", Statement.RETURN_GENERATED_KEYS);
        updateAgent = connection.prepareStatement(
            "UPDATE agent SET last_seen = ?, last_sequence = max(last_sequence, ?) WHERE id = ?");
        insertBatchLog = connection.prepareStatement(
            "INSERT OR IGNORE INTO batch_log (agent, sequence, stored_at) VALUES (?, ?, ?)");
        selectSeries = connection.prepareStatement(
            "SELECT id FROM series WHERE agent = ? AND interface = ? AND profile = ? AND network = ?");
        insertSeries = connection.prepareStatement(
            "INSERT INTO series (agent, interface, profile, network, last_second) VALUES (?, ?, ?, ?, ?)",
            Statement.RETURN_GENERATED_KEYS);
        updateSeries = connection.prepareStatement(
            "UPDATE series SET last_second = max(last_second, ?) WHERE id = ?");
        selectFlow = connection.prepareStatement("SELECT id FROM flow WHERE direction = ? AND ip_version = ? AND " +
            "protocol = ? AND src_hi = ? AND src_lo = ? AND src_port = ? AND dst_hi = ? AND dst_lo = ? AND " +
            "dst_port = ? AND device = ? AND service = ? AND approximate = ?");
        insertFlow = connection.prepareStatement("INSERT INTO flow (direction, ip_version, protocol, src_hi, " +
            "src_lo, src_port, dst_hi, dst_lo, dst_port, device, service, approximate) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS);
        selectDevice = connection.prepareStatement("SELECT id FROM device WHERE key = ?");
        insertDevice = connection.prepareStatement("INSERT INTO device (key, address, hostname, last_seen) " +
            "VALUES (?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS);
        // SET expressions see the row as it was: a newer second overwrites what it names, an older one fills gaps.
        updateDevice = connection.prepareStatement("UPDATE device SET " +
            "address = CASE WHEN ?1 >= last_seen THEN coalesce(?2, address) ELSE coalesce(address, ?2) END, " +
            "hostname = CASE WHEN ?1 >= last_seen THEN coalesce(?3, hostname) ELSE coalesce(hostname, ?3) END, " +
            "last_seen = max(last_seen, ?1) WHERE id = ?4");
        selectService = connection.prepareStatement("SELECT id FROM service WHERE name = ?");
        insertService = connection.prepareStatement("INSERT INTO service (name) VALUES (?)",
            Statement.RETURN_GENERATED_KEYS);
        upsertCoarseSpan = connection.prepareStatement("INSERT INTO coarse_span (bucket, series, span_seconds) " +
            "VALUES (?, ?, ?) ON CONFLICT (bucket, series) DO UPDATE SET " +
            "span_seconds = max(span_seconds, excluded.span_seconds)");
        insertClockStep = connection.prepareStatement("INSERT OR IGNORE INTO clock_step (agent, detected_at_ms, " +
            "step_ms, affected_from, affected_to, sequence, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        updateAgentDegradation = connection.prepareStatement("UPDATE agent SET merged_records = merged_records + ?, " +
            "merged_seconds = merged_seconds + ?, implausible_seconds = implausible_seconds + ? WHERE id = ?");
        final StringBuilder sums = new StringBuilder();
        for (final String column : (Schema.COUNTER_COLUMNS + ", " + Schema.UNCAPTURED_COLUMNS).split(", ")) {
            sums.append(sums.length() == 0 ? "" : ", ").append(column).append(" = ").append(column)
                .append(" + excluded.").append(column);
        }
        for (final Resolution resolution : RESOLUTIONS) {
            upsertUsage[resolution.ordinal()] = connection.prepareStatement("INSERT INTO " +
                Schema.usageTable(resolution) + " (bucket, series, " + Schema.COUNTER_COLUMNS + ", " +
                Schema.UNCAPTURED_COLUMNS + ") VALUES (?, ?, " + "?, ".repeat(USAGE_VALUES - 1) + "?) " +
                "ON CONFLICT (bucket, series) DO UPDATE SET " + sums);
            upsertFlow[resolution.ordinal()] = resolution == Resolution.SECOND
                ? connection.prepareStatement("INSERT INTO " + Schema.flowTable(resolution) +
                    " (bucket, series, flows) VALUES (?, ?, ?) ON CONFLICT (bucket, series) DO UPDATE SET " +
                    "flows = flows || excluded.flows")
                : connection.prepareStatement("INSERT INTO " + Schema.flowTable(resolution) +
                    " (bucket, series, flow, packets, wire_bytes, ip_bytes) VALUES (?, ?, ?, ?, ?, ?) " +
                    "ON CONFLICT (bucket, series, flow) DO UPDATE SET packets = packets + excluded.packets, " +
                    "wire_bytes = wire_bytes + excluded.wire_bytes, ip_bytes = ip_bytes + excluded.ip_bytes");
            usage.add(new HashMap<>());
            flowRollups.add(new HashMap<>());
        }
    }

    @Override
    public void run() {
        final List<Job> drained = new ArrayList<>(MAX_GROUP);
        final List<IngestJob> group = new ArrayList<>(MAX_GROUP);
        boolean running = true;
        while (running) {
            try {
                drained.add(queue.take());
            } catch (final InterruptedException e) {
                // Only close() stops the writer, through a StopJob, so that queued callers are answered first.
                continue;
            }
            queue.drainTo(drained, MAX_GROUP - 1);
            for (final Job job : drained) {
                if (job instanceof IngestJob ingest) {
                    group.add(ingest);
                    continue;
                }
                writeGroup(group);
                if (job instanceof RetentionJob retentionJob) {
                    runRetention(retentionJob);
                } else {
                    running = false;
                }
            }
            writeGroup(group);
            drained.clear();
        }
        for (Job job = queue.poll(); job != null; job = queue.poll()) {
            fail(job, new StoreException("store : closed", null));
        }
    }

    private void writeGroup(final List<IngestJob> group) {
        if (group.isEmpty()) {
            return;
        }
        try {
            store(group);
            for (final IngestJob job : group) {
                job.done.complete(List.copyOf(job.outcomes));
            }
        } catch (final SQLException | RuntimeException e) {
            rollback();
            if (group.size() == 1) {
                fail(group.get(0), new StoreException("store : batch not stored (" + e.getMessage() + ")", e));
            } else {
                for (final IngestJob job : group) {
                    writeGroup(new ArrayList<>(List.of(job)));
                }
            }
        }
        group.clear();
    }

    private void store(final List<IngestJob> group) throws SQLException {
        clearAggregates();
        final long nowSecond = wallClockSeconds.getAsLong();
        for (final IngestJob job : group) {
            job.outcomes.clear(); // a job retried alone after its group failed starts over
            for (final Batch batch : job.batches) {
                job.outcomes.add(store(batch, nowSecond));
            }
        }
        writeAggregates(nowSecond);
        connection.commit();
    }

    private IngestOutcome store(final Batch batch, final long nowSecond) throws SQLException {
        final AgentRow agent = agent(batch.agentId(), nowSecond, batch.sequence());
        final Long floor = agent.sequenceFloor();
        if (floor != null && batch.sequence() <= floor) {
            return IngestOutcome.DUPLICATE; // its log row was pruned by retention; see applyRetention
        }
        insertBatchLog.setLong(1, agent.id());
        insertBatchLog.setLong(2, batch.sequence());
        insertBatchLog.setLong(3, nowSecond);
        if (insertBatchLog.executeUpdate() == 0) {
            return IngestOutcome.DUPLICATE;
        }
        agentLastSequence.merge(agent.id(), batch.sequence(), Math::max);
        for (final SecondUsage second : batch.seconds()) {
            aggregate(agent.id(), batch.agentId(), second, nowSecond);
        }
        for (final ClockStep step : batch.clockSteps()) {
            clockSteps.add(new StepRow(agent.id(), batch.sequence(), step));
        }
        return IngestOutcome.STORED;
    }

    private void aggregate(final long agentId, final String agentName, final SecondUsage second,
        final long nowSecond) {
        final long seriesId = series(agentId, second.interfaceName(), second.profile(), second.network(),
            second.epochSecond());
        // A merged record's newest second is its last one.
        seriesLastSecond.merge(seriesId, second.epochSecond() + second.spanSeconds() - 1, Math::max);
        final boolean merged = second.isMerged();
        final boolean implausible = Timestamps.implausible(second.epochSecond(), nowSecond);
        if (merged || implausible) {
            final long[] degradation = agentDegradation.computeIfAbsent(agentId, k -> new long[3]);
            if (merged) {
                degradation[0]++;
                degradation[1] += second.spanSeconds();
                coarseSpans.merge(new BucketSeries(second.epochSecond(), seriesId), second.spanSeconds(), Math::max);
            }
            if (implausible) {
                degradation[2]++;
            }
        }
        final TrafficCounters total = second.total();
        final TrafficCounters uncaptured = second.uncaptured();
        for (final Resolution resolution : RESOLUTIONS) {
            final long[] row = usage.get(resolution.ordinal()).computeIfAbsent(
                new BucketSeries(resolution.bucketStart(second.epochSecond()), seriesId), k -> new long[USAGE_VALUES]);
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                    row[direction * TrafficCounters.METRICS + metric] += total.get(direction, metric);
                    row[Schema.COUNTERS + direction * TrafficCounters.METRICS + metric] +=
                        uncaptured.get(direction, metric);
                }
            }
        }
        final List<FlowUsage> secondFlowList = second.flows();
        if (secondFlowList.isEmpty()) {
            return;
        }
        final FlowBlob blob = secondFlows.computeIfAbsent(new BucketSeries(second.epochSecond(), seriesId),
            k -> new FlowBlob(secondFlowList.size() * 8));
        for (final FlowUsage flow : secondFlowList) {
            final long deviceId = flow.device() == null ? 0 : device(agentName, flow.device(), second.epochSecond());
            final long serviceId = flow.service() == null ? 0 : service(flow.service());
            final long flowId = flow(FlowKey.of(flow, deviceId, serviceId));
            blob.add(flowId, flow.packets(), flow.wireBytes(), flow.ipBytes());
            for (int level = 1; level < RESOLUTIONS.length; level++) {
                final long[] row = flowRollups.get(level).computeIfAbsent(new BucketSeriesFlow(
                    RESOLUTIONS[level].bucketStart(second.epochSecond()), seriesId, flowId), k -> new long[3]);
                row[0] += flow.packets();
                row[1] += flow.wireBytes();
                row[2] += flow.ipBytes();
            }
        }
    }

    private void writeAggregates(final long nowSecond) throws SQLException {
        for (final Resolution resolution : RESOLUTIONS) {
            final Map<BucketSeries, long[]> rows = usage.get(resolution.ordinal());
            final PreparedStatement upsert = upsertUsage[resolution.ordinal()];
            for (final BucketSeries key : sorted(rows.keySet(), BUCKET_SERIES_ORDER)) {
                upsert.setLong(1, key.bucket());
                upsert.setLong(2, key.series());
                final long[] counters = rows.get(key);
                for (int i = 0; i < USAGE_VALUES; i++) {
                    upsert.setLong(3 + i, counters[i]);
                }
                upsert.executeUpdate();
            }
        }
        final PreparedStatement upsertBlob = upsertFlow[Resolution.SECOND.ordinal()];
        for (final BucketSeries key : sorted(secondFlows.keySet(), BUCKET_SERIES_ORDER)) {
            upsertBlob.setLong(1, key.bucket());
            upsertBlob.setLong(2, key.series());
            upsertBlob.setBytes(3, secondFlows.get(key).toBytes());
            upsertBlob.executeUpdate();
        }
        for (int level = 1; level < RESOLUTIONS.length; level++) {
            final Map<BucketSeriesFlow, long[]> rows = flowRollups.get(level);
            final PreparedStatement upsert = upsertFlow[level];
            for (final BucketSeriesFlow key : sorted(rows.keySet(), BUCKET_SERIES_FLOW_ORDER)) {
                final long[] counters = rows.get(key);
                upsert.setLong(1, key.bucket());
                upsert.setLong(2, key.series());
                upsert.setLong(3, key.flow());
                upsert.setLong(4, counters[0]);
                upsert.setLong(5, counters[1]);
                upsert.setLong(6, counters[2]);
                upsert.executeUpdate();
            }
        }
        for (final Map.Entry<Long, DeviceSeen> entry : devicesSeen.entrySet()) {
            final DeviceSeen seen = entry.getValue();
            updateDevice.setLong(1, seen.second);
            updateDevice.setString(2, seen.address);
            updateDevice.setString(3, seen.hostname);
            updateDevice.setLong(4, entry.getKey());
            updateDevice.executeUpdate();
        }
        for (final Map.Entry<Long, Long> entry : seriesLastSecond.entrySet()) {
            updateSeries.setLong(1, entry.getValue());
            updateSeries.setLong(2, entry.getKey());
            updateSeries.executeUpdate();
        }
        for (final BucketSeries key : sorted(coarseSpans.keySet(), BUCKET_SERIES_ORDER)) {
            upsertCoarseSpan.setLong(1, key.bucket());
            upsertCoarseSpan.setLong(2, key.series());
            upsertCoarseSpan.setInt(3, coarseSpans.get(key));
            upsertCoarseSpan.executeUpdate();
        }
        for (final StepRow row : clockSteps) {
            insertClockStep.setLong(1, row.agent());
            insertClockStep.setLong(2, row.step().detectedAtMillis());
            insertClockStep.setLong(3, row.step().stepMillis());
            insertClockStep.setLong(4, row.step().affectedFromSecond());
            insertClockStep.setLong(5, row.step().affectedToSecond());
            insertClockStep.setLong(6, row.sequence());
            insertClockStep.setLong(7, nowSecond);
            insertClockStep.executeUpdate();
        }
        for (final Map.Entry<Long, long[]> entry : agentDegradation.entrySet()) {
            updateAgentDegradation.setLong(1, entry.getValue()[0]);
            updateAgentDegradation.setLong(2, entry.getValue()[1]);
            updateAgentDegradation.setLong(3, entry.getValue()[2]);
            updateAgentDegradation.setLong(4, entry.getKey());
            updateAgentDegradation.executeUpdate();
        }
        for (final Map.Entry<Long, Long> entry : agentLastSequence.entrySet()) {
            updateAgent.setLong(1, nowSecond);
            updateAgent.setLong(2, entry.getValue());
            updateAgent.setLong(3, entry.getKey());
            updateAgent.executeUpdate();
        }
    }

    private static <K> List<K> sorted(final java.util.Set<K> keys, final Comparator<K> order) {
        final List<K> list = new ArrayList<>(keys);
        list.sort(order);
        return list;
    }

    private void clearAggregates() {
        usage.forEach(Map::clear);
        flowRollups.forEach(Map::clear);
        secondFlows.clear();
        seriesLastSecond.clear();
        agentLastSequence.clear();
        coarseSpans.clear();
        agentDegradation.clear();
        clockSteps.clear();
        devicesSeen.clear();
    }

    private AgentRow agent(final String name, final long nowSecond, final long sequence) throws SQLException {
        AgentRow row = agents.get(name);
        if (row != null) {
            return row;
        }
        selectAgent.setString(1, name);
        try (ResultSet rs = selectAgent.executeQuery()) {
            if (rs.next()) {
                final long floor = rs.getLong(2);
                row = new AgentRow(rs.getLong(1), rs.wasNull() ? null : floor);
            }
        }
        if (row == null) {
            insertAgent.setString(1, name);
            insertAgent.setLong(2, nowSecond);
            insertAgent.setLong(3, sequence);
            insertAgent.executeUpdate();
            row = new AgentRow(generatedKey(insertAgent), null);
        }
        agents.put(name, row);
        return row;
    }

    private long series(final long agentId, final String interfaceName, final String profile, final String network,
        final long epochSecond) {
        final SeriesKey key = new SeriesKey(agentId, interfaceName, profile, network);
        final Long cached = series.get(key);
        if (cached != null) {
            return cached;
        }
        try {
            long id = -1;
            selectSeries.setLong(1, agentId);
            selectSeries.setString(2, interfaceName);
            selectSeries.setString(3, profile);
            selectSeries.setString(4, network);
            try (ResultSet rs = selectSeries.executeQuery()) {
                if (rs.next()) {
                    id = rs.getLong(1);
                }
            }
            if (id < 0) {
                insertSeries.setLong(1, agentId);
                insertSeries.setString(2, interfaceName);
                insertSeries.setString(3, profile);
                insertSeries.setString(4, network);
                insertSeries.setLong(5, epochSecond);
                insertSeries.executeUpdate();
                id = generatedKey(insertSeries);
            }
            series.put(key, id);
            return id;
        } catch (final SQLException e) {
            throw new DictionaryException(e);
        }
    }

    private long flow(final FlowKey key) {
        final Long cached = flows.get(key);
        if (cached != null) {
            return cached;
        }
        try {
            long id = -1;
            bindFlow(selectFlow, key);
            try (ResultSet rs = selectFlow.executeQuery()) {
                if (rs.next()) {
                    id = rs.getLong(1);
                }
            }
            if (id < 0) {
                bindFlow(insertFlow, key);
                insertFlow.executeUpdate();
                id = generatedKey(insertFlow);
            }
            flows.put(key, id);
            return id;
        } catch (final SQLException e) {
            throw new DictionaryException(e);
        }
    }

    /** "aa:bb:cc:dd:ee:ff", checked by hand: this runs for every flow of every batch. */
    static boolean isMac(final String key) {
        if (key.length() != 17) {
            return false;
        }
        for (int i = 0; i < 17; i++) {
            final char c = key.charAt(i);
            if (i % 3 == 2 ? c != ':' : Character.digit(c, 16) < 0 || c > 'f') {
                return false;
            }
        }
        return true;
    }

    /**
     * The id of {@code device}'s key, created at first sight; remembers what this second says about it. A MAC names
     * one device wherever it is seen; a LAN address only on its own router (two travel routers both hand out
     * 192.168.8.10), so such a key is stored as {@code AGENT/ADDRESS}.
     */
    private long device(final String agentName, final Device raw, final long epochSecond) {
        final Device device = isMac(raw.key()) ? raw :
            new Device(agentName + "/" + raw.key(), raw.address(), raw.hostname());
        Long id = devices.get(device.key());
        if (id == null) {
            try {
                selectDevice.setString(1, device.key());
                try (ResultSet rs = selectDevice.executeQuery()) {
                    id = rs.next() ? rs.getLong(1) : null;
                }
                if (id == null) {
                    insertDevice.setString(1, device.key());
                    insertDevice.setString(2, device.address());
                    insertDevice.setString(3, device.hostname());
                    insertDevice.setLong(4, epochSecond);
                    insertDevice.executeUpdate();
                    id = generatedKey(insertDevice);
                }
            } catch (final SQLException e) {
                throw new DictionaryException(e);
            }
            devices.put(device.key(), id);
        }
        devicesSeen.computeIfAbsent(id, k -> new DeviceSeen(epochSecond)).named(epochSecond, device);
        return id;
    }

    private long service(final String name) {
        final Long cached = services.get(name);
        if (cached != null) {
            return cached;
        }
        try {
            long id = -1;
            selectService.setString(1, name);
            try (ResultSet rs = selectService.executeQuery()) {
                if (rs.next()) {
                    id = rs.getLong(1);
                }
            }
            if (id < 0) {
                insertService.setString(1, name);
                insertService.executeUpdate();
                id = generatedKey(insertService);
            }
            services.put(name, id);
            return id;
        } catch (final SQLException e) {
            throw new DictionaryException(e);
        }
    }

    private static void bindFlow(final PreparedStatement statement, final FlowKey key) throws SQLException {
        statement.setInt(1, key.direction());
        statement.setInt(2, key.ipVersion());
        statement.setInt(3, key.protocol());
        statement.setLong(4, key.srcHi());
        statement.setLong(5, key.srcLo());
        statement.setInt(6, key.srcPort());
        statement.setLong(7, key.dstHi());
        statement.setLong(8, key.dstLo());
        statement.setInt(9, key.dstPort());
        statement.setLong(10, key.device());
        statement.setLong(11, key.service());
        statement.setInt(12, key.approximate() ? 1 : 0);
    }

    private static long generatedKey(final PreparedStatement statement) throws SQLException {
        try (ResultSet keys = statement.getGeneratedKeys()) {
            if (!keys.next()) {
                throw new SQLException("no generated key");
            }
            return keys.getLong(1);
        }
    }

    /**
     * Deletes, per resolution, the rows whose whole bucket ended at or before {@code now - keep}, and prunes the
     * dedup log with the per-second retention: the highest pruned sequence of each agent becomes its floor, and a
     * batch at or below the floor is answered DUPLICATE (sequences only grow, so such a batch is a late resend of
     * data already stored, whose per-second rows would be beyond retention anyway).
     */
    private void runRetention(final RetentionJob job) {
        try {
            long deleted = 0;
            for (final Resolution resolution : RESOLUTIONS) {
                final long keep = retention.keep(resolution);
                if (keep < 0) {
                    continue;
                }
                // bucket + width <= now - keep  <=>  bucket < now - keep - width + 1
                final long firstKept = job.nowEpochSecond - keep - resolution.seconds() + 1;
                // Where merged records are is kept as long as the coarsest rows that hold them.
                final String[] tables = resolution == Resolution.DAY ?
                    new String[] {Schema.usageTable(resolution), Schema.flowTable(resolution), "coarse_span"} :
                    new String[] {Schema.usageTable(resolution), Schema.flowTable(resolution)};
                for (final String table : tables) {
                    try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE bucket < ?")) {
                        delete.setLong(1, firstKept);
                        deleted += delete.executeUpdate();
                    }
                }
            }
            final long logKeep = retention.keep(Resolution.SECOND);
            if (logKeep >= 0) {
                final long cutoff = job.nowEpochSecond - logKeep;
                try (PreparedStatement floor = connection.prepareStatement("UPDATE agent SET sequence_floor = " +
                    "(SELECT max(sequence) FROM batch_log b WHERE b.agent = agent.id AND b.stored_at < ?1) " +
                    "WHERE EXISTS (SELECT 1 FROM batch_log b WHERE b.agent = agent.id AND b.stored_at < ?1) " +
                    "AND (sequence_floor IS NULL OR sequence_floor < " +
                    "(SELECT max(sequence) FROM batch_log b WHERE b.agent = agent.id AND b.stored_at < ?1))");
                    PreparedStatement prune = connection.prepareStatement(
                        "DELETE FROM batch_log WHERE stored_at < ?")) {
                    floor.setLong(1, cutoff);
                    floor.executeUpdate();
                    prune.setLong(1, cutoff);
                    prune.executeUpdate();
                }
            }
            connection.commit();
            agents.clear(); // floors changed
            job.done.complete(deleted);
        } catch (final SQLException | RuntimeException e) {
            rollback();
            job.done.completeExceptionally(new StoreException("store : retention failed (" + e.getMessage() + ")", e));
        }
    }

    private void rollback() {
        try {
            connection.rollback();
        } catch (final SQLException ignored) {
            // The connection is broken; the next transaction reports it.
        }
        // Ids handed out inside the rolled-back transaction are gone: forget every cached id.
        agents.clear();
        series.clear();
        flows.clear();
        devices.clear();
        services.clear();
        clearAggregates();
    }

    private static void fail(final Job job, final StoreException error) {
        if (job instanceof IngestJob ingest) {
            ingest.done.completeExceptionally(error);
        } else if (job instanceof RetentionJob retentionJob) {
            retentionJob.done.completeExceptionally(error);
        }
    }

    void closeStatements() {
        final List<PreparedStatement> all = new ArrayList<>(List.of(selectAgent, insertAgent, updateAgent,
            insertBatchLog, selectSeries, insertSeries, updateSeries, selectFlow, insertFlow, selectDevice,
            insertDevice, updateDevice, selectService, insertService, upsertCoarseSpan, insertClockStep,
            updateAgentDegradation));
        all.addAll(Arrays.asList(upsertUsage));
        all.addAll(Arrays.asList(upsertFlow));
        for (final PreparedStatement statement : all) {
            try {
                statement.close();
            } catch (final SQLException ignored) {
                // closing anyway
            }
        }
    }

    /** A dictionary lookup failed inside a computeIfAbsent-style path; unwrapped to the group's failure. */
    private static final class DictionaryException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DictionaryException(final SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
