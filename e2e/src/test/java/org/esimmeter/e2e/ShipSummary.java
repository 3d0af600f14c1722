package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's shipping summary (AgentMain.shipSummary), as logged last on a clean stop; a periodic one may precede it,
 * so the last one in the log is the one that counts.
 */
record ShipSummary(String line, long secondsEncoded, long batchesAcknowledged, long secondsAcknowledged,
    long batchesRefused, long batchesDropped, long secondsDropped, long failedAttempts, long bytesQueued) {

    static final Pattern PATTERN = Pattern.compile("collector (\\S+): (\\d+) seconds encoded, " +
        "(\\d+) batches \\((\\d+) seconds\\) acknowledged, (\\d+) refused, (\\d+) dropped \\((\\d+) seconds\\), " +
        "(\\d+) failed attempts, (\\d+) bytes queued");

    /** The last summary in the agent's log; fails when there is none. */
    static ShipSummary last(final String agentLog) {
        final Matcher matcher = PATTERN.matcher(agentLog);
        MatchResult last = null;
        while (matcher.find()) {
            last = matcher.toMatchResult();
        }
        assertNotNull(last, "no shipping summary in the agent's log: " + agentLog);
        return new ShipSummary(last.group(), number(last, 2), number(last, 3), number(last, 4), number(last, 5),
            number(last, 6), number(last, 7), number(last, 8), number(last, 9));
    }

    /**
     * The last summary of an agent that stopped cleanly, checked: each of its {@code jsonLines} seconds was encoded
     * for the collector and acknowledged, none refused or dropped, nothing left queued, no word of unacknowledged
     * batches in the log. Returned for further checks.
     */
    static ShipSummary assertEverySecondAcknowledged(final String agentLog, final int jsonLines) {
        final ShipSummary last = last(agentLog);
        assertEquals(jsonLines, last.secondsEncoded(), "seconds encoded for the collector vs JSON lines written: " +
            last.line());
        assertEquals(last.secondsEncoded(), last.secondsAcknowledged(), "seconds acknowledged: " + last.line());
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
