package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
