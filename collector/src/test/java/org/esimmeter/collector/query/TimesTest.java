package org.esimmeter.collector.query;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every form a from/to parameter may take, with the epoch second worked out by hand. */
class TimesTest {
    @ParameterizedTest
    @CsvSource({
        "1714521600, false, 1714521600",
        "-86400, false, -86400",
        "2024-05-01, false, 1714521600",
        "2024-05-01T00:00:00Z, false, 1714521600",
        "2024-05-01t00:00:00z, false, 1714521600",
        "2024-05-01T02:00:00+02:00, false, 1714521600",
        "2024-04-30T19:00:00-05:00, false, 1714521600",
        "2024-05-01T00:00:00, false, 1714521600",
        "2024-05-01T00:00:00.250Z, false, 1714521600",
        "2024-05-01T00:00:00.250Z, true, 1714521601",
        "2024-05-01T00:00:00Z, true, 1714521600",
    })
    void shouldReadEpochSecondsIsoDatesAndDateTimes(final String text, final boolean roundUp, final long expected)
        throws Exception {
        assertEquals(expected, Times.parse("from", text, roundUp));
    }

    @ParameterizedTest
    @CsvSource({"1714521600, 2024-05-01T00:00:00Z", "0, 1970-01-01T00:00:00Z", "-1, 1969-12-31T23:59:59Z"})
    void shouldPrintIsoUtc(final long epochSecond, final String expected) {
        assertEquals(expected, Times.iso(epochSecond));
    }
}
