package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.esimmeter.wire.Device;

/**
 * The readers' view of the label dictionaries: device ids → {@link Device} and service ids → domain. Service names
 * never change once committed and are cached (bounded by dropping the cache whole); a device's address and hostname
 * follow what newer batches report, so devices are read from the caller's snapshot every time (a few per query).
 */
final class LabelDirectory {
    private static final int MAX_SERVICES = 1 << 18;

    private final Map<Long, String> services = new ConcurrentHashMap<>();

    /** Devices of {@code ids} (0 excluded) as of the caller's read transaction. */
    Map<Long, Device> devices(final Connection connection, final Collection<Long> ids) throws SQLException {
        final Map<Long, Device> devices = new HashMap<>();
        IdSelect.rows(connection, "SELECT id, key, address, hostname FROM device WHERE id IN (", ids, rs ->
            devices.put(rs.getLong(1), new Device(rs.getString(2), rs.getString(3), rs.getString(4))));
        return devices;
    }

    /** Domains of {@code ids} (0 excluded). */
    Map<Long, String> services(final Connection connection, final Collection<Long> ids) throws SQLException {
        final Map<Long, String> resolved = new HashMap<>();
        final List<Long> missing = new ArrayList<>();
        for (final Long id : ids) {
            final String name = services.get(id);
            if (name != null) {
                resolved.put(id, name);
            } else if (id != 0) {
                missing.add(id);
            }
        }
        if (services.size() + missing.size() > MAX_SERVICES) {
            services.clear();
        }
        IdSelect.rows(connection, "SELECT id, name FROM service WHERE id IN (", missing, rs -> {
            services.put(rs.getLong(1), rs.getString(2));
            resolved.put(rs.getLong(1), rs.getString(2));
        });
        return resolved;
    }

    /** Id of the device with {@code key}, or -1. */
    static long deviceId(final Connection connection, final String key) throws SQLException {
        return id(connection, "SELECT id FROM device WHERE key = ?", key);
    }

    /** Id of the service named {@code name}, or -1. */
    static long serviceId(final Connection connection, final String name) throws SQLException {
        return id(connection, "SELECT id FROM service WHERE name = ?", name);
    }

    private static long id(final Connection connection, final String sql, final String value) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, value);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }
}
