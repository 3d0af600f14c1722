package org.esimmeter.agent.label.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServicesConfigTest {
    @TempDir
    Path directory;

    private AgentConfig load(final String services) throws IOException {
        final Path file = Files.writeString(directory.resolve("agent.yaml"),
            "interfaces:\n  - name: wwan0\n  - name: wwan1\n" + services);
        return YamlConfigLoader.load(file, AgentConfig.class);
    }

    private void assertRefused(final String services, final String message) {
        final ConfigException e = assertThrows(ConfigException.class, () -> load(services));
        assertEquals(directory.resolve("agent.yaml") + " : " + message, e.getMessage());
    }

    @Test
    void shouldDefaultToOnWithAnMtuSnaplenOnTheMeteredInterfaces() throws IOException {
        final AgentConfig config = load("");
        assertEquals(true, config.services().enabled());
        assertEquals(1500, config.services().snaplen());
        assertEquals(8192, config.services().cacheEntries());
        assertEquals(3600, config.services().maxTtlSeconds());
        assertEquals(List.of("wwan0", "wwan1"), config.serviceInterfaces());
    }

    @Test
    void shouldWatchNoInterfaceWhenSwitchedOff() throws IOException {
        final AgentConfig config = load("services:\n  enabled: false\n  interfaces: [br-lan]\n");
        assertEquals(List.of(), config.serviceInterfaces());
    }

    @Test
    void shouldAddLanInterfacesOnceAfterTheMeteredOnes() throws IOException {
        final AgentConfig config = load("services:\n  snaplen: 4096\n  cacheEntries: 256\n  maxTtlSeconds: 60\n" +
            "  interfaces: [br-lan, wwan1, ' br-lan ']\n");
        assertEquals(List.of("wwan0", "wwan1", "br-lan"), config.serviceInterfaces());
        assertEquals(4096, config.services().snaplen());
    }

    @Test
    void shouldRefuseEachBadKeyInOneLine() {
        // The loader's message names the file, the key and the reason (the path it reports for a nested key).
        assertRefused("services:\n  snaplen: 4097\n", "services.snaplen : 4097 (expected: 256..4096)");
        assertRefused("services:\n  snaplen: 128\n", "services.snaplen : 128 (expected: 256..4096)");
        assertRefused("services:\n  cacheEntries: 10\n", "services.cacheEntries : 10 (expected: 256..1048576)");
        assertRefused("services:\n  maxTtlSeconds: 5\n", "services.maxTtlSeconds : 5 (expected: 60..86400)");
        assertRefused("services:\n  interfaces: ['']\n", "services.interfaces : an empty name (expected: " +
            "interface names as `esim-meter-agent interfaces` lists them)");
    }
}
