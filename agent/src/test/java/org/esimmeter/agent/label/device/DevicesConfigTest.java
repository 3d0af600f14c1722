package org.esimmeter.agent.label.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevicesConfigTest {
    @TempDir
    Path directory;

    private AgentConfig load(final String yaml) throws Exception {
        return YamlConfigLoader.load(Files.writeString(directory.resolve("agent.yaml"), yaml), AgentConfig.class);
    }

    @Test
    void shouldReadTheKernelTablesEverySecondByDefault() throws Exception {
        final AgentConfig config = load("interfaces: [{name: wwan0}, {name: br-lan, role: lan}]\n");
        assertEquals(new AgentConfig.Devices(true, "/proc/net/nf_conntrack", "/proc/net/arp",
            List.of("ip", "-6", "neigh", "show"), "", 1000, 1024, 65_536), config.devices());
        assertEquals(List.of(false, true), config.interfaces().stream().map(AgentConfig.Interface::lan).toList());
    }

    @Test
    void shouldRefuseWhatItCannotUse() {
        assertEquals("interfaces[0].role : wan (expected: uplink or lan)", assertThrows(ConfigException.class,
            () -> load("interfaces: [{name: wwan0, role: wan}]\n")).getMessage().replaceFirst("^.* : (interfaces)",
            "$1"));
        assertEquals("devices.refreshMillis : 10 (expected: 100..60000)", assertThrows(ConfigException.class,
            () -> load("interfaces: [{name: wwan0}]\ndevices: {refreshMillis: 10}\n")).getMessage()
            .replaceFirst("^.* : (devices)", "$1"));
    }
}
