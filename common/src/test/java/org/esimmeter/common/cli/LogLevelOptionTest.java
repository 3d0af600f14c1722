package org.esimmeter.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.esimmeter.common.logging.LogLevel;
import org.junit.jupiter.api.Test;

/** Which level wins: the command line, then ESIM_METER_LOG_LEVEL, then the file, then info. */
class LogLevelOptionTest {
    @Test
    void shouldPreferTheOptionThenTheEnvironmentThenTheFile() throws UsageException {
        assertEquals(LogLevel.DEBUG, LogLevelOption.resolve("debug", "warn", LogLevel.ERROR));
        assertEquals(LogLevel.WARN, LogLevelOption.resolve(null, "WARN", LogLevel.ERROR));
        assertEquals(LogLevel.ERROR, LogLevelOption.resolve(null, null, LogLevel.ERROR));
        assertEquals(LogLevel.ERROR, LogLevelOption.resolve(null, " ", LogLevel.ERROR));
        assertEquals(LogLevel.INFO, LogLevelOption.resolve(null, null, null));
        assertEquals(LogLevel.WARN, LogLevelOption.resolve("warning", null, null));
    }

    @Test
    void shouldNameTheSourceOfABadLevel() {
        assertEquals("--log-level : loud (expected: error, warn, info, debug or trace)",
            assertThrows(UsageException.class, () -> LogLevelOption.resolve("loud", null, null)).getMessage());
        assertEquals("ESIM_METER_LOG_LEVEL : verbose (expected: error, warn, info, debug or trace)",
            assertThrows(UsageException.class, () -> LogLevelOption.resolve(null, "verbose", null)).getMessage());
    }
}
