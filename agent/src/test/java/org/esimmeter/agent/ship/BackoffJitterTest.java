package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Retry waits are spread over [backoff / 2, backoff], so a fleet does not reconnect in lock step. */
class BackoffJitterTest {
    @Test
    void shouldWaitBetweenHalfAndAllOfTheBackoff() {
        assertEquals(250, CollectorSink.jitteredMillis(500, 0.0));
        assertEquals(374, CollectorSink.jitteredMillis(500, 0.499));
        assertEquals(499, CollectorSink.jitteredMillis(500, 0.999_999));
        assertEquals(15_000, CollectorSink.jitteredMillis(30_000, 0.0));
        assertEquals(1, CollectorSink.jitteredMillis(1, 0.0));
    }

    @Test
    void shouldSpreadAFleetOverTheWholeWindow() {
        final SplittableRandom random = new SplittableRandom(7);
        final int[] halves = new int[2];
        for (int router = 0; router < 10_000; router++) {
            final long wait = CollectorSink.jitteredMillis(30_000, random.nextDouble());
            assertTrue(wait >= 15_000 && wait < 30_000, "wait " + wait);
            halves[wait < 22_500 ? 0 : 1]++;
        }
        // Uniform over the window: each half of it takes about half of the fleet.
        assertTrue(Math.abs(halves[0] - halves[1]) < 500, halves[0] + " vs " + halves[1]);
    }
}
