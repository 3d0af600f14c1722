package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code collector:} section of the agent's YAML, and which JSON-lines output it implies. */
class CollectorConfigTest {
    private static final String INTERFACES = "interfaces:\n  - name: wwan0\n";

    @TempDir
    Path dir;

    private AgentConfig load(final String yaml) throws IOException {
        return YamlConfigLoader.load(Files.writeString(dir.resolve("agent.yaml"), yaml), AgentConfig.class);
    }

    private String refusal(final String yaml) throws IOException {
        final Path file = Files.writeString(dir.resolve("agent.yaml"), yaml);
        final String message = assertThrows(ConfigException.class, () -> YamlConfigLoader.load(file, AgentConfig.class)).getMessage();
        assertTrue(message.startsWith(file + " : "), message);
        return message.substring((file + " : ").length());
    }

    @Test
    void shouldReadTheSectionWithItsDefaults() throws IOException {
        final AgentConfig config = load(INTERFACES + "collector:\n  url: https://meter.example.net:8443/\n" +
            "  agentId: travel-router-1\n  tokenEnv: ESIM_METER_TOKEN\n");
        final AgentConfig.Collector collector = config.collector();
        assertEquals("https://meter.example.net:8443", collector.url());
        assertEquals("travel-router-1", collector.agentId());
        assertNull(collector.token());
        assertEquals(1 << 20, collector.batchMaxBytes());
        assertEquals(32 << 20, collector.spoolMaxBytes());
        assertEquals("abc", collector.resolveToken(Map.of("ESIM_METER_TOKEN", " abc\n")));
        assertEquals("collector.tokenEnv : ESIM_METER_TOKEN is not set in the environment",
            assertThrows(ConfigException.class, () -> collector.resolveToken(Map.of())).getMessage());
    }

    @Test
    void shouldWriteJsonLinesToStdoutByDefaultOnlyWithoutACollector() throws IOException {
        final String collector = "collector:\n  url: http://127.0.0.1:8080\n  agentId: a\n  token: t\n";
        assertEquals("-", load(INTERFACES).output().jsonLines());
        assertTrue(load(INTERFACES).output().enabled());
        assertEquals("none", load(INTERFACES + collector).output().jsonLines());
        assertFalse(load(INTERFACES + collector).output().enabled());
        assertEquals("-", load(INTERFACES + collector + "output:\n  jsonLines: \"-\"\n").output().jsonLines());
        assertEquals("/var/log/x.jsonl",
            load(INTERFACES + collector + "output:\n  jsonLines: /var/log/x.jsonl\n").output().jsonLines());
        assertFalse(load(INTERFACES + "output:\n  jsonLines: none\n").output().enabled());
        assertEquals(1 << 16, load(INTERFACES + collector + "  batchMaxBytes: 65536\n").collector().batchMaxBytes());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "agentId: a\\n  token: t|collector.url : missing (expected: http(s)://host:port of the collector)",
        "url: ftp://h\\n  agentId: a\\n  token: t|collector.url : ftp://h (expected: http(s)://host:port, no query)",
        "url: http://h/?x=1\\n  agentId: a\\n  token: t|collector.url : http://h/?x=1 (expected: http(s)://host:port, no query)",
        "url: http://h\\n  token: t|collector.agentId : missing (expected: this router's name at the collector)",
        "url: http://h\\n  agentId: a|collector : token missing (expected: token, or tokenEnv naming an environment variable that holds it)",
        "url: http://h\\n  agentId: a\\n  token: t\\n  tokenEnv: T|collector : both token and tokenEnv are set (expected: token, or tokenEnv naming an environment variable that holds it)",
        "url: http://h\\n  agentId: a\\n  token: 'a b'|collector.token : contains a character that is not printable ASCII",
        "url: http://h\\n  agentId: a\\n  token: t\\n  batchMaxBytes: 100|collector.batchMaxBytes : 100 (expected: 4096..8388608)",
        "url: http://h\\n  agentId: a\\n  token: t\\n  spoolMaxBytes: 100000|collector.spoolMaxBytes : 100000 (expected: >= collector.batchMaxBytes, 1048576)"
    })
    void shouldRefuseABadSectionNamingTheKey(final String section, final String expected) throws IOException {
        assertEquals(expected, refusal(INTERFACES + "collector:\n  " + section.replace("\\n", "\n") + "\n"));
    }

    @Test
    void shouldRefuseNamesTheWireFormatCannotCarry() throws IOException {
        assertEquals("interfaces[0].profile : 256 UTF-8 bytes (expected: 1..255)",
            refusal("interfaces:\n  - name: wwan0\n    profile: " + "é".repeat(128) + "\n"));
        assertEquals("collector.agentId : 300 UTF-8 bytes (expected: 1..255)", refusal(INTERFACES +
            "collector:\n  url: http://h\n  agentId: " + "a".repeat(300) + "\n  token: t\n"));
    }
}
