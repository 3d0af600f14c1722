package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The readers' copy of the series dictionary (id → agent, interface, profile, network), shared by all reader
 * connections.
 * A few hundred entries for a fleet; reloaded whole, inside the caller's read transaction, whenever that snapshot
 * holds a series id newer than the copy, so filters and group names always match the rows the query reads.
 */
final class SeriesDirectory {
    record Series(String agent, String interfaceName, String profile, String network) {
    }

    private record Snapshot(Map<Long, Series> byId, long maxId) {
    }

    private volatile Snapshot snapshot = new Snapshot(Map.of(), 0);

    /** The directory as of the caller's read transaction on {@code connection}. */
    Map<Long, Series> current(final Connection connection) throws SQLException {
        final long maxId;
        try (Statement statement = connection.createStatement();
            ResultSet rs = statement.executeQuery("SELECT coalesce(max(id), 0) FROM series")) {
            rs.next();
            maxId = rs.getLong(1);
        }
        final Snapshot known = snapshot;
        if (maxId <= known.maxId()) {
            return known.byId();
        }
        final Map<Long, Series> byId = new HashMap<>();
        try (Statement statement = connection.createStatement();
            ResultSet rs = statement.executeQuery(
                "SELECT s.id, a.name, s.interface, s.profile, s.network FROM series s " +
                "JOIN agent a ON a.id = s.agent")) {
            while (rs.next()) {
                byId.put(rs.getLong(1), new Series(rs.getString(2), rs.getString(3), rs.getString(4),
                    rs.getString(5)));
            }
        }
        final Snapshot loaded = new Snapshot(Map.copyOf(byId), maxId);
        synchronized (this) {
            if (snapshot.maxId() < maxId) {
                snapshot = loaded;
            }
        }
        return loaded.byId();
    }

    /** Ids of the series matching every non-null filter, or null when there is no filter at all. */
    static Set<Long> matching(final Map<Long, Series> byId, final String agent, final String interfaceName,
        final String profile, final String network) {
        if (agent == null && interfaceName == null && profile == null && network == null) {
            return null;
        }
        final Set<Long> ids = new HashSet<>();
        byId.forEach((id, series) -> {
            if ((agent == null || agent.equals(series.agent())) &&
                (interfaceName == null || interfaceName.equals(series.interfaceName())) &&
                (profile == null || profile.equals(series.profile())) &&
                (network == null || network.equals(series.network()))) {
                ids.add(id);
            }
        });
        return ids;
    }
}
