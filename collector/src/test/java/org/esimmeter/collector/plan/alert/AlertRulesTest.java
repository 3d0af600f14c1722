package org.esimmeter.collector.plan.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.esimmeter.collector.plan.Cycle;
import org.junit.jupiter.api.Test;

class AlertRulesTest {
    private static final List<Integer> DEFAULTS = List.of(50, 80, 95, 100);

    @Test
    void shouldReachAThresholdAtExactlyItsShareOfTheCap() {
        assertFalse(AlertRules.reached(3_999_999_999L, 5_000_000_000L, 80));
        assertTrue(AlertRules.reached(4_000_000_000L, 5_000_000_000L, 80));
        // 1/3 of 3 bytes is 33.3 %: 1 byte reaches 33 %, not 34 %.
        assertTrue(AlertRules.reached(1, 3, 33));
        assertFalse(AlertRules.reached(1, 3, 34));
        // No overflow where used x 100 exceeds a long.
        assertTrue(AlertRules.reached(Long.MAX_VALUE, Long.MAX_VALUE, 100));
        assertFalse(AlertRules.reached(Long.MAX_VALUE - 1, Long.MAX_VALUE, 100));
    }

    @Test
    void shouldFireNothingBelowTheLowestThreshold() {
        assertEquals(0, AlertRules.percentToFire(DEFAULTS, 2_499, 5_000, 0));
    }

    @Test
    void shouldFireEachThresholdOnceAsUsageGrows() {
        assertEquals(50, AlertRules.percentToFire(DEFAULTS, 2_500, 5_000, 0));
        assertEquals(0, AlertRules.percentToFire(DEFAULTS, 3_999, 5_000, 50));
        assertEquals(80, AlertRules.percentToFire(DEFAULTS, 4_000, 5_000, 50));
        assertEquals(0, AlertRules.percentToFire(DEFAULTS, 4_000, 5_000, 80));
        assertEquals(100, AlertRules.percentToFire(DEFAULTS, 5_000, 5_000, 95));
        assertEquals(0, AlertRules.percentToFire(DEFAULTS, 9_000, 5_000, 100));
    }

    @Test
    void shouldFireOnlyTheHighestWhenSeveralAreCrossedAtOnce() {
        assertEquals(95, AlertRules.percentToFire(DEFAULTS, 4_800, 5_000, 0));
        assertEquals(95, AlertRules.percentToFire(DEFAULTS, 4_800, 5_000, 50));
    }

    @Test
    void shouldFireNothingWithoutThresholds() {
        assertEquals(0, AlertRules.percentToFire(List.of(), 5_000, 5_000, 0));
    }

    @Test
    void shouldSortTheThresholdsOfLimits() {
        assertEquals(List.of(10, 90, 150), new AlertRules.Limits(List.of(90, 150, 10), null).percents());
    }

    @Test
    void shouldSpanTwentyFourHoursOnAnOrdinaryLocalDay() {
        final Cycle day = AlertRules.localDay(at("2026-03-20T23:30:00Z"), ZoneId.of("Europe/Berlin"));

        assertEquals(new Cycle(at("2026-03-20T23:00:00Z"), at("2026-03-21T23:00:00Z")), day);
    }

    @Test
    void shouldSpanTwentyThreeHoursOnTheSpringForwardDay() {
        // 2026-03-29 in Berlin: 02:00 CET becomes 03:00 CEST.
        final Cycle day = AlertRules.localDay(at("2026-03-29T21:59:59Z"), ZoneId.of("Europe/Berlin"));

        assertEquals(new Cycle(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")), day);
        assertEquals(23 * 3_600, day.endSecond() - day.startSecond());
    }

    @Test
    void shouldSpanTwentyFiveHoursOnTheFallBackDay() {
        // 2026-10-25 in Berlin: 03:00 CEST becomes 02:00 CET.
        final Cycle day = AlertRules.localDay(at("2026-10-25T12:00:00Z"), ZoneId.of("Europe/Berlin"));

        assertEquals(new Cycle(at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z")), day);
        assertEquals(25 * 3_600, day.endSecond() - day.startSecond());
    }

    @Test
    void shouldStartADayWhoseMidnightIsSkippedAtItsFirstLocalSecond() {
        // 2018-11-04 in Sao Paulo: 00:00 -03:00 became 01:00 -02:00, so the day started at 01:00.
        final Cycle day = AlertRules.localDay(at("2018-11-04T15:00:00Z"), ZoneId.of("America/Sao_Paulo"));

        assertEquals(new Cycle(at("2018-11-04T03:00:00Z"), at("2018-11-05T02:00:00Z")), day);
    }

    private static long at(final String instant) {
        return Instant.parse(instant).getEpochSecond();
    }
}
