package org.esimmeter.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.meter.CurrentProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery with real processes: a fake modem command (a shell script printing ModemManager-shaped JSON from a file
 * the test rewrites), one that fails, one that hangs, and a state file. What the capture thread would read is the
 * {@link CurrentProfile}; what the operator reads is the log on stderr.
 */
class ProfilePollerTest {
    private static final String SIM_A = "8944500000000000001";
    private static final String SIM_B = "8944500000000000002";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private PrintStream realErr;
    private Path state;
    private Path script;

    @BeforeEach
    void captureLogAndWriteTheFakeModem() throws IOException {
        realErr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        state = dir.resolve("modem-state.json");
        script = dir.resolve("fake-mmcli");
        writeScript("#!/bin/sh\ncat '" + state + "'\n");
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(realErr);
    }

    private void writeScript(final String text) throws IOException {
        // Written aside and moved: the poller never runs a half-written script.
        final Path next = dir.resolve("fake-mmcli.next");
        Files.writeString(next, text);
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(next, script, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** What `mmcli -m any -J; mmcli -i any -J` prints, with this ICCID and serving network. */
    static String mmcli(final String iccid, final String operatorCode) throws IOException {
        return fixture("modem.json").replace("\"26201\"", "\"" + operatorCode + "\"") +
            fixture("sim.json").replace("8944501234567890123", iccid);
    }

    private static String fixture(final String name) throws IOException {
        try (InputStream in = ProfilePollerTest.class.getResourceAsStream("/mmcli/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void insertSim(final String iccid, final String operatorCode) throws IOException {
        final Path next = dir.resolve("modem-state.next");
        Files.writeString(next, mmcli(iccid, operatorCode));
        Files.move(next, state, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static AgentConfig.ProfileFrom command(final int timeoutSeconds, final String... argv) {
        return new AgentConfig.ProfileFrom(List.of(argv), null, 1, timeoutSeconds, null, null, null);
    }

    private List<String> logLines(final String level) {
        return log.toString(StandardCharsets.UTF_8).lines()
            .filter(line -> line.contains(" " + level + " ProfilePoller - ")).toList();
    }

    @Test
    void shouldFollowTheFakeModemFromSimAToSimB() throws IOException {
        final CurrentProfile profile = new CurrentProfile("unknown-sim", true);
        final ProfilePoller.Target target = new ProfilePoller.Target("wwan0", command(5, script.toString()), profile);
        insertSim(SIM_A, "23450");
        target.poll();
        assertEquals(SIM_A, profile.get());
        assertEquals("23450", profile.network());
        insertSim(SIM_B, "26201");
        target.poll();
        assertEquals(SIM_B, profile.get());
        assertEquals("26201", profile.network());
        // Same SIM, another network (crossed a border): the network follows, the profile stays.
        insertSim(SIM_B, "23415");
        target.poll();
        assertEquals(SIM_B, profile.get());
        assertEquals("23415", profile.network());
        // A modem that puts the operator's name in the code field: the network is unknown, not that text.
        insertSim(SIM_B, "vodafone UK");
        target.poll();
        assertEquals("", profile.network());

        final List<String> info = logLines("INFO");
        assertEquals(4, info.size(), String.join("\n", info));
        assertTrue(info.get(0).endsWith("wwan0 : active SIM is ICCID " + SIM_A + " (operator 23450 (Telekom.de)), " +
            "was unknown-sim: its bytes count to it from the next second"), info.get(0));
        assertTrue(info.get(1).endsWith("wwan0 : active SIM is ICCID " + SIM_B + " (operator 26201 (Telekom.de)), " +
            "was " + SIM_A + ": its bytes count to it from the next second"), info.get(1));
        target.deleteFiles();
    }

    @Test
    void shouldKeepTheLastSimThroughFailuresAndWarnOncePerRunOfThem() throws IOException {
        final CurrentProfile profile = new CurrentProfile("unknown-sim", true);
        final ProfilePoller.Target target = new ProfilePoller.Target("wwan0", command(5, script.toString()), profile);
        insertSim(SIM_A, "23450");
        target.poll();

        writeScript("#!/bin/sh\necho 'error: couldn'\\''t find modem' >&2\nexit 3\n");
        target.poll();
        target.poll();
        target.poll();
        assertEquals(SIM_A, profile.get(), "a failing command keeps the last known SIM");
        List<String> warn = logLines("WARN");
        assertEquals(1, warn.size(), "one WARN line for three failed polls: " + warn);
        assertTrue(warn.get(0).endsWith("wwan0 : cannot discover the active SIM from " + script + ": exit status 3: " +
            "error: couldn't find modem; bytes keep counting to profile " + SIM_A + " until it works (further " +
            "failures are not logged)"), warn.get(0));

        writeScript("#!/bin/sh\ncat '" + state + "'\n");
        target.poll();
        assertTrue(logLines("INFO").get(1).endsWith("wwan0 : discovering the active SIM works again: ICCID " + SIM_A +
            " (operator 23450 (Telekom.de))"), logLines("INFO").toString());

        writeScript("#!/bin/sh\necho '{\"sim\": {'\n");
        target.poll();
        target.poll();
        assertEquals(SIM_A, profile.get(), "bad JSON keeps the last known SIM");
        warn = logLines("WARN");
        assertEquals(2, warn.size(), "a new run of failures warns again, once: " + warn);
        assertTrue(warn.get(1).contains(": not JSON: "), warn.get(1));
        target.deleteFiles();
    }

    @Test
    void shouldKillACommandThatHangsAndKeepTheFallback() throws IOException {
        final Path pid = dir.resolve("pid");
        writeScript("#!/bin/sh\necho $$ > '" + pid + "'\nexec sleep 60\n");
        final CurrentProfile profile = new CurrentProfile("home-sim", true);
        final ProfilePoller.Target target = new ProfilePoller.Target("wwan0", command(1, script.toString()), profile);
        final long startNs = System.nanoTime();
        target.poll();
        final Duration took = Duration.ofNanos(System.nanoTime() - startNs);
        assertTrue(took.compareTo(Duration.ofSeconds(1)) >= 0 && took.compareTo(Duration.ofSeconds(5)) < 0,
            "the poll waits timeoutSeconds, then gives up: " + took);
        assertEquals("home-sim", profile.get(), "before the first success the fallback stays");
        final List<String> warn = logLines("WARN");
        assertEquals(1, warn.size(), warn.toString());
        assertTrue(warn.get(0).contains(": no answer within 1 s (timeoutSeconds); bytes keep counting to profile " +
            "home-sim"), warn.get(0));
        final long sleeper = Long.parseLong(Files.readString(pid).trim());
        await("the hung command to be killed", () -> ProcessHandle.of(sleeper).map(p -> !p.isAlive()).orElse(true));
        target.deleteFiles();
    }

    @Test
    void shouldReadABareIccidFromAStateFile() throws IOException {
        final Path file = Files.writeString(dir.resolve("active-sim"), SIM_B + "F\n");
        final CurrentProfile profile = new CurrentProfile("unknown-sim", true);
        final ProfilePoller.Target target = new ProfilePoller.Target("wwan0",
            new AgentConfig.ProfileFrom(null, file.toString(), 1, null, null, null, null), profile);
        target.poll();
        assertEquals(SIM_B, profile.get());
        Files.delete(file);
        target.poll();
        assertEquals(SIM_B, profile.get(), "a missing state file keeps the last SIM");
        assertTrue(logLines("WARN").get(0).contains("cannot discover the active SIM from " + file + ": " + file),
            logLines("WARN").toString());
    }

    @Test
    void shouldPollOnItsOwnThreadEveryInterval() throws IOException {
        insertSim(SIM_A, "23450");
        final CurrentProfile profile = new CurrentProfile("unknown-sim", true);
        try (ProfilePoller poller = ProfilePoller.create()) {
            poller.add("wwan0", command(5, script.toString()), profile);
            assertFalse(poller.isEmpty());
            poller.start();
            assertEquals(SIM_A, profile.get(), "the first poll answers before start() returns (before capture)");
            insertSim(SIM_B, "26201");
            final long switchedNs = System.nanoTime();
            await("SIM B to be discovered", () -> SIM_B.equals(profile.get()));
            final Duration took = Duration.ofNanos(System.nanoTime() - switchedNs);
            // Fixed rate: the next poll starts at most intervalSeconds after the change; the fake command takes ms.
            assertTrue(took.compareTo(Duration.ofMillis(2000)) < 0, "intervalSeconds 1: seen within 1 s (+1 s slack): " +
                took);
        }
    }

    private static void await(final String what, final BooleanSupplier condition) {
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadlineNs > 0) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
