package org.esimmeter.collector.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without a dataDirectory key the database goes where systemd's StateDirectory= put the service's state. */
class DataDirectoryDefaultTest {
    @Test
    void shouldUseStateDirectoryWhenSystemdSetsIt() {
        assertEquals("/var/lib/esim-meter", CollectorConfig.defaultDataDirectory(
            Map.of("STATE_DIRECTORY", "/var/lib/esim-meter")));
        // Several StateDirectory= entries arrive colon-separated, in the unit's order: the first is the database's.
        assertEquals("/var/lib/esim-meter", CollectorConfig.defaultDataDirectory(
            Map.of("STATE_DIRECTORY", "/var/lib/esim-meter:/var/lib/esim-meter-extra")));
    }

    @Test
    void shouldUseDataUnderTheWorkingDirectoryOtherwise() {
        assertEquals("./data", CollectorConfig.defaultDataDirectory(Map.of()));
        assertEquals("./data", CollectorConfig.defaultDataDirectory(Map.of("STATE_DIRECTORY", " ")));
    }
}
