package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.esimmeter.collector.store.AgentClockStep;
import org.esimmeter.collector.store.AgentInfo;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupKey;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.MergedRecord;
import org.esimmeter.collector.store.RangePlan;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;
import org.esimmeter.wire.WireFormat;

/**
 * One reader connection and the query logic. Used by one thread at a time (borrowed from the store's pool); every
 * query runs in one read transaction so all pieces of its {@link RangePlan} see the same committed snapshot.
 * <p>
 * Rows are summed first by (output bucket, integer id) — series for interface dimensions, flow for flow dimensions
 * — and mapped to {@link GroupKey}s only once at the end, so the per-row work is a hash lookup on two longs.
 */
final class QueryReader {
    private static final Comparator<GroupUsage> MOST_WIRE_BYTES_FIRST = Comparator
        .comparingLong((GroupUsage g) -> g.usage().sum(TrafficCounters.WIRE_BYTES)).reversed()
        .thenComparing(GroupUsage::group);

    private final Connection connection;
    private final SeriesDirectory seriesDirectory;
    private final FlowDirectory flowDirectory;
    private final LabelDirectory labelDirectory;

    private record BucketId(long bucket, long id) {
    }

    /** A group's sums: captured usage, uncaptured bytes (interface rows), the approximately attributed part. */
    private static final class Sums {
        final TrafficCounters usage = new TrafficCounters();
        final TrafficCounters uncaptured = new TrafficCounters();
        final TrafficCounters approximate = new TrafficCounters();

        boolean isEmpty() {
            return usage.isEmpty() && uncaptured.isEmpty();
        }
    }

    QueryReader(final Connection connection, final SeriesDirectory seriesDirectory,
        final FlowDirectory flowDirectory, final LabelDirectory labelDirectory) {
        this.connection = connection;
        this.seriesDirectory = seriesDirectory;
        this.flowDirectory = flowDirectory;
        this.labelDirectory = labelDirectory;
    }

    List<UsagePoint> usage(final UsageQuery query) throws StoreException {
        final TreeMap<Long, TreeMap<GroupKey, Sums>> buckets = read(query, query.step(), true);
        final List<UsagePoint> points = new ArrayList<>();
        buckets.forEach((bucket, groups) -> groups.forEach((group, sums) ->
            points.add(new UsagePoint(bucket, group, sums.usage, sums.uncaptured, sums.approximate))));
        return points;
    }

    List<GroupUsage> totals(final UsageQuery query) throws StoreException {
        final TreeMap<Long, TreeMap<GroupKey, Sums>> buckets = read(query, Resolution.DAY, false);
        final List<GroupUsage> totals = new ArrayList<>();
        buckets.values().forEach(groups -> groups.forEach((group, sums) ->
            totals.add(new GroupUsage(group, sums.usage, sums.uncaptured, sums.approximate))));
        return totals;
    }

    List<GroupUsage> top(final UsageQuery query, final int limit) throws StoreException {
        final List<GroupUsage> totals = new ArrayList<>(totals(query));
        totals.sort(MOST_WIRE_BYTES_FIRST);
        return List.copyOf(totals.subList(0, Math.min(limit, totals.size())));
    }

