package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The readers' cache of the flow dictionary (id → 5-tuple, direction and label ids). Flow ids are immutable once
 * committed, so entries never go stale; the cache is only bounded, by dropping it whole when it grows past
 * {@link #MAX_ENTRIES}.
 */
final class FlowDirectory {
    private static final int MAX_ENTRIES = 1 << 21;

    private final Map<Long, FlowKey> byId = new ConcurrentHashMap<>();

    /** The keys of {@code ids}, loading missing ones inside the caller's read transaction. */
    Map<Long, FlowKey> resolve(final Connection connection, final Collection<Long> ids) throws SQLException {
        final Map<Long, FlowKey> resolved = new HashMap<>(ids.size() * 2);
        final List<Long> missing = new ArrayList<>();
        for (final Long id : ids) {
            final FlowKey key = byId.get(id);
            if (key == null) {
                missing.add(id);
            } else {
                resolved.put(id, key);
            }
        }
        if (byId.size() + missing.size() > MAX_ENTRIES) {
            byId.clear();
        }
        IdSelect.rows(connection, "SELECT id, direction, ip_version, protocol, src_hi, src_lo, src_port, dst_hi, " +
            "dst_lo, dst_port, device, service, approximate FROM flow WHERE id IN (", missing, rs -> {
                final FlowKey key = new FlowKey(rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getLong(5),
                    rs.getLong(6), rs.getInt(7), rs.getLong(8), rs.getLong(9), rs.getInt(10), rs.getLong(11),
                    rs.getLong(12), rs.getInt(13) != 0);
                byId.put(rs.getLong(1), key);
                resolved.put(rs.getLong(1), key);
            });
        if (resolved.size() != ids.size()) {
            throw new SQLException("flow dictionary : " + (ids.size() - resolved.size()) + " ids missing");
        }
        return resolved;
    }
}
