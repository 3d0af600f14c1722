package org.esimmeter.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.corpus.AgentRun;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code metrics:} section: defaults, the listen addresses it takes, and the one line a bad one gets. */
class MetricsConfigTest {
    private static final String EXPECTED =
        " (expected: HOST:PORT with PORT 0..65535, e.g. 127.0.0.1:9471 or [::1]:9471)";

    @TempDir
    Path directory;

    private AgentConfig load(final String yaml) throws IOException {
        return YamlConfigLoader.load(Files.writeString(directory.resolve("agent.yaml"), yaml), AgentConfig.class);
    }

    @Test
    void shouldServeOnLoopbackPort9471ByDefault() throws IOException {
        final AgentConfig config = load("interfaces:\n  - name: wwan0\n");
        assertTrue(config.metrics().enabled());
        assertEquals("127.0.0.1:9471", config.metrics().listen());
        assertEquals(InetSocketAddress.createUnresolved("127.0.0.1", 9471), config.metrics().address());
    }

    @Test
    void shouldTakeHostAndPortInTheUsualForms() throws IOException {
        assertEquals(InetSocketAddress.createUnresolved("::1", 9100),
            new AgentConfig.Metrics(null, "[::1]:9100").address());
        assertEquals(InetSocketAddress.createUnresolved("0.0.0.0", 0),
            new AgentConfig.Metrics(null, "0.0.0.0:0").address());
        assertEquals(InetSocketAddress.createUnresolved("localhost", 65_535),
            new AgentConfig.Metrics(null, " localhost:65535 ").address());
        assertEquals(InetSocketAddress.createUnresolved("fe80::1%eth0", 9471),
            new AgentConfig.Metrics(null, "[fe80::1%eth0]:9471").address());
        final AgentConfig off = load("interfaces:\n  - name: wwan0\nmetrics:\n  enabled: false\n");
        assertFalse(off.metrics().enabled());
        assertEquals("127.0.0.1:9471", off.metrics().listen());
    }

    @Test
    void shouldRefuseAListenValueThatIsNotHostColonPort() {
        for (final String bad : List.of("9471", "127.0.0.1", "127.0.0.1:", ":9471", "127.0.0.1:65536",
            "127.0.0.1:99999999", "127.0.0.1:http", "::1:9471", "[::1]9471", "[::1]", "[localhost]:9471",
            "http://127.0.0.1:9471", "127.0.0.1:9471/metrics", "host name:9471")) {
            final ConfigException refused = assertThrows(ConfigException.class,
                () -> new AgentConfig.Metrics(null, bad), bad);
            assertEquals("metrics.listen : " + bad + EXPECTED, refused.getMessage());
        }
    }

    @Test
    void shouldExit2WithOneLineNamingTheFileAndKey() throws IOException {
        final Path file = Files.writeString(directory.resolve("agent.yaml"),
            "interfaces:\n  - name: lo\nmetrics:\n  listen: 127.0.0.1:99999\n");
        final AgentRun run = AgentRun.execute("run", "--config", file.toString());
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-agent: " + file + " : metrics.listen : 127.0.0.1:99999" + EXPECTED),
            run.errLines(), run::toString);
        assertEquals("", run.out(), run::toString);
    }

    @Test
    void shouldExit2NamingTheKeyOfAWrongType() throws IOException {
        final Path file = Files.writeString(directory.resolve("agent.yaml"),
            "interfaces:\n  - name: lo\nmetrics:\n  enabled: sometimes\n");
        final AgentRun run = AgentRun.execute("run", "--config", file.toString());
        assertEquals(2, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.errLines().get(0).startsWith("esim-meter-agent: " + file + " : metrics.enabled : "),
            run::toString);
    }
}
