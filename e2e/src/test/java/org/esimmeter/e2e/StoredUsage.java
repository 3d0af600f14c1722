package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupKey;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.collector.store.sqlite.SqliteUsageStore;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;
import org.sqlite.SQLiteConfig;

/**
 * What a live test's collector stored, read back through the store API after the collector stopped, and the two
 * comparisons the live tests make with it: against the kernel's interface counters and against the agent's own
 * per-second JSON lines.
 */
record StoredUsage(List<GroupUsage> totals, List<UsagePoint> seconds) {

    /** Totals by interface and the 1 s series by interface over {@code [fromSecond, toSecond)}. */
    static StoredUsage read(final Path dataDirectory, final long fromSecond, final long toSecond) throws Exception {
        try (SqliteUsageStore store = SqliteUsageStore.open(dataDirectory, new RetentionPolicy(Map.of()))) {
            return new StoredUsage(
                store.totals(new UsageQuery(fromSecond, toSecond, Resolution.SECOND, GroupBy.INTERFACE,
                    null, null, null)),
                store.usage(new UsageQuery(fromSecond, toSecond, Resolution.SECOND, GroupBy.INTERFACE,
                    null, null, null)));
        }
    }

    /** The agent's JSON lines file, one parsed object per line. */
    static List<JsonNode> jsonLines(final Path file) throws IOException {
        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : Files.readAllLines(file)) {
            lines.add(Api.JSON.readTree(line));
        }
        return lines;
    }

    /**
     * The sequence numbers of the batches the collector stored for {@code agent}, ascending: its dedup log, read
     * over SQL since the store API does not list it. Safe while the collector runs (WAL: a reader never blocks it).
     */
    static List<Long> sequences(final Path dataDirectory, final String agent) throws SQLException {
        final SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(10_000);
        try (Connection connection = config.createConnection("jdbc:sqlite:" +
                dataDirectory.resolve(SqliteUsageStore.FILE_NAME));
             PreparedStatement select = connection.prepareStatement("SELECT b.sequence FROM batch_log b " +
                 "JOIN agent a ON a.id = b.agent WHERE a.name = ? ORDER BY b.sequence")) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA query_only = true");
            }
            select.setString(1, agent);
            final List<Long> sequences = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    sequences.add(rows.getLong(1));
                }
            }
            return sequences;
        }
    }

    /** libpcap dropped nothing: every line of each uplink (there is at least one) says 0. */
    static void assertNoPcapDrops(final List<JsonNode> lines) {
        for (final String iface : LiveUplinks.INTERFACES) {
            final List<JsonNode> ofInterface = lines.stream()
                .filter(line -> iface.equals(line.path("interface").asText())).toList();
            assertFalse(ofInterface.isEmpty(), iface + " : no per-second line");
            for (final JsonNode line : ofInterface) {
                assertEquals(0, line.path("pcap").path("dropped").asLong(-1), iface + " : libpcap drops: " + line);
            }
        }
    }

    /**
     * The {@link #sequences} once they have not changed for {@code stableFor}: a collector still committing a batch
     * whose sender died has finished with it.
     */
    static List<Long> awaitSequencesSettled(final Path dataDirectory, final String agent, final Duration stableFor,
        final Duration timeout) throws SQLException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        List<Long> last = sequences(dataDirectory, agent);
        long stableSinceNs = System.nanoTime();
        while (System.nanoTime() - stableSinceNs < stableFor.toNanos()) {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the collector's batch log for " + agent + " kept " +
                "changing for " + timeout + ": " + last);
            try {
                Thread.sleep(20); // the poll interval
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            final List<Long> now = sequences(dataDirectory, agent);
            if (!now.equals(last)) {
                last = now;
                stableSinceNs = System.nanoTime();
            }
        }
        return last;
    }

    /**
     * The lines' sums by interface as the kernel counts them: down as rx and up as tx, packets and wire bytes.
     * Fails on a line with traffic of unknown direction (the live uplinks have none).
     */
    static Map<String, Counters> linesAsKernel(final List<JsonNode> lines) {
        final Map<String, Counters> byInterface = new TreeMap<>();
        Usage.linesByInterfaceSecond(lines).forEach((key, sums) -> {
            assertEquals(0, sums[Direction.UNKNOWN * 3 + TrafficCounters.PACKETS], key + " : unknown direction");
            final int down = Direction.DOWN * 3;
            final int up = Direction.UP * 3;
            final Counters counters = new Counters(sums[down + TrafficCounters.PACKETS],
                sums[down + TrafficCounters.WIRE_BYTES], sums[up + TrafficCounters.PACKETS],
                sums[up + TrafficCounters.WIRE_BYTES]);
            byInterface.merge(key.substring(0, key.indexOf(' ')), counters, (a, b) -> new Counters(
                a.rxPackets() + b.rxPackets(), a.rxBytes() + b.rxBytes(), a.txPackets() + b.txPackets(),
                a.txBytes() + b.txBytes()));
        });
        return byInterface;
    }

    /**
     * Exactly the live test's two interfaces are stored, and on each the stored download equals the kernel's rx and
     * the upload its tx (packets and wire bytes), with nothing of unknown direction and at least
     * {@code minPacketsEachWay} packets each way.
     */
    void assertInterfacesEqualKernel(final String agent, final Map<String, String> profiles,
        final Map<String, Counters> kernel, final long minPacketsEachWay, final String tooLittleTraffic) {
        final Map<GroupKey, TrafficCounters> byInterface = new TreeMap<>();
        totals.forEach(group -> byInterface.put(group.group(), group.usage()));
        assertEquals(List.of(GroupKey.ofInterface(agent, "up0", profiles.get("up0")),
            GroupKey.ofInterface(agent, "wwan0", profiles.get("wwan0"))), List.copyOf(byInterface.keySet()),
            "interfaces stored");
        for (final String iface : LiveUplinks.INTERFACES) {
            final TrafficCounters stored = byInterface.get(GroupKey.ofInterface(agent, iface, profiles.get(iface)));
            final Counters expected = kernel.get(iface);
            assertEquals(expected, new Counters(
                    stored.get(Direction.DOWN, TrafficCounters.PACKETS),
                    stored.get(Direction.DOWN, TrafficCounters.WIRE_BYTES),
                    stored.get(Direction.UP, TrafficCounters.PACKETS),
                    stored.get(Direction.UP, TrafficCounters.WIRE_BYTES)),
                iface + " : stored (down as rx, up as tx) vs kernel counters");
            assertEquals(0, stored.get(Direction.UNKNOWN, TrafficCounters.PACKETS), iface + " : unknown direction");
            assertTrue(expected.txPackets() >= minPacketsEachWay && expected.rxPackets() >= minPacketsEachWay,
                iface + " : " + tooLittleTraffic + ": " + expected);
        }
    }

    /**
     * Every interface-second of the agent's JSON lines is stored once with the same {up, down, unknown} x
     * {packets, wireBytes, ipBytes}, and nothing else is stored; at least {@code minSeconds} seconds had traffic.
     */
    void assertSecondsEqualJsonLines(final String agent, final List<JsonNode> agentLines, final int minSeconds) {
        seconds.forEach(point -> assertEquals(agent, point.group().agent(), point::toString));
        final SortedMap<String, long[]> expected = Usage.linesByInterfaceSecond(agentLines);
        assertTrue(expected.size() >= minSeconds, "seconds with traffic in the JSON lines: " + expected.size());
        assertEquals(Usage.text(expected), Usage.text(Usage.storedByInterfaceSecond(seconds)),
            "per interface-second {up, down, unknown} x {packets, wireBytes, ipBytes}: store vs JSON lines");
    }
}
