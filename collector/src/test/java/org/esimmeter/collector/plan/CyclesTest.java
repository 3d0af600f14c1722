package org.esimmeter.collector.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cycle edges in the plan's zone; every expected instant is written out by hand (UTC), with its local time. */
class CyclesTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final ZoneId SYDNEY = ZoneId.of("Australia/Sydney");
    private static final ZoneId UTC = ZoneId.of("UTC");
    private static final LocalTime MIDNIGHT = LocalTime.MIDNIGHT;
    private static final long HOUR = 3_600;

    @Test
    void shouldBeAnHourShortWhenBerlinSpringsForwardInTheCycle() {
        // 2026-03-29 02:00 CET -> 03:00 CEST. Reset 1st 00:00: 2026-03-01T00:00+01:00 .. 2026-04-01T00:00+02:00.
        final Cycle cycle = Cycles.monthly(1, MIDNIGHT, BERLIN, at("2026-03-29T12:00:00Z"));

        assertEquals(at("2026-02-28T23:00:00Z"), cycle.startSecond());
        assertEquals(at("2026-03-31T22:00:00Z"), cycle.endSecond());
        assertEquals(31 * 24 * HOUR - HOUR, cycle.endSecond() - cycle.startSecond());
    }

    @Test
    void shouldBeAnHourLongWhenBerlinFallsBackInTheCycle() {
        // 2026-10-25 03:00 CEST -> 02:00 CET. 2026-10-01T00:00+02:00 .. 2026-11-01T00:00+01:00.
        final Cycle cycle = Cycles.monthly(1, MIDNIGHT, BERLIN, at("2026-10-25T01:30:00Z"));

        assertEquals(at("2026-09-30T22:00:00Z"), cycle.startSecond());
        assertEquals(at("2026-10-31T23:00:00Z"), cycle.endSecond());
        assertEquals(31 * 24 * HOUR + HOUR, cycle.endSecond() - cycle.startSecond());
    }

    @Test
    void shouldMoveAResetInsideTheSpringGapForwardByTheGap() {
        // 2026-03-29 02:30 does not exist in Berlin: the reset is 03:30 CEST = 01:30Z.
        final Cycle cycle = Cycles.monthly(29, LocalTime.of(2, 30), BERLIN, at("2026-04-01T00:00:00Z"));

        assertEquals(at("2026-03-29T01:30:00Z"), cycle.startSecond());
        assertEquals(at("2026-04-29T00:30:00Z"), cycle.endSecond()); // 02:30 CEST
    }

    @Test
    void shouldTakeTheEarlierOfTwoAutumnResetTimes() {
        // 2026-10-25 02:30 happens twice in Berlin: first at +02:00 (00:30Z), again at +01:00 (01:30Z).
        final Cycle cycle = Cycles.monthly(25, LocalTime.of(2, 30), BERLIN, at("2026-10-25T00:30:00Z"));

        assertEquals(at("2026-10-25T00:30:00Z"), cycle.startSecond());
        assertEquals(at("2026-11-25T01:30:00Z"), cycle.endSecond()); // 02:30 CET
    }

    @Test
    void shouldFollowSydneyWhereDaylightSavingEndsInApril() {
        // 2026-04-05 03:00 AEDT (+11) -> 02:00 AEST (+10); the 5th 00:00 is still +11.
        final Cycle april = Cycles.monthly(5, MIDNIGHT, SYDNEY, at("2026-04-10T00:00:00Z"));
        assertEquals(at("2026-04-04T13:00:00Z"), april.startSecond());
        assertEquals(at("2026-05-04T14:00:00Z"), april.endSecond());
        assertEquals(30 * 24 * HOUR + HOUR, april.endSecond() - april.startSecond());

        // 2026-10-04 02:00 AEST -> 03:00 AEDT: 2026-09-05T00:00+10:00 .. 2026-10-05T00:00+11:00.
        final Cycle october = Cycles.monthly(5, MIDNIGHT, SYDNEY, at("2026-10-04T10:00:00Z")); // 21:00 AEDT on the 4th
        assertEquals(at("2026-09-04T14:00:00Z"), october.startSecond());
        assertEquals(at("2026-10-04T13:00:00Z"), october.endSecond());
        assertEquals(30 * 24 * HOUR - HOUR, october.endSecond() - october.startSecond());
    }

    @ParameterizedTest(name = "resetDay {0} at {1}: [{2}, {3})")
    @CsvSource({
        // Reset day 31 across February: the 28th in 2026, the 29th in 2028 (leap).
        "31, 2026-02-15T00:00:00Z, 2026-01-31T00:00:00Z, 2026-02-28T00:00:00Z",
        "31, 2026-02-27T23:59:59Z, 2026-01-31T00:00:00Z, 2026-02-28T00:00:00Z",
        "31, 2026-02-28T00:00:00Z, 2026-02-28T00:00:00Z, 2026-03-31T00:00:00Z",
        "31, 2026-03-30T12:00:00Z, 2026-02-28T00:00:00Z, 2026-03-31T00:00:00Z",
        "31, 2028-02-15T00:00:00Z, 2028-01-31T00:00:00Z, 2028-02-29T00:00:00Z",
        "31, 2028-02-29T12:00:00Z, 2028-02-29T00:00:00Z, 2028-03-31T00:00:00Z",
        "30, 2028-02-29T00:00:00Z, 2028-02-29T00:00:00Z, 2028-03-30T00:00:00Z",
        "29, 2027-02-28T00:00:00Z, 2027-02-28T00:00:00Z, 2027-03-29T00:00:00Z",
        // 31 and 30 in April (30 days): both the 30th.
        "31, 2026-04-15T00:00:00Z, 2026-03-31T00:00:00Z, 2026-04-30T00:00:00Z",
        "30, 2026-04-29T23:59:59Z, 2026-03-30T00:00:00Z, 2026-04-30T00:00:00Z",
        "30, 2026-04-30T00:00:00Z, 2026-04-30T00:00:00Z, 2026-05-30T00:00:00Z",
        "31, 2026-04-30T00:00:00Z, 2026-04-30T00:00:00Z, 2026-05-31T00:00:00Z",
        // Across the year's end.
        "1, 2026-12-31T23:59:59Z, 2026-12-01T00:00:00Z, 2027-01-01T00:00:00Z",
        "15, 2027-01-03T00:00:00Z, 2026-12-15T00:00:00Z, 2027-01-15T00:00:00Z",
    })
    void shouldUseTheMonthsLastDayForAResetDayBeyondIt(final int resetDay, final String now, final String start,
        final String end) {
        final Cycle cycle = Cycles.monthly(resetDay, MIDNIGHT, UTC, at(now));

        assertEquals(at(start), cycle.startSecond());
        assertEquals(at(end), cycle.endSecond());
    }

    @Test
    void shouldResetAtTheLocalTimeOfDay() {
        // Reset 1st 06:30 Berlin (CEST in June, +02:00): 04:30Z. Just before it, the May cycle still runs.
        final Cycle may = Cycles.monthly(1, LocalTime.of(6, 30), BERLIN, at("2026-06-01T04:29:59Z"));
        assertEquals(at("2026-05-01T04:30:00Z"), may.startSecond());
        assertEquals(at("2026-06-01T04:30:00Z"), may.endSecond());
        final Cycle june = Cycles.monthly(1, LocalTime.of(6, 30), BERLIN, at("2026-06-01T04:30:00Z"));
        assertEquals(at("2026-06-01T04:30:00Z"), june.startSecond());
    }

    @Test
    void shouldEndAPassAtTheSameLocalTimeAfterItsDaysAcrossDst() {
        // Activated 2026-03-27 11:00 CET (10:00Z); 7 days later is 2026-04-03 11:00 CEST (09:00Z): 167 hours.
        final Cycle pass = Cycles.pass(at("2026-03-27T10:00:00Z"), 7, BERLIN);

        assertEquals(at("2026-03-27T10:00:00Z"), pass.startSecond());
        assertEquals(at("2026-04-03T09:00:00Z"), pass.endSecond());
        assertEquals(7 * 24 * HOUR - HOUR, pass.endSecond() - pass.startSecond());
    }

    @Test
    void shouldEndAThirtyDayPassInUtcAfterExactlyThirtyDays() {
        final Cycle pass = Cycles.pass(at("2028-02-10T17:45:12Z"), 30, UTC);

        assertEquals(at("2028-03-11T17:45:12Z"), pass.endSecond()); // 2028 February has 29 days
    }

    private static long at(final String instant) {
        return Instant.parse(instant).getEpochSecond();
    }
}
