package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's shipping summary (AgentMain.shipSummary), as logged last on a clean stop; a periodic one may precede it,
 * so the last one in the log is the one that counts.
 */
record ShipSummary(String line, long secondsEncoded, long batchesAcknowledged, long secondsAcknowledged,
    long batchesRefused, long batchesDropped, long secondsDropped, long failedAttempts, long bytesQueued, long merges,
    long secondsMerged, long clockSteps) {

    static final Pattern PATTERN = Pattern.compile("collector (\\S+): (\\d+) seconds encoded, " +
        "(\\d+) batches \\((\\d+) records\\) acknowledged in (\\d+) requests, (\\d+) refused, " +
        "(\\d+) failed attempts, (\\d+) bytes queued \\((\\d+) in memory\\); spool merges (\\d+) " +
        "\\((\\d+) per-second records merged, coarsest queued: (\\w+)\\), (\\d+) dropped \\((\\d+) records\\); " +
        "clock steps (\\d+)");

    /** The last summary in the agent's log; fails when there is none. */
    static ShipSummary last(final String agentLog) {
        final Matcher matcher = PATTERN.matcher(agentLog);
        MatchResult last = null;
        while (matcher.find()) {
            last = matcher.toMatchResult();
        }
        assertNotNull(last, "no shipping summary in the agent's log: " + agentLog);
        return new ShipSummary(last.group(), number(last, 2), number(last, 3), number(last, 4), number(last, 6),
            number(last, 13), number(last, 14), number(last, 7), number(last, 8), number(last, 10), number(last, 11),
            number(last, 15));
    }

    /**
     * The last summary of an agent that stopped cleanly, checked: each of its {@code jsonLines} seconds was encoded
     * for the collector and acknowledged, none refused or dropped, nothing left queued, no word of unacknowledged
     * batches in the log. Returned for further checks.
     */
    static ShipSummary assertEverySecondAcknowledged(final String agentLog, final int jsonLines) {
        final ShipSummary last = assertNothingLost(agentLog, jsonLines);
        assertEquals(last.secondsEncoded(), last.secondsAcknowledged(), "seconds acknowledged: " + last.line());
        assertEquals(0, last.merges(), "spool merges (the cap was not meant to be reached): " + last.line());
        return last;
    }

    /**
     * As {@link #assertEverySecondAcknowledged}, for an agent whose spool reached its cap: the spool merged (at least
     * once, at least one per-second record), so what was acknowledged are records, per-second and merged, rather than
     * every second; still none refused or dropped and nothing left queued. Returned for further checks.
     */
    static ShipSummary assertEverySecondAcknowledgedOrMerged(final String agentLog, final int jsonLines) {
        final ShipSummary last = assertNothingLost(agentLog, jsonLines);
        assertTrue(last.merges() > 0 && last.secondsMerged() > 0, "spool merges: " + last.line());
        assertTrue(last.secondsMerged() <= last.secondsEncoded(), "more seconds merged than encoded: " + last.line());
        return last;
    }

    /** Every JSON line was encoded for the collector; nothing refused, dropped or left queued. */
    private static ShipSummary assertNothingLost(final String agentLog, final int jsonLines) {
        final ShipSummary last = last(agentLog);
        assertEquals(jsonLines, last.secondsEncoded(), "seconds encoded for the collector vs JSON lines written: " +
            last.line());
        assertEquals(0, last.batchesRefused(), "batches refused: " + last.line());
        assertEquals(0, last.batchesDropped(), "batches dropped: " + last.line());
        assertEquals(0, last.secondsDropped(), "seconds dropped: " + last.line());
        assertEquals(0, last.bytesQueued(), "bytes still queued: " + last.line());
        assertFalse(agentLog.contains("not acknowledged"), agentLog);
        return last;
    }

    private static long number(final MatchResult match, final int group) {
        return Long.parseLong(match.group(group));
    }
}
