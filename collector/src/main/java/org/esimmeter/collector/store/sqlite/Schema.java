package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.esimmeter.collector.store.Resolution;

/**
 * Tables of the SQLite store (schema version 3, kept in {@code PRAGMA user_version}; a version 1 or 2 file is
 * upgraded in place when opened, each step in one transaction).
 * <pre>
 * agent     (id PK, name UNIQUE, last_seen, last_sequence, sequence_floor,
 *            merged_records, merged_seconds, implausible_seconds)           dictionary + last-seen + degradation
 * batch_log (agent, sequence) PK, stored_at                WITHOUT ROWID     dedup, same transaction as the data
 * series    (id PK, agent, interface, profile, network) UNIQUE, last_second  dictionary: what a usage row belongs to
 * flow      (id PK, direction, ip_version, protocol, src, src_port, dst, dst_port, device, service, approximate)
 *           UNIQUE                                                            flow dictionary
 * device    (id PK, key UNIQUE, address, hostname, last_seen)                 LAN devices flows were attributed to
 * service   (id PK, name UNIQUE)                                              domains flows were labelled with
 * usage_1s | usage_1m | usage_1h | usage_1d
 *           (bucket, series) PK, 9 counters, 9 uncaptured counters  WITHOUT ROWID   interface totals per resolution
 * flow_1s   (bucket, series) PK, flows BLOB ({@link FlowBlob}) WITHOUT ROWID   per-second flow detail, compact
 * flow_1m | flow_1h | flow_1d
 *           (bucket, series, flow) PK, packets, wire_bytes, ip_bytes  WITHOUT ROWID   flow rollups
 * coarse_span (bucket, series) PK, span_seconds              WITHOUT ROWID     merged records (span > 1 s): their
 *                                                                              usage is in the rows at bucket
 * clock_step (agent, detected_at_ms, step_ms) PK, affected_from, affected_to, sequence, stored_at   WITHOUT ROWID
 * </pre>
 * Every data table leads its primary key with the bucket: rows arrive in time order, so inserts land on the
 * right-most pages of each B-tree (hot in the page cache), a range query is one index range, and retention is a
 * range delete. A series is (agent, interface, profile, network): an interface that changes eSIM profile or serving
 * network starts a new series, so rollups stay exact per profile and per network ("used while roaming") even when
 * the change happens in the middle of a day. A flow's device and service are part of its identity (0: none), so a
 * flow row needs no wider key and a rollup stays exact per device and per service; the uncaptured counters (bytes
 * the kernel counted that no capture saw) sit next to the interface totals they complete, outside them.
 */
final class Schema {
    static final int VERSION = 3;

    /** Counter columns in {@link org.esimmeter.wire.TrafficCounters} order: direction-major, then metric. */
    static final String COUNTER_COLUMNS =
        "up_packets, up_wire_bytes, up_ip_bytes, down_packets, down_wire_bytes, down_ip_bytes, " +
        "unknown_packets, unknown_wire_bytes, unknown_ip_bytes";
    /** The uncaptured counters of a usage row, in the same order. */
    static final String UNCAPTURED_COLUMNS =
        "uncaptured_up_packets, uncaptured_up_wire_bytes, uncaptured_up_ip_bytes, uncaptured_down_packets, " +
        "uncaptured_down_wire_bytes, uncaptured_down_ip_bytes, uncaptured_unknown_packets, " +
        "uncaptured_unknown_wire_bytes, uncaptured_unknown_ip_bytes";
    static final int COUNTERS = 9;

    private Schema() {
    }

    static String usageTable(final Resolution resolution) {
        return "usage_" + resolution.label();
    }

    static String flowTable(final Resolution resolution) {
        return "flow_" + resolution.label();
    }

