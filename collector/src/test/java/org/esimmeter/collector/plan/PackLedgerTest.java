package org.esimmeter.collector.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Stacked packs: the earliest-expiring valid pack pays first; what no valid pack covers is uncovered. */
class PackLedgerTest {
    private static final String T = "2026-06-01T00:00:";

    @Test
    void shouldChargeTheEarliestExpiringValidPackFirst() throws Exception {
        // A: 1000 bytes valid [T+10, T+50); B: 500 bytes valid [T+5, T+30).
        final List<PackConfig> packs = List.of(pack(1000, 10, 50), pack(500, 5, 30));
        // t=6: only B valid -> B 200 left. t=20: both valid, B expires first -> B 0, A 800. t=40: B expired -> A 700.
        final Map<Long, Long> usage = usage(6, 300, 20, 400, 40, 100);

        final PackLedger.Result result = PackLedger.charge(packs, second(45), ranges(usage));

        assertEquals(List.of("active used 300 left 700", "expired used 500 left 0"), lines(result));
        assertEquals(0, result.uncoveredBytes());
    }

    @Test
    void shouldCountBytesNoValidPackCoversAsUncovered() throws Exception {
        final List<PackConfig> packs = List.of(pack(500, 5, 30), pack(1000, 10, 50));
        // t=1: before any pack (not counted at all). t=6: 800, B-alone pays 500, 300 uncovered (A not bought yet).
        // t=52: after every pack expired: 70 uncovered.
        final Map<Long, Long> usage = usage(1, 999, 6, 800, 52, 70);

        final PackLedger.Result result = PackLedger.charge(packs, second(55), ranges(usage));

        assertEquals(List.of("expired used 500 left 0", "expired used 0 left 1000"), lines(result));
        assertEquals(370, result.uncoveredBytes());
    }

    @Test
    void shouldSayWhenAPackIsUsedUpOrNotBoughtYet() throws Exception {
        final List<PackConfig> packs = List.of(pack(100, 0, 50), pack(100, 40, 59));
        final Map<Long, Long> usage = usage(3, 100, 20, 5);

        final PackLedger.Result result = PackLedger.charge(packs, second(20), ranges(usage));

        assertEquals(List.of("used_up used 100 left 0", "not_started used 0 left 100"), lines(result));
        assertEquals(5, result.uncoveredBytes()); // the usage of second 20 itself counts
    }

    private static PackConfig pack(final long bytes, final int fromSecond, final int toSecond) {
        return new PackConfig(bytes, T + two(fromSecond) + "Z", T + two(toSecond) + "Z");
    }

    private static String two(final int second) {
        return second < 10 ? "0" + second : Integer.toString(second);
    }

    private static long second(final int offset) {
        return java.time.Instant.parse(T + "00Z").getEpochSecond() + offset;
    }

    /** Seconds after T with their billable bytes: offset, bytes, offset, bytes... */
    private static Map<Long, Long> usage(final long... offsetsAndBytes) {
        final Map<Long, Long> usage = new TreeMap<>();
        for (int i = 0; i < offsetsAndBytes.length; i += 2) {
            usage.put(second((int) offsetsAndBytes[i]), offsetsAndBytes[i + 1]);
        }
        return usage;
    }

    private static PackLedger.Usage ranges(final Map<Long, Long> usage) {
        return (from, to) -> {
            long sum = 0;
            for (final Map.Entry<Long, Long> entry : usage.entrySet()) {
                if (entry.getKey() >= from && entry.getKey() < to) {
                    sum += entry.getValue();
                }
            }
            return sum;
        };
    }

    private static List<String> lines(final PackLedger.Result result) {
        final List<String> lines = new ArrayList<>();
        for (final PackLedger.PackState state : result.packs()) {
            lines.add(state.state() + " used " + state.usedBytes() + " left " + state.remainingBytes());
        }
        return lines;
    }
}
