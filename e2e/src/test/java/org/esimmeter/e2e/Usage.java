package org.esimmeter.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.TreeMap;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * Sums as the tests compare them: {packets, wireBytes, ipBytes} arrays keyed by second, bucket or flow, printed one
 * line per key so that a failed comparison shows exactly which key differs.
 */
final class Usage {
    static final String[] METRICS = {"packets", "wireBytes", "ipBytes"};

    private Usage() {
    }

    /** {packets, wireBytes, ipBytes} of a JSON object; a missing ipBytes (non-IP counters) reads as 0. */
    static long[] sums(final JsonNode node) {
        final long[] sums = new long[3];
        for (int metric = 0; metric < 3; metric++) {
            final JsonNode value = node.get(METRICS[metric]);
            sums[metric] = value == null ? 0 : value.asLong();
        }
        return sums;
    }

    /** A direction of the replay report's {@code directions}; the report leaves out an empty "unknown". */
    static long[] direction(final JsonNode report, final String direction) {
        final JsonNode node = report.get("directions").get(direction);
        return node == null ? new long[3] : sums(node);
    }

    static void add(final long[] sums, final long[] more) {
        for (int metric = 0; metric < 3; metric++) {
            sums[metric] += more[metric];
        }
    }

    static long[] total(final Map<?, long[]> map) {
        final long[] sums = new long[3];
        map.values().forEach(values -> add(sums, values));
        return sums;
    }

    /** The replay report's {@code seconds} array by epoch second (summed, should a second appear twice). */
    static SortedMap<Long, long[]> seconds(final JsonNode report) {
        final SortedMap<Long, long[]> seconds = new TreeMap<>();
        report.get("seconds").forEach(second -> add(seconds.computeIfAbsent(second.get("t").asLong(),
            t -> new long[3]), sums(second)));
        return seconds;
    }

    /** The replay report's {@code flows} by 5-tuple. */
    static SortedMap<String, long[]> flows(final JsonNode report) {
        final SortedMap<String, long[]> flows = new TreeMap<>();
        report.get("flows").forEach(flow -> add(flows.computeIfAbsent(flowKey(flow), key -> new long[3]),
            sums(flow)));
        return flows;
    }

    static String flowKey(final JsonNode flow) {
        return TestCapture.flow(flow.get("proto").asInt(), flow.get("src").asText(), flow.get("srcPort").asInt(),
            flow.get("dst").asText(), flow.get("dstPort").asInt());
    }

    /** Seconds summed into UTC-aligned buckets of {@code stepSeconds}. */
    static SortedMap<Long, long[]> buckets(final Map<Long, long[]> seconds, final long stepSeconds) {
        final SortedMap<Long, long[]> buckets = new TreeMap<>();
        seconds.forEach((t, sums) -> add(buckets.computeIfAbsent(Math.floorDiv(t, stepSeconds) * stepSeconds,
            b -> new long[3]), sums));
        return buckets;
    }

    /**
     * Half-open, bucket-aligned ranges {from, to} that together hold every one of {@code seconds}, each at most
     * {@code maxBuckets} buckets long: the query API refuses a series of more than 100,000 points, and some captures
     * span decades. Disjoint, so sums over them add up to the whole.
     */
    static List<long[]> windows(final NavigableSet<Long> seconds, final long stepSeconds, final long maxBuckets) {
        final List<long[]> windows = new ArrayList<>();
        long from = 0;
        long to = 0;
        boolean open = false;
        for (final long second : seconds) {
            final long bucket = Math.floorDiv(second, stepSeconds) * stepSeconds;
            if (open && bucket + stepSeconds - from > maxBuckets * stepSeconds) {
                windows.add(new long[] {from, to});
                open = false;
            }
            if (!open) {
                from = bucket;
                open = true;
            }
            to = bucket + stepSeconds;
        }
        if (open) {
            windows.add(new long[] {from, to});
        }
        return windows;
    }

    /**
     * The agent's JSON lines ({@code run}'s output) by "interface profile second": {up, down, unknown} x {packets,
     * wireBytes, ipBytes}. A second sealed twice (a late packet) is two lines; the store adds them up, and so does
     * this. Seconds without a packet (lines of zeros) are left out: whether they have a row is not the question.
     */
    static SortedMap<String, long[]> linesByInterfaceSecond(final List<JsonNode> lines) {
        final SortedMap<String, long[]> seconds = new TreeMap<>();
        for (final JsonNode line : lines) {
            final long[] sums = seconds.computeIfAbsent(line.path("interface").asText() + " " +
                line.path("profile").asText() + " " + line.path("t").asLong(), key -> new long[9]);
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                final JsonNode counters = line.path("total").path(Direction.name(direction));
                for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                    sums[direction * 3 + metric] += counters.path(METRICS[metric]).asLong();
                }
            }
        }
        seconds.values().removeIf(Usage::allZero);
        return seconds;
    }

    /** The store's 1 s series by interface (one point per key), keyed as {@link #linesByInterfaceSecond}. */
    static SortedMap<String, long[]> storedByInterfaceSecond(final List<UsagePoint> points) {
        final SortedMap<String, long[]> seconds = new TreeMap<>();
        for (final UsagePoint point : points) {
            final long[] sums = new long[9];
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                    sums[direction * 3 + metric] = point.usage().get(direction, metric);
                }
            }
            final String key = point.group().interfaceName() + " " + point.group().profile() + " " +
                point.bucketStart();
            if (seconds.put(key, sums) != null) {
                throw new AssertionError("the store's series has two points for " + key);
            }
        }
        seconds.values().removeIf(Usage::allZero);
        return seconds;
    }

    /**
     * Sums keyed "interface profile second" (as {@link #linesByInterfaceSecond}) added up into UTC-aligned buckets of
     * {@code stepSeconds}, keyed "interface profile bucketStart".
     */
    static SortedMap<String, long[]> byInterfaceBucket(final Map<String, long[]> byInterfaceSecond,
        final long stepSeconds) {
        final SortedMap<String, long[]> buckets = new TreeMap<>();
        byInterfaceSecond.forEach((key, sums) -> {
            final int space = key.lastIndexOf(' ');
            final long bucket = Math.floorDiv(Long.parseLong(key.substring(space + 1)), stepSeconds) * stepSeconds;
            final long[] into = buckets.computeIfAbsent(key.substring(0, space + 1) + bucket,
                b -> new long[sums.length]);
            for (int i = 0; i < sums.length; i++) {
                into[i] += sums[i];
            }
        });
        return buckets;
    }

    private static boolean allZero(final long[] sums) {
        return Arrays.stream(sums).allMatch(value -> value == 0);
    }

    static String text(final Map<?, long[]> sums) {
        final StringBuilder text = new StringBuilder();
        sums.forEach((key, values) -> text.append(key).append(" = ").append(Arrays.toString(values)).append('\n'));
        return text.toString();
    }
}
