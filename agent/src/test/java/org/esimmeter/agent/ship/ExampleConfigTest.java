package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.corpus.AgentRun;
import org.esimmeter.common.logging.LogLevel;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config/agent.yaml loads as shipped, and with its collector section uncommented. */
class ExampleConfigTest {
    @TempDir
    Path dir;

    private static Path example() {
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            final Path candidate = at.resolve("config").resolve("agent.yaml");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("config/agent.yaml not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void shouldLoadTheExampleAsShippedAndWithTheCollectorUncommented() throws IOException {
        final String text = Files.readString(example());
        final AgentConfig plain = YamlConfigLoader.load(example(), AgentConfig.class);
        assertNull(plain.collector());
        assertEquals("-", plain.output().jsonLines());
        assertEquals(LogLevel.INFO, plain.logging().threshold());

        final String uncommented = text.replaceAll("(?m)^#collector:", "collector:").replaceAll("(?m)^#  ", "  ");
        final AgentConfig shipping = YamlConfigLoader.load(Files.writeString(dir.resolve("agent.yaml"), uncommented), AgentConfig.class);
        assertEquals("http://127.0.0.1:7470", shipping.collector().url());
        assertEquals("travel-router-1", shipping.collector().agentId());
        assertEquals("ESIM_METER_TOKEN", shipping.collector().tokenEnv());
        assertEquals(1 << 20, shipping.collector().batchMaxBytes());
        assertEquals(32 << 20, shipping.collector().spoolMaxBytes());
        assertEquals("none", shipping.output().jsonLines());
    }

    @Test
    void shouldPassCheckConfigWithThisMachinesInterfacesInPlaceOfTheModems() throws IOException {
        final Path file = Files.writeString(dir.resolve("agent.yaml"), Files.readString(example())
            .replace("name: wwan0", "name: lo").replace("name: wwan1", "name: any"));
        final AgentRun run = AgentRun.execute("check-config", file.toString());
        assertEquals(0, run.exit(), run::toString);
        assertEquals(file + " : ok (2 interfaces: lo -> esim-travel-eu, any -> esim-home; snaplen 128, buffer " +
            "4194304 bytes, filter none; no collector; service names on lo, any (snaplen 1500); JSON lines -; log " +
            "level info)\n", run.out(), run::toString);
    }
}
