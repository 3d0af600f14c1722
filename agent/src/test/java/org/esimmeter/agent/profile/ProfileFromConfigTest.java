package org.esimmeter.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code interfaces[].profileFrom}: its defaults, and one line naming the key for each mistake. */
class ProfileFromConfigTest {
    @TempDir
    Path dir;

    private AgentConfig.Interface load(final String iface) throws IOException {
        return YamlConfigLoader.load(Files.writeString(dir.resolve("agent.yaml"), "interfaces:\n" + iface),
            AgentConfig.class).interfaces().get(0);
    }

    private String refusal(final String iface) throws IOException {
        final Path file = Files.writeString(dir.resolve("agent.yaml"), "interfaces:\n" + iface);
        final String message = assertThrows(ConfigException.class,
            () -> YamlConfigLoader.load(file, AgentConfig.class)).getMessage();
        assertTrue(message.startsWith(file + " : "), message);
        assertTrue(!message.contains("\n"), message);
        return message.substring((file + " : ").length());
    }

    @Test
    void shouldDefaultToModemManagersLayoutEveryFiveSeconds() throws IOException {
        final AgentConfig.Interface iface = load("  - name: wwan0\n    profileFrom:\n" +
            "      command: [sh, -c, 'mmcli -m any -J && mmcli -i any -J']\n");
        final AgentConfig.ProfileFrom from = iface.profileFrom();
        assertEquals(List.of("sh", "-c", "mmcli -m any -J && mmcli -i any -J"), from.command());
        assertNull(from.file());
        assertEquals(5, from.intervalSeconds());
        assertEquals(10, from.timeoutSeconds());
        assertEquals("sim.properties.iccid", from.iccidField());
        assertEquals("modem.3gpp.operator-code", from.operatorCodeField());
        assertEquals("modem.3gpp.operator-name", from.operatorNameField());
        assertEquals("unknown-sim", iface.profile(), "the fallback before the first discovery");
    }

    @Test
    void shouldUseTheStaticProfileAsTheFallback() throws IOException {
        final AgentConfig.Interface iface = load("  - name: wwan0\n    profile: home-sim\n    profileFrom:\n" +
            "      file: /run/sim/active\n      intervalSeconds: 1\n      iccidField: active.iccid\n");
        assertEquals("home-sim", iface.profile());
        assertEquals("/run/sim/active", iface.profileFrom().file());
        assertNull(iface.profileFrom().command());
        assertEquals(1, iface.profileFrom().intervalSeconds());
        assertEquals("active.iccid", iface.profileFrom().iccidField());
    }

    @Test
    void shouldKeepTheStaticProfileWithoutDiscovery() throws IOException {
        final AgentConfig.Interface iface = load("  - name: wwan0\n");
        assertEquals("wwan0", iface.profile());
        assertNull(iface.profileFrom());
    }

    @Test
    void shouldRefuseMistakesNamingTheKey() throws IOException {
        assertEquals("interfaces[0].profileFrom : command or file missing (expected: command: [argv...] or " +
            "file: PATH)", refusal("  - name: wwan0\n    profileFrom:\n      intervalSeconds: 5\n"));
        assertEquals("interfaces[0].profileFrom : both command and file are set (expected: command: [argv...] or " +
            "file: PATH)", refusal("  - name: wwan0\n    profileFrom:\n      command: [cat, /x]\n      file: /x\n"));
        assertEquals("interfaces[0].profileFrom.intervalSeconds : 0 (expected: 1..3600)",
            refusal("  - name: wwan0\n    profileFrom:\n      file: /x\n      intervalSeconds: 0\n"));
        assertEquals("interfaces[0].profileFrom.timeoutSeconds : 301 (expected: 1..300)",
            refusal("  - name: wwan0\n    profileFrom:\n      file: /x\n      timeoutSeconds: 301\n"));
        assertEquals("interfaces[0].profileFrom.command : an empty argument (expected: [program, arguments...], " +
            "run without a shell)", refusal("  - name: wwan0\n    profileFrom:\n      command: [mmcli, '']\n"));
        assertEquals("interfaces[0].profileFrom.iccidField : 'sim..iccid' (expected: a dotted path such as " +
            "sim.properties.iccid)", refusal("  - name: wwan0\n    profileFrom:\n      file: /x\n" +
            "      iccidField: sim..iccid\n"));
    }

    @Test
    void shouldLoadTheExamplesProfileFromOnceUncommented() throws IOException {
        Path example = null;
        for (Path at = Path.of("").toAbsolutePath(); at != null && example == null; at = at.getParent()) {
            example = Files.isRegularFile(at.resolve("config/agent.yaml")) ? at.resolve("config/agent.yaml") : null;
        }
        final String text = Files.readString(example).replaceAll("(?m)^    # profileFrom:", "    profileFrom:")
            .replaceAll("(?m)^    #   ", "      ");
        final AgentConfig config = YamlConfigLoader.load(Files.writeString(dir.resolve("agent.yaml"), text),
            AgentConfig.class);
        final AgentConfig.Interface wwan1 = config.interfaces().get(1);
        assertEquals("esim-home", wwan1.profile(), "the static profile is the fallback");
        assertEquals(List.of("sh", "-c", "mmcli -m any -J && mmcli -i any -J"), wwan1.profileFrom().command());
        assertEquals(5, wwan1.profileFrom().intervalSeconds());
        assertNull(config.interfaces().get(0).profileFrom());
    }

    @Test
    void shouldRefuseAnUnknownKeyUnderProfileFrom() throws IOException {
        final String message = refusal("  - name: wwan0\n    profileFrom:\n      file: /x\n      interval: 5\n");
        assertTrue(message.contains("interval"), message);
    }
}
