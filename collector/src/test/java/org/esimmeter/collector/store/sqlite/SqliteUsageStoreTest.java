package org.esimmeter.collector.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.store.AgentInfo;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.collector.store.UsageStoreContract;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteConfig;

class SqliteUsageStoreTest extends UsageStoreContract {

    @Override
    protected UsageStore open(final Path directory, final RetentionPolicy retention) throws Exception {
        return SqliteUsageStore.open(directory, retention);
    }

    private static Connection connect(final Path directory) throws SQLException {
        return new SQLiteConfig().createConnection("jdbc:sqlite:" + directory.resolve(SqliteUsageStore.FILE_NAME));
    }

    /** A trigger on the 1-hour flow rollup: by then the batch's dedup row, usage rows and 1 s flows are written. */
    @Override
    protected void breakWritesMidway(final UsageStore store, final Path directory, final String interfaceName)
        throws Exception {
        try (Connection connection = connect(directory); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TRIGGER poison BEFORE INSERT ON flow_1h WHEN (SELECT interface FROM series " +
                "WHERE id = NEW.series) = '" + interfaceName + "' BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
        }
    }

    @Override
    protected void healWrites(final UsageStore store, final Path directory) throws Exception {
        try (Connection connection = connect(directory); Statement statement = connection.createStatement()) {
            statement.execute("DROP TRIGGER poison");
        }
    }

    @Test
    void shouldCreateTheDataDirectoryAndOneWalDatabaseFile() throws Exception {
        final Path nested = directory.resolve("var/lib/esim-meter");
        try (SqliteUsageStore store = SqliteUsageStore.open(nested, new RetentionPolicy(Map.of()))) {
            store.ingest(new Batch("a", 1, List.of()));
            assertEquals(nested.resolve(SqliteUsageStore.FILE_NAME), store.file());
            assertTrue(Files.isRegularFile(store.file()));
            try (Connection connection = connect(nested); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                assertEquals("wal", rs.getString(1));
            }
        }
    }

    /**
     * A file written by the collector before merged records and clock steps (schema version 1, its tables as they
     * were, one batch stored) is upgraded in place when opened: the usage and the dedup row are still there.
     */
    @Test
    void shouldUpgradeAVersion1FileInPlace() throws Exception {
        final String counters = "up_packets INTEGER NOT NULL, up_wire_bytes INTEGER NOT NULL, up_ip_bytes INTEGER " +
            "NOT NULL, down_packets INTEGER NOT NULL, down_wire_bytes INTEGER NOT NULL, down_ip_bytes INTEGER NOT " +
            "NULL, unknown_packets INTEGER NOT NULL, unknown_wire_bytes INTEGER NOT NULL, unknown_ip_bytes INTEGER " +
            "NOT NULL, ";
        final long day0 = DAY0;
        final Path old = Files.createDirectories(directory.resolve("v1"));
        try (Connection connection = connect(old); Statement statement = connection.createStatement()) {
            statement.executeUpdate("CREATE TABLE agent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, " +
                "last_seen INTEGER NOT NULL, last_sequence INTEGER NOT NULL, sequence_floor INTEGER)");
            statement.executeUpdate("CREATE TABLE batch_log (agent INTEGER NOT NULL, sequence INTEGER NOT NULL, " +
                "stored_at INTEGER NOT NULL, PRIMARY KEY (agent, sequence)) WITHOUT ROWID");
            statement.executeUpdate("CREATE TABLE series (id INTEGER PRIMARY KEY, agent INTEGER NOT NULL, " +
                "interface TEXT NOT NULL, profile TEXT NOT NULL, last_second INTEGER NOT NULL, " +
                "UNIQUE (agent, interface, profile))");
            statement.executeUpdate("CREATE TABLE flow (id INTEGER PRIMARY KEY, direction INTEGER NOT NULL, " +
                "ip_version INTEGER NOT NULL, protocol INTEGER NOT NULL, src_hi INTEGER NOT NULL, " +
                "src_lo INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_hi INTEGER NOT NULL, " +
                "dst_lo INTEGER NOT NULL, dst_port INTEGER NOT NULL, UNIQUE (direction, ip_version, protocol, " +
                "src_hi, src_lo, src_port, dst_hi, dst_lo, dst_port))");
            for (final String resolution : new String[] {"1s", "1m", "1h", "1d"}) {
                statement.executeUpdate("CREATE TABLE usage_" + resolution + " (bucket INTEGER NOT NULL, " +
                    "series INTEGER NOT NULL, " + counters + "PRIMARY KEY (bucket, series)) WITHOUT ROWID");
                statement.executeUpdate("INSERT INTO usage_" + resolution + " VALUES (" + day0 + ", 1, " +
                    "1, 1000, 986, 0, 0, 0, 0, 0, 0)");
                statement.executeUpdate(resolution.equals("1s") ?
                    "CREATE TABLE flow_1s (bucket INTEGER NOT NULL, series INTEGER NOT NULL, flows BLOB NOT NULL, " +
                        "PRIMARY KEY (bucket, series)) WITHOUT ROWID" :
                    "CREATE TABLE flow_" + resolution + " (bucket INTEGER NOT NULL, series INTEGER NOT NULL, " +
                        "flow INTEGER NOT NULL, packets INTEGER NOT NULL, wire_bytes INTEGER NOT NULL, " +
                        "ip_bytes INTEGER NOT NULL, PRIMARY KEY (bucket, series, flow)) WITHOUT ROWID");
            }
            statement.executeUpdate("INSERT INTO agent VALUES (1, 'a', 100, 1, NULL)");
            statement.executeUpdate("INSERT INTO batch_log VALUES (1, 1, 100)");
            statement.executeUpdate("INSERT INTO series VALUES (1, 1, 'wwan0', 'p', " + day0 + ")");
            statement.executeUpdate("PRAGMA user_version = 1");
        }
        try (SqliteUsageStore store = SqliteUsageStore.open(old, new RetentionPolicy(Map.of()))) {
            final UsageQuery day = new UsageQuery(day0, day0 + 86_400, Resolution.DAY, GroupBy.AGENT, null, null,
                null);
            assertEquals(1000, store.totals(day).get(0).usage().sum(TrafficCounters.WIRE_BYTES));
            assertEquals(IngestOutcome.DUPLICATE, store.ingest(new Batch("a", 1, List.of())));
            final TrafficCounters total = new TrafficCounters();
            total.add(Direction.UP, 2, 120, 0);
            assertEquals(IngestOutcome.STORED, store.ingest(new Batch("a", 2, List.of(new SecondUsage("wwan0", "p",
                day0 + 60, total, total, new TrafficCounters(), new TrafficCounters(), 0, 0, List.of(), 60)),
                List.of(new ClockStep(1, 1, 1, 1)))));
            assertEquals(1120, store.totals(day).get(0).usage().sum(TrafficCounters.WIRE_BYTES));
            final AgentInfo agent = store.agents().get(0);
            assertEquals(List.of(1L, 60L, 1L), List.of(agent.mergedRecords(), agent.mergedSeconds(),
                agent.clockSteps()));
        }
        try (Connection connection = connect(old); Statement statement = connection.createStatement();
            ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
            rs.next();
            assertEquals(3, rs.getInt(1));
        }
    }

    /**
     * A file of schema version 2 (its tables as they were: series without network, flows without labels, usage
     * without uncaptured counters; one batch of 1000 wire bytes stored) is upgraded in place when opened: its usage
     * answers every grouping (network unknown, no device, no service), its flow ids and dedup row are kept, and
     * batches with context are stored next to it.
     */
    @Test
    void shouldUpgradeAVersion2FileInPlace() throws Exception {
        final String counters = "up_packets INTEGER NOT NULL, up_wire_bytes INTEGER NOT NULL, up_ip_bytes INTEGER " +
            "NOT NULL, down_packets INTEGER NOT NULL, down_wire_bytes INTEGER NOT NULL, down_ip_bytes INTEGER NOT " +
            "NULL, unknown_packets INTEGER NOT NULL, unknown_wire_bytes INTEGER NOT NULL, unknown_ip_bytes INTEGER " +
            "NOT NULL, ";
        final long day0 = DAY0;
        final Path old = Files.createDirectories(directory.resolve("v2"));
        try (Connection connection = connect(old); Statement statement = connection.createStatement()) {
            statement.executeUpdate("CREATE TABLE agent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, " +
                "last_seen INTEGER NOT NULL, last_sequence INTEGER NOT NULL, sequence_floor INTEGER, " +
                "merged_records INTEGER NOT NULL DEFAULT 0, merged_seconds INTEGER NOT NULL DEFAULT 0, " +
                "implausible_seconds INTEGER NOT NULL DEFAULT 0)");
            statement.executeUpdate("CREATE TABLE batch_log (agent INTEGER NOT NULL, sequence INTEGER NOT NULL, " +
                "stored_at INTEGER NOT NULL, PRIMARY KEY (agent, sequence)) WITHOUT ROWID");
            statement.executeUpdate("CREATE TABLE series (id INTEGER PRIMARY KEY, agent INTEGER NOT NULL, " +
                "interface TEXT NOT NULL, profile TEXT NOT NULL, last_second INTEGER NOT NULL, " +
                "UNIQUE (agent, interface, profile))");
            statement.executeUpdate("CREATE TABLE flow (id INTEGER PRIMARY KEY, direction INTEGER NOT NULL, " +
                "ip_version INTEGER NOT NULL, protocol INTEGER NOT NULL, src_hi INTEGER NOT NULL, " +
                "src_lo INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_hi INTEGER NOT NULL, " +
                "dst_lo INTEGER NOT NULL, dst_port INTEGER NOT NULL, UNIQUE (direction, ip_version, protocol, " +
                "src_hi, src_lo, src_port, dst_hi, dst_lo, dst_port))");
            for (final String resolution : new String[] {"1s", "1m", "1h", "1d"}) {
                statement.executeUpdate("CREATE TABLE usage_" + resolution + " (bucket INTEGER NOT NULL, " +
                    "series INTEGER NOT NULL, " + counters + "PRIMARY KEY (bucket, series)) WITHOUT ROWID");
                statement.executeUpdate("INSERT INTO usage_" + resolution + " VALUES (" + day0 + ", 1, " +
                    "1, 1000, 986, 0, 0, 0, 0, 0, 0)");
                if (resolution.equals("1s")) {
                    statement.executeUpdate("CREATE TABLE flow_1s (bucket INTEGER NOT NULL, series INTEGER NOT " +
                        "NULL, flows BLOB NOT NULL, PRIMARY KEY (bucket, series)) WITHOUT ROWID");
                    // flow 1: 1 packet, 1000 wire bytes, 986 IP bytes (varints 01 01 e807 da07)
                    statement.executeUpdate("INSERT INTO flow_1s VALUES (" + day0 + ", 1, X'0101E807DA07')");
                } else {
                    statement.executeUpdate("CREATE TABLE flow_" + resolution + " (bucket INTEGER NOT NULL, " +
                        "series INTEGER NOT NULL, flow INTEGER NOT NULL, packets INTEGER NOT NULL, wire_bytes " +
                        "INTEGER NOT NULL, ip_bytes INTEGER NOT NULL, PRIMARY KEY (bucket, series, flow)) " +
                        "WITHOUT ROWID");
                    statement.executeUpdate("INSERT INTO flow_" + resolution + " VALUES (" + day0 + ", 1, 1, 1, " +
                        "1000, 986)");
                }
            }
            statement.executeUpdate("CREATE TABLE coarse_span (bucket INTEGER NOT NULL, series INTEGER NOT NULL, " +
                "span_seconds INTEGER NOT NULL, PRIMARY KEY (bucket, series)) WITHOUT ROWID");
            statement.executeUpdate("CREATE TABLE clock_step (agent INTEGER NOT NULL, detected_at_ms INTEGER NOT " +
                "NULL, step_ms INTEGER NOT NULL, affected_from INTEGER NOT NULL, affected_to INTEGER NOT NULL, " +
                "sequence INTEGER NOT NULL, stored_at INTEGER NOT NULL, PRIMARY KEY (agent, detected_at_ms, " +
                "step_ms)) WITHOUT ROWID");
            statement.executeUpdate("INSERT INTO agent (id, name, last_seen, last_sequence) VALUES (1, 'a', 100, 1)");
            statement.executeUpdate("INSERT INTO batch_log VALUES (1, 1, 100)");
            statement.executeUpdate("INSERT INTO series VALUES (1, 1, 'wwan0', 'p', " + day0 + ")");
            // UP TCP 10.0.0.2:50000 -> 93.184.216.34:443, IPv4 in the low bits of ::ffff:0:0/96
            statement.executeUpdate("INSERT INTO flow VALUES (1, 0, 4, 6, 0, " + (0xFFFF_0000_0000L | 0x0A000002L) +
                ", 50000, 0, " + (0xFFFF_0000_0000L | 0x5DB8D822L) + ", 443)");
            statement.executeUpdate("PRAGMA user_version = 2");
        }
        final UsageQuery day = new UsageQuery(day0, day0 + 86_400, Resolution.SECOND, GroupBy.INTERFACE, null, null,
            null);
        try (SqliteUsageStore store = SqliteUsageStore.open(old, new RetentionPolicy(Map.of()))) {
            for (final Resolution step : Resolution.values()) {
                final UsageQuery query = new UsageQuery(day0, day0 + 86_400, step, GroupBy.INTERFACE, null, null,
                    null);
                assertEquals(List.of("GroupKey[agent=a, interfaceName=wwan0, profile=p, direction=null, " +
                    "protocol=0, src=null, srcPort=0, dst=null, dstPort=0, network=null, device=null, address=null, " +
                    "hostname=null, service=null] 1000 uncaptured 0"), store.totals(query).stream().map(g ->
                    g.group() + " " + g.usage().sum(TrafficCounters.WIRE_BYTES) + " uncaptured " +
                    g.uncaptured().sum(TrafficCounters.WIRE_BYTES)).toList(), step.label());
                assertEquals(List.of(" 986"), store.totals(query.by(GroupBy.NETWORK)).stream().map(g ->
                    g.group().network() + " " + g.usage().sum(TrafficCounters.IP_BYTES)).toList(), step.label());
                for (final GroupBy by : List.of(GroupBy.DEVICE, GroupBy.SERVICE)) {
                    final List<GroupUsage> groups = store.totals(query.by(by));
                    assertEquals(List.of(986L), groups.stream().map(g -> g.usage().sum(TrafficCounters.IP_BYTES))
                        .toList(), by + " " + step.label());
                    assertEquals(null, by == GroupBy.DEVICE ? groups.get(0).group().device() :
                        groups.get(0).group().service());
                }
                assertEquals(List.of("10.0.0.2 50000 93.184.216.34 443 up 986"), store.totals(query.by(GroupBy.FLOW))
                    .stream().map(g -> g.group().src() + " " + g.group().srcPort() + " " + g.group().dst() + " " +
                    g.group().dstPort() + " " + g.group().direction() + " " + g.usage().sum(TrafficCounters.IP_BYTES))
                    .toList(), step.label());
            }
            assertEquals(IngestOutcome.DUPLICATE, store.ingest(new Batch("a", 1, List.of())));
            // The same flow, unlabelled on a known network, then labelled: the first keeps flow id 1.
            final FlowUsage same = new FlowUsage(Direction.UP, 4, 6, 0, 0xFFFF_0000_0000L | 0x0A000002L, 50000, 0,
                0xFFFF_0000_0000L | 0x5DB8D822L, 443, 1, 114, 100);
            final FlowUsage named = new FlowUsage(Direction.UP, 4, 6, 0, 0xFFFF_0000_0000L | 0x0A000002L, 50000, 0,
                0xFFFF_0000_0000L | 0x5DB8D822L, 443, 1, 214, 200, new Device("aa:bb:cc:dd:ee:ff", null, null), false,
                "example.com");
            final TrafficCounters total = new TrafficCounters();
            total.add(Direction.UP, 2, 328, 300);
            final TrafficCounters uncaptured = new TrafficCounters();
            uncaptured.add(Direction.DOWN, 3, 4242, 4200);
            assertEquals(IngestOutcome.STORED, store.ingest(new Batch("a", 2, List.of(new SecondUsage("wwan0", "p",
                day0 + 1, total, new TrafficCounters(), new TrafficCounters(), new TrafficCounters(), 0, 0,
                List.of(same, named), 1, "23415", uncaptured)))));
            final GroupUsage all = store.totals(day).get(0);
            assertEquals(1000 + 328, all.usage().sum(TrafficCounters.WIRE_BYTES));
            assertEquals(4200, all.uncaptured().sum(TrafficCounters.IP_BYTES));
            assertEquals(List.of(" 986 0", "23415 300 4200"), store.totals(day.by(GroupBy.NETWORK)).stream().map(g ->
                g.group().network() + " " + g.usage().sum(TrafficCounters.IP_BYTES) + " " +
                g.uncaptured().sum(TrafficCounters.IP_BYTES)).toList());
            assertEquals(List.of("example.com 200", "null 1086"), store.totals(day.by(GroupBy.SERVICE)).stream()
                .map(g -> g.group().service() + " " + g.usage().sum(TrafficCounters.IP_BYTES)).toList());
        }
        try (Connection connection = connect(old); Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
                rs.next();
                assertEquals(3, rs.getInt(1));
            }
            try (ResultSet rs = statement.executeQuery("SELECT id, device, service FROM flow ORDER BY id")) {
                assertTrue(rs.next());
                assertEquals(List.of(1L, 0L, 0L), List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
                assertTrue(rs.next());
                assertEquals(List.of(2L, 1L, 1L), List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
                assertEquals(false, rs.next());
            }
        }
    }

    @Test
    void shouldRefuseAFileOfAnUnknownSchemaVersion() throws Exception {
        final Path newer = Files.createDirectories(directory.resolve("v4"));
        try (Connection connection = connect(newer); Statement statement = connection.createStatement()) {
            statement.executeUpdate("PRAGMA user_version = 4");
        }
        final StoreException refused = assertThrows(StoreException.class,
            () -> SqliteUsageStore.open(newer, new RetentionPolicy(Map.of())));
        assertTrue(refused.getMessage().endsWith("(schema version : 4 (expected: 3))"), refused.getMessage());
    }
}
