package org.esimmeter.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.meter.CurrentProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/mmcli-active-sim}, the documented discovery command for ModemManager, run by the poller against a
 * fake mmcli that answers {@code -m 0 -J} and {@code -i SIMPATH -J} from the fixtures and refuses anything else.
 */
class MmcliActiveSimScriptTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private PrintStream realErr;
    private Path fakeMmcli;

    @BeforeEach
    void writeTheFakeMmcli() throws IOException {
        realErr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        fakeMmcli = dir.resolve("mmcli");
        Files.writeString(fakeMmcli, String.join("\n",
            "#!/bin/sh",
            "case \"$*\" in",
            "  '-m 0 -J') cat '" + dir.resolve("modem.json") + "' ;;",
            "  '-i /org/freedesktop/ModemManager1/SIM/0 -J') cat '" + dir.resolve("sim.json") + "' ;;",
            "  *) echo \"error: unexpected arguments: $*\" >&2; exit 1 ;;",
            "esac", ""));
        Files.setPosixFilePermissions(fakeMmcli, PosixFilePermissions.fromString("rwxr-xr-x"));
        copy("modem.json");
        copy("sim.json");
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(realErr);
    }

    private void copy(final String fixture) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/mmcli/" + fixture)) {
            Files.write(dir.resolve(fixture), in.readAllBytes());
        }
    }

    private static Path script() {
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            if (Files.isRegularFile(at.resolve("scripts/mmcli-active-sim"))) {
                return at.resolve("scripts/mmcli-active-sim");
            }
        }
        throw new AssertionError("scripts/mmcli-active-sim not found above " + Path.of("").toAbsolutePath());
    }

    private ProfilePoller.Target target(final CurrentProfile profile) throws IOException {
        // `env` sets MMCLI for the script: the agent itself runs the argv without a shell.
        return new ProfilePoller.Target("wwan0", new AgentConfig.ProfileFrom(
            List.of("env", "MMCLI=" + fakeMmcli, script().toString(), "0"), null, 5, 5, null, null, null), profile);
    }

    @Test
    void shouldFollowTheModemsSimPathToItsIccid() throws IOException {
        final CurrentProfile profile = new CurrentProfile("unknown-sim", true);
        final ProfilePoller.Target target = target(profile);
        target.poll();
        assertEquals("8944501234567890123", profile.get(), log.toString(StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("wwan0 : active SIM is ICCID 8944501234567890123 " +
            "(operator 26201 (Telekom.de)), was unknown-sim"), log.toString(StandardCharsets.UTF_8));
        target.deleteFiles();
    }

    @Test
    void shouldSayWhenTheModemHasNoSim() throws IOException {
        copy("modem-no-sim.json");
        Files.move(dir.resolve("modem-no-sim.json"), dir.resolve("modem.json"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        final CurrentProfile profile = new CurrentProfile("home-sim", true);
        final ProfilePoller.Target target = target(profile);
        target.poll();
        assertEquals("home-sim", profile.get());
        final String warning = log.toString(StandardCharsets.UTF_8).lines()
            .filter(line -> line.contains(" WARN ProfilePoller - ")).findFirst().orElse("");
        assertTrue(warning.contains(": exit status 1: modem 0 reports no SIM (modem.generic.sim: --); bytes keep " +
            "counting to profile home-sim"), log.toString(StandardCharsets.UTF_8));
        target.deleteFiles();
    }
}
