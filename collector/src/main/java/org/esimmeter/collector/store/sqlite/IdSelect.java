package org.esimmeter.collector.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Rows of a dictionary table (flows, devices, services) by id, {@value #IDS_PER_SELECT} ids per statement: SQLite
 * bounds the number of host parameters, and ids are plain longs, so they are inlined rather than bound.
 */
final class IdSelect {
    private static final int IDS_PER_SELECT = 500;

    @FunctionalInterface
    interface RowConsumer {
        void accept(ResultSet rs) throws SQLException;
    }

    private IdSelect() {
    }

    /**
     * Runs {@code prefix + "id1,id2,...)"} for every chunk of {@code ids} (0, "none", excluded) and hands each row to
     * {@code consumer}, inside the caller's transaction.
     */
    static void rows(final Connection connection, final String prefix, final Collection<Long> ids,
        final RowConsumer consumer) throws SQLException {
        final List<Long> list = new ArrayList<>(ids.size());
        for (final Long id : ids) {
            if (id != 0) {
                list.add(id);
            }
        }
        for (int start = 0; start < list.size(); start += IDS_PER_SELECT) {
            final StringBuilder in = new StringBuilder();
            for (int i = start; i < Math.min(list.size(), start + IDS_PER_SELECT); i++) {
                in.append(i == start ? "" : ",").append(list.get(i).longValue());
            }
            try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(prefix + in + ")")) {
                while (rs.next()) {
                    consumer.accept(rs);
                }
            }
        }
    }
}
