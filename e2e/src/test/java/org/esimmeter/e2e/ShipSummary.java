package org.esimmeter.e2e;

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

    private static long number(final MatchResult match, final int group) {
        return Long.parseLong(match.group(group));
    }
}
