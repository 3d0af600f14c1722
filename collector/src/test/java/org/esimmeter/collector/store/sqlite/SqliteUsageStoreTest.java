package org.esimmeter.collector.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.collector.store.UsageStoreContract;
import org.esimmeter.wire.Batch;
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
}
