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
import org.esimmeter.wire.Direction;
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
            assertEquals(2, rs.getInt(1));
        }
    }

    @Test
    void shouldRefuseAFileOfAnUnknownSchemaVersion() throws Exception {
        final Path newer = Files.createDirectories(directory.resolve("v3"));
        try (Connection connection = connect(newer); Statement statement = connection.createStatement()) {
            statement.executeUpdate("PRAGMA user_version = 3");
        }
        final StoreException refused = assertThrows(StoreException.class,
            () -> SqliteUsageStore.open(newer, new RetentionPolicy(Map.of())));
        assertTrue(refused.getMessage().endsWith("(schema version : 3 (expected: 2))"), refused.getMessage());
    }
}
