package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.esimmeter.agent.capture.LiveNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The units in {@code systemd/} as systemd reads them: {@code systemd-analyze verify} accepts both without a word
 * (it exits 0 even for settings it ignores, so its output must be empty), and they say what README and the daemons
 * rely on.
 */
class SystemdUnitsIT {
    static final Path ROOT = Path.of(System.getProperty("repository.root", "..")).toAbsolutePath().normalize();
    static final Path AGENT = ROOT.resolve("systemd/esim-meter-agent.service");
    static final Path COLLECTOR = ROOT.resolve("systemd/esim-meter-collector.service");

    /** Skips (with why) only where the binary is absent; CI installs it (.ci/run), so there it always runs. */
    static void requireSystemdAnalyze() {
        Assumptions.assumeTrue(LiveNetwork.execute(null, "sh", "-c", "command -v systemd-analyze").status() == 0,
            "systemd-analyze is not installed (Debian package systemd; .ci/run installs it): units not verified");
    }

    /** {@code systemd-analyze verify UNIT...}: exit status 0 and not one line of output. */
    static void assertVerified(final Path... units) {
        requireSystemdAnalyze();
        final String[] command = new String[units.length + 2];
        command[0] = "systemd-analyze";
        command[1] = "verify";
        for (int i = 0; i < units.length; i++) {
            command[i + 2] = units[i].toString();
        }
        final LiveNetwork.Result result = LiveNetwork.execute(null, command);
        assertEquals(new LiveNetwork.Result(0, ""), result, "systemd-analyze verify " + List.of(units));
    }

    @Test
    void bothUnitsPassSystemdAnalyzeVerify() {
        assertVerified(AGENT, COLLECTOR);
    }

    @Test
    void verifyWouldReportAMistake(@TempDir final Path dir) throws Exception {
        // The check above can fail: a unit with one misspelt value is reported, although verify still exits 0.
        requireSystemdAnalyze();
        final Path broken = Files.writeString(dir.resolve("esim-meter-agent.service"),
            Files.readString(AGENT).replace("Type=notify", "Type=notfy"));
        final LiveNetwork.Result result = LiveNetwork.execute(null, "systemd-analyze", "verify", broken.toString());
        assertTrue(result.output().contains("Failed to parse service type, ignoring: notfy"), result.output());
    }

    @Test
    void bothUnitsExposeLittleBySystemdsOwnMeasure() {
        // systemd-analyze security scores what a compromised service could do, 0 (nothing) to 10; the units measure
        // 1.7 (agent: CAP_NET_RAW, AF_PACKET) and 1.3. Losing the sandbox or the system call filter goes above 2.
        requireSystemdAnalyze();
        for (final Path unit : List.of(AGENT, COLLECTOR)) {
            final LiveNetwork.Result result = LiveNetwork.execute(null, "systemd-analyze", "security",
                "--offline=yes", "--no-pager", unit.toString());
            final Matcher level = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d)")
                .matcher(result.output());
            assertTrue(level.find(), result.output());
            assertTrue(Double.parseDouble(level.group(1)) <= 2.0, unit.getFileName() + " exposure " + level.group(1) +
                " (expected: <= 2.0)\n" + result.output());
        }
    }

    @Test
    void bothAreNotifyServicesWithAWatchdogAndRestartOnFailure() {
        for (final Path file : List.of(AGENT, COLLECTOR)) {
            final UnitFile unit = UnitFile.read(file);
            assertEquals("notify", unit.get("Service.Type"), file + " Type");
            assertEquals("main", unit.get("Service.NotifyAccess"), file + " NotifyAccess");
            assertEquals("30s", unit.get("Service.WatchdogSec"), file + " WatchdogSec");
            assertEquals("on-failure", unit.get("Service.Restart"), file + " Restart");
            assertEquals("esim-meter", unit.get("Service.User"), file + " User");
            assertEquals("strict", unit.get("Service.ProtectSystem"), file + " ProtectSystem");
            assertEquals("yes", unit.get("Service.NoNewPrivileges"), file + " NoNewPrivileges");
            assertEquals("yes", unit.get("Service.PrivateTmp"), file + " PrivateTmp");
            assertEquals("yes", unit.get("Service.ProtectHome"), file + " ProtectHome");
        }
    }

    @Test
    void onlyTheAgentHoldsACapabilityAndOnlyCapNetRaw() {
        final UnitFile agent = UnitFile.read(AGENT);
        assertEquals("CAP_NET_RAW", agent.get("Service.CapabilityBoundingSet"));
        assertEquals("CAP_NET_RAW", agent.get("Service.AmbientCapabilities"));
        final UnitFile collector = UnitFile.read(COLLECTOR);
        assertEquals("", collector.get("Service.CapabilityBoundingSet"));
        assertEquals("", collector.get("Service.AmbientCapabilities"));
    }

    @Test
    void agentUsesTheSpoolAndLeaseDirectoriesItsDefaultsExpect() {
        final UnitFile agent = UnitFile.read(AGENT);
        // collector.spoolDirectory defaults to $RUNTIME_DIRECTORY, which must outlive a stop; the lease to
        // $STATE_DIRECTORY; the collector's database to its own $STATE_DIRECTORY (a different directory).
        assertEquals("esim-meter", agent.get("Service.RuntimeDirectory"));
        assertEquals("yes", agent.get("Service.RuntimeDirectoryPreserve"));
        assertEquals("esim-meter/agent", agent.get("Service.StateDirectory"));
        assertEquals("esim-meter", UnitFile.read(COLLECTOR).get("Service.StateDirectory"));
    }

    @Test
    void unitsRunTheInstalledJarsWithTheReadmeRouterFlags() throws Exception {
        final Matcher flags = Pattern.compile("\"Operator JVM flags\" are the ones to use on a router:\\s*`([^`]+)`")
            .matcher(Files.readString(ROOT.resolve("README.md")));
        assertTrue(flags.find(), "README names the operator JVM flags");
        assertEquals("/usr/bin/java " + flags.group(1) + " -XX:+ExitOnOutOfMemoryError -jar " +
                "/usr/lib/esim-meter/esim-meter-agent.jar run --config /etc/esim-meter/agent.yaml",
            UnitFile.read(AGENT).get("Service.ExecStart"));
        assertTrue(UnitFile.read(COLLECTOR).get("Service.ExecStart").endsWith(
            " -jar /usr/lib/esim-meter/esim-meter-collector.jar run --config /etc/esim-meter/collector.yaml"));
    }

    @Test
    void theUnitsUserIsTheOneSysusersCreates() throws Exception {
        final String sysusers = Files.readString(ROOT.resolve("systemd/esim-meter.sysusers"));
        assertTrue(sysusers.lines().anyMatch(line -> line.startsWith("u esim-meter ")), sysusers);
    }
}