    static void create(final Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            final int version;
            try (ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version == VERSION) {
                return;
            }
            if (version == 1) {
                upgradeFrom1(connection);
                upgradeFrom2(connection);
                return;
            }
            if (version == 2) {
                upgradeFrom2(connection);
                return;
            }
            if (version != 0) {
                throw new SQLException("schema version : " + version + " (expected: " + VERSION + ")");
            }
            statement.executeUpdate("CREATE TABLE agent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, " +
                "last_seen INTEGER NOT NULL, last_sequence INTEGER NOT NULL, sequence_floor INTEGER, " +
                "merged_records INTEGER NOT NULL DEFAULT 0, merged_seconds INTEGER NOT NULL DEFAULT 0, " +
                "implausible_seconds INTEGER NOT NULL DEFAULT 0)");
            statement.executeUpdate("CREATE TABLE batch_log (agent INTEGER NOT NULL, sequence INTEGER NOT NULL, " +
                "stored_at INTEGER NOT NULL, PRIMARY KEY (agent, sequence)) WITHOUT ROWID");
            createSeries(statement, "series");
            createFlow(statement, "flow");
            for (final Resolution resolution : Resolution.values()) {
                final StringBuilder counters = new StringBuilder();
                for (final String column : COUNTER_COLUMNS.split(", ")) {
                    counters.append(column).append(" INTEGER NOT NULL, ");
                }
                for (final String column : UNCAPTURED_COLUMNS.split(", ")) {
                    counters.append(column).append(" INTEGER NOT NULL DEFAULT 0, ");
                }
                statement.executeUpdate("CREATE TABLE " + usageTable(resolution) + " (bucket INTEGER NOT NULL, " +
                    "series INTEGER NOT NULL, " + counters + "PRIMARY KEY (bucket, series)) WITHOUT ROWID");
                if (resolution == Resolution.SECOND) {
                    statement.executeUpdate("CREATE TABLE " + flowTable(resolution) + " (bucket INTEGER NOT NULL, " +
                        "series INTEGER NOT NULL, flows BLOB NOT NULL, PRIMARY KEY (bucket, series)) WITHOUT ROWID");
                } else {
                    statement.executeUpdate("CREATE TABLE " + flowTable(resolution) + " (bucket INTEGER NOT NULL, " +
                        "series INTEGER NOT NULL, flow INTEGER NOT NULL, packets INTEGER NOT NULL, " +
                        "wire_bytes INTEGER NOT NULL, ip_bytes INTEGER NOT NULL, " +
                        "PRIMARY KEY (bucket, series, flow)) WITHOUT ROWID");
                }
            }
            createVersion2Tables(statement);
            createLabelTables(statement);
            statement.executeUpdate("PRAGMA user_version = " + VERSION);
        }
    }

    private static void createSeries(final Statement statement, final String name) throws SQLException {
        statement.executeUpdate("CREATE TABLE " + name + " (id INTEGER PRIMARY KEY, agent INTEGER NOT NULL, " +
            "interface TEXT NOT NULL, profile TEXT NOT NULL, network TEXT NOT NULL DEFAULT '', " +
            "last_second INTEGER NOT NULL, UNIQUE (agent, interface, profile, network))");
    }

    private static void createFlow(final Statement statement, final String name) throws SQLException {
        statement.executeUpdate("CREATE TABLE " + name + " (id INTEGER PRIMARY KEY, direction INTEGER NOT NULL, " +
            "ip_version INTEGER NOT NULL, protocol INTEGER NOT NULL, src_hi INTEGER NOT NULL, " +
            "src_lo INTEGER NOT NULL, src_port INTEGER NOT NULL, dst_hi INTEGER NOT NULL, " +
            "dst_lo INTEGER NOT NULL, dst_port INTEGER NOT NULL, device INTEGER NOT NULL DEFAULT 0, " +
            "service INTEGER NOT NULL DEFAULT 0, approximate INTEGER NOT NULL DEFAULT 0, " +
            "UNIQUE (direction, ip_version, protocol, src_hi, src_lo, src_port, dst_hi, dst_lo, dst_port, device, " +
            "service, approximate))");
    }

    private static void createLabelTables(final Statement statement) throws SQLException {
        statement.executeUpdate("CREATE TABLE device (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, " +
            "address TEXT, hostname TEXT, last_seen INTEGER NOT NULL)");
        statement.executeUpdate("CREATE TABLE service (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
    }

    /** Version 1 to 2 (merged records and clock steps), in one transaction: an upgrade cut short leaves version 1. */
    private static void upgradeFrom1(final Connection connection) throws SQLException {
        inOneTransaction(connection, statement -> {
            for (final String column : new String[] {"merged_records", "merged_seconds", "implausible_seconds"}) {
                statement.executeUpdate("ALTER TABLE agent ADD COLUMN " + column + " INTEGER NOT NULL DEFAULT 0");
            }
            createVersion2Tables(statement);
            statement.executeUpdate("PRAGMA user_version = 2");
        });
    }

    /** One upgrade step's statements, committed together or not at all. */
    @FunctionalInterface
    private interface Step {
        void run(Statement statement) throws SQLException;
    }

    private static void inOneTransaction(final Connection connection, final Step step) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            step.run(statement);
            connection.commit();
        } catch (final SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /**
     * Version 2 to 3 (serving network, uncaptured counters, device and service labels), in one transaction. The
     * series and flow dictionaries are rebuilt with their wider UNIQUE keys, ids kept, so every data row still
     * points at its series and flow: old series are on network '' (unknown), old flows on no device and no service.
     */
    private static void upgradeFrom2(final Connection connection) throws SQLException {
        inOneTransaction(connection, statement -> {
            createSeries(statement, "series_v3");
            statement.executeUpdate("INSERT INTO series_v3 (id, agent, interface, profile, network, last_second) " +
                "SELECT id, agent, interface, profile, '', last_second FROM series");
            statement.executeUpdate("DROP TABLE series");
            statement.executeUpdate("ALTER TABLE series_v3 RENAME TO series");
            createFlow(statement, "flow_v3");
            statement.executeUpdate("INSERT INTO flow_v3 (id, direction, ip_version, protocol, src_hi, src_lo, " +
                "src_port, dst_hi, dst_lo, dst_port) SELECT id, direction, ip_version, protocol, src_hi, src_lo, " +
                "src_port, dst_hi, dst_lo, dst_port FROM flow");
            statement.executeUpdate("DROP TABLE flow");
            statement.executeUpdate("ALTER TABLE flow_v3 RENAME TO flow");
            for (final Resolution resolution : Resolution.values()) {
                for (final String column : UNCAPTURED_COLUMNS.split(", ")) {
                    statement.executeUpdate("ALTER TABLE " + usageTable(resolution) + " ADD COLUMN " + column +
                        " INTEGER NOT NULL DEFAULT 0");
                }
            }
            createLabelTables(statement);
            statement.executeUpdate("PRAGMA user_version = " + VERSION);
        });
    }

    private static void createVersion2Tables(final Statement statement) throws SQLException {
        statement.executeUpdate("CREATE TABLE coarse_span (bucket INTEGER NOT NULL, " +
            "series INTEGER NOT NULL, span_seconds INTEGER NOT NULL, PRIMARY KEY (bucket, series)) WITHOUT ROWID");
        statement.executeUpdate("CREATE TABLE clock_step (agent INTEGER NOT NULL, " +
            "detected_at_ms INTEGER NOT NULL, step_ms INTEGER NOT NULL, affected_from INTEGER NOT NULL, " +
            "affected_to INTEGER NOT NULL, sequence INTEGER NOT NULL, stored_at INTEGER NOT NULL, " +
            "PRIMARY KEY (agent, detected_at_ms, step_ms)) WITHOUT ROWID");
    }
}
