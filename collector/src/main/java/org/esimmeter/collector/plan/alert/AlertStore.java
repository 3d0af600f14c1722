package org.esimmeter.collector.plan.alert;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.collector.store.StoreException;
import org.sqlite.SQLiteConfig;

/**
 * Fired alerts and their delivery state, in table {@code alert_event} of the collector's SQLite file, on a
 * connection of its own (WAL, {@code synchronous=FULL}: a row is on disk when a call returns). The usage tables are
 * the store's; this table is only ever touched here. A row is written before the alert is logged or sent, and its
 * primary key is the alert's id, so an alert exists once whatever restarts happen in between.
 * <p>
 * Alerts are rare (a few per profile per cycle): one connection, every call synchronized.
 */
public final class AlertStore implements AutoCloseable {
    private static final String COLUMNS = "id, profile, label, kind, threshold, period_start, period_end, " +
        "time_zone, used_bytes, cap_bytes, fired_at, message, status, attempts, next_attempt_ms, delivered_ms, " +
        "last_error";

    private final Path file;
    private final Connection connection;

    private AlertStore(final Path file, final Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens {@code file} (the store's database), creating the alert table if absent. */
    public static AlertStore open(final Path file) throws StoreException {
        Connection connection = null;
        try {
            final SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            // The store's writer holds the write lock for one group commit at a time; wait for it.
            config.setBusyTimeout(10_000);
            connection = config.createConnection("jdbc:sqlite:" + file);
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("CREATE TABLE IF NOT EXISTS alert_event (id TEXT PRIMARY KEY, " +
                    "profile TEXT NOT NULL, label TEXT NOT NULL, kind TEXT NOT NULL, threshold INTEGER NOT NULL, " +
                    "period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, time_zone TEXT NOT NULL, " +
                    "used_bytes INTEGER NOT NULL, cap_bytes INTEGER, fired_at INTEGER NOT NULL, " +
                    "message TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, " +
                    "next_attempt_ms INTEGER, delivered_ms INTEGER, last_error TEXT)");
                statement.executeUpdate("CREATE INDEX IF NOT EXISTS alert_event_profile ON alert_event " +
                    "(profile, period_start, kind)");
                statement.executeUpdate("CREATE INDEX IF NOT EXISTS alert_event_fired ON alert_event (fired_at)");
            }
            return new AlertStore(file, connection);
        } catch (final SQLException e) {
            if (connection != null) {
                try {
                    connection.close();
                } catch (final SQLException ignored) {
                    // reporting the first failure
                }
            }
            throw new StoreException("alerts : cannot open " + file + " (" + e.getMessage() + ")", e);
        }
    }

    /** Stores {@code alert} unless one with its id exists; true when stored now (the caller then fires it). */
    public synchronized boolean insert(final Alert alert) throws StoreException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT OR IGNORE INTO alert_event (" +
            COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, alert.id());
            insert.setString(2, alert.profile());
            insert.setString(3, alert.label());
            insert.setString(4, alert.kind());
            insert.setLong(5, alert.threshold());
            insert.setLong(6, alert.periodStart());
            insert.setLong(7, alert.periodEnd());
            insert.setString(8, alert.timeZone());
            insert.setLong(9, alert.usedBytes());
            setLong(insert, 10, alert.capBytes());
            insert.setLong(11, alert.firedAt());
            insert.setString(12, alert.message());
            final Alert.Delivery delivery = alert.delivery();
            insert.setString(13, delivery.status());
            insert.setInt(14, delivery.attempts());
            setLong(insert, 15, delivery.nextAttemptMillis());
            setLong(insert, 16, delivery.deliveredMillis());
            insert.setString(17, delivery.lastError());
            return insert.executeUpdate() == 1;
        } catch (final SQLException e) {
            throw failed("insert", e);
        }
    }

    /** The highest percent threshold fired for {@code profile} in the cycle starting at {@code cycleStart}; 0 if none. */
    public synchronized int highestPercent(final String profile, final long cycleStart) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("SELECT MAX(threshold) FROM alert_event " +
            "WHERE profile = ? AND period_start = ? AND kind = ?")) {
            select.setString(1, profile);
            select.setLong(2, cycleStart);
            select.setString(3, Alert.PERCENT);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0; // MAX of no rows is NULL, read as 0
            }
        } catch (final SQLException e) {
            throw failed("read", e);
        }
    }

    public synchronized boolean exists(final String id) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM alert_event WHERE id = ?")) {
            select.setString(1, id);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        } catch (final SQLException e) {
            throw failed("read", e);
        }
    }

    /** True when some alert was fired for {@code profile} (an id no longer configured still lists its alerts). */
    public synchronized boolean hasProfile(final String profile) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM alert_event WHERE profile = ? " +
            "LIMIT 1")) {
            select.setString(1, profile);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next();
            }
        } catch (final SQLException e) {
            throw failed("read", e);
        }
    }

    /** Pending alerts whose next attempt is due at {@code nowMillis}, oldest first. */
    public synchronized List<Alert> due(final long nowMillis, final int limit) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM alert_event " +
            "WHERE status = ? AND next_attempt_ms <= ? ORDER BY fired_at, id LIMIT ?")) {
            select.setString(1, Alert.Delivery.PENDING);
            select.setLong(2, nowMillis);
            select.setInt(3, limit);
            return read(select);
        } catch (final SQLException e) {
            throw failed("read", e);
        }
    }

    /** When the earliest pending alert is due (epoch milliseconds), or null when none is pending. */
    public synchronized Long nextDueMillis() throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("SELECT MIN(next_attempt_ms) FROM alert_event " +
            "WHERE status = ?")) {
            select.setString(1, Alert.Delivery.PENDING);
            try (ResultSet rs = select.executeQuery()) {
                final long next = rs.next() ? rs.getLong(1) : 0;
                return rs.wasNull() ? null : next;
            }
        } catch (final SQLException e) {
            throw failed("read", e);
        }
    }

    /** Records the outcome of attempt number {@code attempts} of alert {@code id}. */
    public synchronized void attempted(final String id, final Alert.Delivery delivery) throws StoreException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE alert_event SET status = ?, " +
            "attempts = ?, next_attempt_ms = ?, delivered_ms = ?, last_error = ? WHERE id = ?")) {
            update.setString(1, delivery.status());
            update.setInt(2, delivery.attempts());
            setLong(update, 3, delivery.nextAttemptMillis());
            setLong(update, 4, delivery.deliveredMillis());
            update.setString(5, delivery.lastError());
            update.setString(6, id);
            update.executeUpdate();
        } catch (final SQLException e) {
            throw failed("update", e);
        }
    }

    /** Alerts of {@code profile} (null = every profile), the most recently fired first; at most {@code limit}. */
    public synchronized List<Alert> list(final String profile, final int limit) throws StoreException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM alert_event " +
            (profile == null ? "" : "WHERE profile = ? ") + "ORDER BY fired_at DESC, period_start DESC, kind, " +
            "threshold DESC LIMIT ?")) {
            int index = 1;
            if (profile != null) {
                select.setString(index++, profile);
            }
            select.setInt(index, limit);
            return read(select);
        } catch (final SQLException e) {
            throw failed("read", e);
        }
    }

    @Override
    public synchronized void close() throws StoreException {
        try {
            connection.close();
        } catch (final SQLException e) {
            throw failed("close", e);
        }
    }

    private static List<Alert> read(final PreparedStatement select) throws SQLException {
        final List<Alert> alerts = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                final Alert.Delivery delivery = new Alert.Delivery(rs.getString(13), rs.getInt(14), getLong(rs, 15),
                    getLong(rs, 16), rs.getString(17));
                alerts.add(new Alert(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                    rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getString(8), rs.getLong(9), getLong(rs, 10),
                    rs.getLong(11), rs.getString(12), delivery));
            }
        }
        return alerts;
    }

    private static Long getLong(final ResultSet rs, final int column) throws SQLException {
        final long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static void setLong(final PreparedStatement statement, final int index, final Long value)
        throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.INTEGER);
        } else {
            statement.setLong(index, value);
        }
    }

    private StoreException failed(final String what, final SQLException e) {
        return new StoreException("alerts : " + what + " failed in " + file + " (" + e.getMessage() + ")", e);
    }
}