    List<AgentInfo> agents() throws StoreException {
        final Map<String, AgentInfo> agents = new LinkedHashMap<>();
        final Map<String, Map<String, AgentInfo.InterfaceInfo>> interfaces = new HashMap<>();
        final Map<String, long[]> stepCounts = new HashMap<>();
        final Map<String, ClockStep> lastSteps = new HashMap<>();
        try {
            connection.setAutoCommit(false); // one snapshot for both statements
            try {
                try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT a.name, a.last_seen, a.last_sequence, s.interface, s.profile, s.last_second, " +
                    "a.merged_records, a.merged_seconds, a.implausible_seconds, s.network " +
                    "FROM agent a LEFT JOIN series s ON s.agent = a.id " +
                    "ORDER BY a.name, s.interface, s.last_second DESC, s.id DESC");
                    ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        final String agent = rs.getString(1);
                        agents.putIfAbsent(agent, new AgentInfo(agent, rs.getLong(2), rs.getLong(3), List.of(), 0,
                            null, rs.getLong(7), rs.getLong(8), rs.getLong(9)));
                        final String interfaceName = rs.getString(4);
                        if (interfaceName != null) {
                            // First row per interface is the series with the newest second: its current profile.
                            interfaces.computeIfAbsent(agent, k -> new LinkedHashMap<>()).putIfAbsent(interfaceName,
                                new AgentInfo.InterfaceInfo(interfaceName, rs.getString(5), rs.getLong(6),
                                    rs.getString(10)));
                        }
                    }
                }
                // Per agent: how many steps, and the one detected last.
                try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT a.name, c.detected_at_ms, c.step_ms, c.affected_from, c.affected_to, " +
                    "(SELECT count(*) FROM clock_step x WHERE x.agent = c.agent) " +
                    "FROM clock_step c JOIN agent a ON a.id = c.agent WHERE NOT EXISTS (SELECT 1 FROM clock_step y " +
                    "WHERE y.agent = c.agent AND (y.detected_at_ms > c.detected_at_ms OR " +
                    "(y.detected_at_ms = c.detected_at_ms AND y.step_ms > c.step_ms)))");
                    ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        lastSteps.put(rs.getString(1), new ClockStep(rs.getLong(2), rs.getLong(3), rs.getLong(4),
                            rs.getLong(5)));
                        stepCounts.put(rs.getString(1), new long[] {rs.getLong(6)});
                    }
                }
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (final SQLException e) {
            throw failure(e);
        }
        final List<AgentInfo> result = new ArrayList<>(agents.size());
        agents.forEach((name, info) -> result.add(new AgentInfo(name, info.lastSeenEpochSecond(),
            info.lastSequence(), List.copyOf(interfaces.getOrDefault(name, Map.of()).values()),
            stepCounts.getOrDefault(name, new long[1])[0], lastSteps.get(name), info.mergedRecords(),
            info.mergedSeconds(), info.implausibleSeconds())));
        return result;
    }

    List<AgentClockStep> clockSteps(final UsageQuery query, final int limit) throws StoreException {
        final List<AgentClockStep> steps = new ArrayList<>();
        try {
            connection.setAutoCommit(false);
            try {
                final Set<String> agents = agentsInScope(query);
                if (agents != null && agents.isEmpty()) {
                    return steps;
                }
                try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT a.name, c.detected_at_ms, c.step_ms, c.affected_from, c.affected_to " +
                    "FROM clock_step c JOIN agent a ON a.id = c.agent " +
                    "WHERE c.affected_from < ? AND c.affected_to >= ? " +
                    "ORDER BY a.name, c.detected_at_ms, c.step_ms")) {
                    statement.setLong(1, query.toSecond());
                    statement.setLong(2, query.fromSecond());
                    try (ResultSet rs = statement.executeQuery()) {
                        while (rs.next() && steps.size() < limit) {
                            final String agent = rs.getString(1);
                            if (agents == null || agents.contains(agent)) {
                                steps.add(new AgentClockStep(agent, new ClockStep(rs.getLong(2), rs.getLong(3),
                                    rs.getLong(4), rs.getLong(5))));
                            }
                        }
                    }
                }
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (final SQLException e) {
            throw failure(e);
        }
        return steps;
    }

    /**
     * The SQL condition on {@code series} for a query's agent/interface/profile filters: empty for all, null when no
     * series matches (the answer is empty without reading a row).
     */
    private static String seriesFilter(final Map<Long, SeriesDirectory.Series> series, final UsageQuery query) {
        final Set<Long> matching = SeriesDirectory.matching(series, query.agent(), query.interfaceName(),
            query.profile(), query.network());
        if (matching != null && matching.isEmpty()) {
            return null;
        }
        return matching == null ? "" : " AND series IN (" + join(matching) + ")";
    }

    /** Agent names a query's filters select, or null for all (no filter). */
    private Set<String> agentsInScope(final UsageQuery query) throws SQLException {
        if (query.agent() == null && query.interfaceName() == null && query.profile() == null &&
            query.network() == null) {
            return null;
        }
        final Map<Long, SeriesDirectory.Series> series = seriesDirectory.current(connection);
        final Set<String> agents = new HashSet<>();
        final Set<Long> matching = SeriesDirectory.matching(series, query.agent(), query.interfaceName(),
            query.profile(), query.network());
        for (final Long id : matching) {
            agents.add(series.get(id).agent());
        }
        if (query.agent() != null && query.interfaceName() == null && query.profile() == null &&
            query.network() == null) {
            agents.add(query.agent()); // an agent whose steps came with no usage yet
        }
        return agents;
    }

    List<MergedRecord> mergedRecords(final UsageQuery query, final long bucketSeconds, final int limit)
        throws StoreException {
        final List<MergedRecord> records = new ArrayList<>();
        try {
            connection.setAutoCommit(false);
            try {
                final Map<Long, SeriesDirectory.Series> series = seriesDirectory.current(connection);
                final String seriesFilter = seriesFilter(series, query);
                if (seriesFilter == null) {
                    return records;
                }
                // A record overlaps [from, to) when bucket < to and bucket + span > from; spans are at most a day,
                // which bounds the index range from below.
                try (PreparedStatement statement = connection.prepareStatement("SELECT bucket, series, " +
                    "span_seconds FROM coarse_span WHERE bucket > ? AND bucket < ? AND bucket + span_seconds > ? " +
                    "AND (span_seconds > ? OR bucket < ? OR bucket + span_seconds > ?)" + seriesFilter +
                    " ORDER BY bucket, series LIMIT ?")) {
                    statement.setLong(1, query.fromSecond() - WireFormat.MAX_SPAN_SECONDS);
                    statement.setLong(2, query.toSecond());
                    statement.setLong(3, query.fromSecond());
                    statement.setLong(4, bucketSeconds);
                    statement.setLong(5, query.fromSecond());
                    statement.setLong(6, query.toSecond());
                    statement.setInt(7, limit);
                    try (ResultSet rs = statement.executeQuery()) {
                        while (rs.next()) {
                            final SeriesDirectory.Series s = series.get(rs.getLong(2));
                            if (s == null) {
                                throw new IllegalStateException("series dictionary : id " + rs.getLong(2) +
                                    " missing");
                            }
                            records.add(new MergedRecord(s.agent(), s.interfaceName(), s.profile(), rs.getLong(1),
                                rs.getInt(3)));
                        }
                    }
                }
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (final SQLException | IllegalStateException e) {
            throw failure(e);
        }
        return records;
    }

    /**
     * Sums of {@code query}'s range per output bucket and group. With {@code perBucket} the output bucket is the
     * step bucket of each row (rows never straddle one, since no piece is coarser than the step); without, every
     * row falls in one bucket keyed by the range's start.
     */
    private TreeMap<Long, TreeMap<GroupKey, Sums>> read(final UsageQuery query,
        final Resolution coarsest, final boolean perBucket) throws StoreException {
        try {
            connection.setAutoCommit(false);
            try {
                final Map<Long, SeriesDirectory.Series> series = seriesDirectory.current(connection);
                final String seriesFilter = seriesFilter(series, query);
                if (seriesFilter == null) {
                    return new TreeMap<>();
                }
                final List<RangePlan.Piece> pieces = RangePlan.cover(query.fromSecond(), query.toSecond(), coarsest);
                final Resolution step = query.step();
                final long fixedBucket = query.fromSecond();
                return query.groupBy().isFlowDimension()
                    ? readFlows(query, pieces, seriesFilter, perBucket, step, fixedBucket)
                    : readInterfaces(query.groupBy(), series, pieces, seriesFilter, perBucket, step, fixedBucket);
            } finally {
                connection.setAutoCommit(true); // ends the read transaction
            }
        } catch (final SQLException | IllegalStateException e) {
            throw failure(e);
        }
    }

    private TreeMap<Long, TreeMap<GroupKey, Sums>> readInterfaces(final GroupBy groupBy,
        final Map<Long, SeriesDirectory.Series> series, final List<RangePlan.Piece> pieces, final String seriesFilter,
        final boolean perBucket, final Resolution step, final long fixedBucket) throws SQLException {
        final int values = 2 * Schema.COUNTERS;
        final Map<BucketId, long[]> sums = new HashMap<>();
        for (final RangePlan.Piece piece : pieces) {
            try (PreparedStatement statement = connection.prepareStatement("SELECT bucket, series, " +
                Schema.COUNTER_COLUMNS + ", " + Schema.UNCAPTURED_COLUMNS + " FROM " +
                Schema.usageTable(piece.resolution()) + " WHERE bucket >= ? AND bucket < ?" + seriesFilter)) {
                statement.setLong(1, piece.fromBucket());
                statement.setLong(2, piece.toBucket());
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        final long bucket = perBucket ? step.bucketStart(rs.getLong(1)) : fixedBucket;
                        final long[] sum = sums.computeIfAbsent(new BucketId(bucket, rs.getLong(2)),
                            k -> new long[values]);
                        for (int i = 0; i < values; i++) {
                            sum[i] += rs.getLong(3 + i);
                        }
                    }
                }
            }
        }
        final TreeMap<Long, TreeMap<GroupKey, Sums>> result = new TreeMap<>();
        sums.forEach((key, sum) -> {
            final SeriesDirectory.Series s = series.get(key.id());
            if (s == null) {
                throw new IllegalStateException("series dictionary : id " + key.id() + " missing");
            }
            final GroupKey group = switch (groupBy) {
                case AGENT -> GroupKey.ofAgent(s.agent());
                case INTERFACE -> GroupKey.ofInterface(s.agent(), s.interfaceName(), s.profile());
                case PROFILE -> GroupKey.ofProfile(s.profile());
                case NETWORK -> GroupKey.ofNetwork(s.network());
                default -> throw new IllegalStateException("not an interface dimension: " + groupBy);
            };
            final Sums groupSums = result.computeIfAbsent(key.bucket(), k -> new TreeMap<>())
                .computeIfAbsent(group, k -> new Sums());
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                final int base = direction * TrafficCounters.METRICS;
                groupSums.usage.add(direction, sum[base + TrafficCounters.PACKETS],
                    sum[base + TrafficCounters.WIRE_BYTES], sum[base + TrafficCounters.IP_BYTES]);
                groupSums.uncaptured.add(direction, sum[Schema.COUNTERS + base + TrafficCounters.PACKETS],
                    sum[Schema.COUNTERS + base + TrafficCounters.WIRE_BYTES],
                    sum[Schema.COUNTERS + base + TrafficCounters.IP_BYTES]);
            }
        });
        return withoutEmpty(result);
    }

    private TreeMap<Long, TreeMap<GroupKey, Sums>> readFlows(final UsageQuery query,
        final List<RangePlan.Piece> pieces, final String seriesFilter, final boolean perBucket,
        final Resolution step, final long fixedBucket) throws SQLException {
        // Label filters as ids: a name never stored matches nothing.
        final long deviceFilter = query.device() == null ? -1 : LabelDirectory.deviceId(connection, query.device());
        final long serviceFilter = query.service() == null ? -1 :
            LabelDirectory.serviceId(connection, query.service());
        if ((query.device() != null && deviceFilter < 0) || (query.service() != null && serviceFilter < 0)) {
            return new TreeMap<>();
        }
        final Map<BucketId, long[]> sums = new HashMap<>();
        for (final RangePlan.Piece piece : pieces) {
            if (piece.resolution() == Resolution.SECOND) {
                try (PreparedStatement statement = connection.prepareStatement("SELECT bucket, flows FROM " +
                    Schema.flowTable(Resolution.SECOND) + " WHERE bucket >= ? AND bucket < ?" + seriesFilter)) {
                    statement.setLong(1, piece.fromBucket());
                    statement.setLong(2, piece.toBucket());
                    try (ResultSet rs = statement.executeQuery()) {
                        while (rs.next()) {
                            final long bucket = perBucket ? step.bucketStart(rs.getLong(1)) : fixedBucket;
                            FlowBlob.forEach(rs.getBytes(2), (flowId, packets, wireBytes, ipBytes) -> {
                                final long[] sum = sums.computeIfAbsent(new BucketId(bucket, flowId),
                                    k -> new long[3]);
                                sum[0] += packets;
                                sum[1] += wireBytes;
                                sum[2] += ipBytes;
                            });
                        }
                    }
                }
                continue;
            }
            try (PreparedStatement statement = connection.prepareStatement("SELECT bucket, flow, packets, " +
                "wire_bytes, ip_bytes FROM " + Schema.flowTable(piece.resolution()) +
                " WHERE bucket >= ? AND bucket < ?" + seriesFilter)) {
                statement.setLong(1, piece.fromBucket());
                statement.setLong(2, piece.toBucket());
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        final long bucket = perBucket ? step.bucketStart(rs.getLong(1)) : fixedBucket;
                        final long[] sum = sums.computeIfAbsent(new BucketId(bucket, rs.getLong(2)), k -> new long[3]);
                        sum[0] += rs.getLong(3);
                        sum[1] += rs.getLong(4);
                        sum[2] += rs.getLong(5);
                    }
                }
            }
        }
        final Set<Long> flowIds = new HashSet<>();
        sums.keySet().forEach(key -> flowIds.add(key.id()));
        final Map<Long, FlowKey> flows = flowDirectory.resolve(connection, flowIds);
        final Set<Long> labelIds = new HashSet<>();
        final GroupBy groupBy = query.groupBy();
        if (groupBy == GroupBy.DEVICE || groupBy == GroupBy.SERVICE) {
            flows.values().forEach(flow -> labelIds.add(groupBy == GroupBy.DEVICE ? flow.device() : flow.service()));
        }
        final Map<Long, Device> devices = groupBy == GroupBy.DEVICE ? labelDirectory.devices(connection, labelIds) :
            Map.of();
        final Map<Long, String> services = groupBy == GroupBy.SERVICE ?
            labelDirectory.services(connection, labelIds) : Map.of();
        final TreeMap<Long, TreeMap<GroupKey, Sums>> result = new TreeMap<>();
        sums.forEach((key, sum) -> {
            final FlowKey flow = flows.get(key.id());
            if ((deviceFilter >= 0 && flow.device() != deviceFilter) ||
                (serviceFilter >= 0 && flow.service() != serviceFilter)) {
                return;
            }
            final GroupKey group = switch (groupBy) {
                case DEVICE -> deviceGroup(flow.device(), devices);
                case SERVICE -> serviceGroup(flow.service(), services);
                default -> flowGroup(groupBy, flow);
            };
            final Sums groupSums = result.computeIfAbsent(key.bucket(), k -> new TreeMap<>())
                .computeIfAbsent(group, k -> new Sums());
            groupSums.usage.add(flow.direction(), sum[0], sum[1], sum[2]);
            if (flow.approximate()) {
                groupSums.approximate.add(flow.direction(), sum[0], sum[1], sum[2]);
            }
        });
        return withoutEmpty(result);
    }

    private static GroupKey deviceGroup(final long id, final Map<Long, Device> devices) {
        if (id == 0) {
            return GroupKey.ofDevice(null, null, null);
        }
        final Device device = devices.get(id);
        if (device == null) {
            throw new IllegalStateException("device dictionary : id " + id + " missing");
        }
        return GroupKey.ofDevice(device.key(), device.address(), device.hostname());
    }

    private static GroupKey serviceGroup(final long id, final Map<Long, String> services) {
        if (id == 0) {
            return GroupKey.ofService(null);
        }
        final String name = services.get(id);
        if (name == null) {
            throw new IllegalStateException("service dictionary : id " + id + " missing");
        }
        return GroupKey.ofService(name);
    }

    private static GroupKey flowGroup(final GroupBy groupBy, final FlowKey flow) {
        return switch (groupBy) {
            case FLOW -> new GroupKey(null, null, null, Direction.name(flow.direction()), flow.protocol(),
                Addresses.format(flow.ipVersion(), flow.srcHi(), flow.srcLo()), flow.srcPort(),
                Addresses.format(flow.ipVersion(), flow.dstHi(), flow.dstLo()), flow.dstPort());
            case DST -> new GroupKey(null, null, null, null, 0, null, 0,
                Addresses.format(flow.ipVersion(), flow.dstHi(), flow.dstLo()), 0);
            case SRC -> new GroupKey(null, null, null, null, 0,
                Addresses.format(flow.ipVersion(), flow.srcHi(), flow.srcLo()), 0, null, 0);
            case PROTOCOL -> new GroupKey(null, null, null, null, flow.protocol(), null, 0, null, 0);
            default -> throw new IllegalStateException("not a flow dimension: " + groupBy);
        };
    }

    /** A group whose rows exist but sum to nothing (an idle second) is not "usage". */
    private static TreeMap<Long, TreeMap<GroupKey, Sums>> withoutEmpty(
        final TreeMap<Long, TreeMap<GroupKey, Sums>> result) {
        result.values().forEach(groups -> groups.values().removeIf(Sums::isEmpty));
        result.values().removeIf(Map::isEmpty);
        return result;
    }

    private static String join(final Set<Long> ids) {
        final StringBuilder text = new StringBuilder();
        for (final Long id : ids) {
            text.append(text.length() == 0 ? "" : ",").append(id.longValue());
        }
        return text.toString();
    }

    private static StoreException failure(final Exception e) {
        return new StoreException("store : query failed (" + e.getMessage() + ")", e);
    }

    void close() {
        try {
            connection.close();
        } catch (final SQLException ignored) {
            // closing anyway
        }
    }
}
