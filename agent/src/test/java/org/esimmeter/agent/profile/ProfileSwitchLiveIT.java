package org.esimmeter.agent.profile;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveUplinks.INTERFACES;
import static org.esimmeter.agent.capture.LiveUplinks.INTERNET_WWAN0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIM switch on the same interface while the agent runs. The agent ({@code run}, the shaded jar, in a router
 * namespace of {@link LiveUplinks}) discovers wwan0's profile with a fake modem command: a script printing
 * ModemManager-shaped JSON ({@code mmcli -m any -J; mmcli -i any -J}) from a file this test rewrites from SIM A to
 * SIM B while a ping crosses wwan0 without pause. Then:
 * <ul>
 * <li>every second of wwan0 carries exactly one of the two ICCIDs, all A seconds before all B seconds;</li>
 * <li>A's bytes plus B's bytes equal the kernel's counters of wwan0 over the whole run, exactly;</li>
 * <li>the first B second lies within the documented bound: no earlier than the second of the switch, no later
 *     than intervalSeconds + 1 s after it (plus the fake command's run time).</li>
 * </ul>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
class ProfileSwitchLiveIT {
    private static final String SIM_A = "8944500000000000001";
    private static final String SIM_B = "8944500000000000002";
    private static final int INTERVAL_SECONDS = 1;
    /** What the poll itself may take beyond the interval: fork and exec of a shell script on a busy machine. */
    private static final long COMMAND_SLACK_MILLIS = 500;
    private static final Duration QUIET_FOR = Duration.ofMillis(400);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static LiveNetwork network;
    private static Counters kernel;
    private static long switchMillis;
    private static int agentExitStatus;
    private static List<JsonNode> wwan0;
    private static String agentLog;

    @BeforeAll
    static void switchSimsUnderTraffic() throws Exception {
        LiveNetwork.requireRoot("ProfileSwitchLiveIT");
        final Path agentJar = Path.of(System.getProperty("agent.jar", "target/esim-meter-agent.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(agentJar), "agent.jar : " + agentJar + " (expected: the shaded agent jar)");
        LiveNetwork.requireTools("ip", "socat", "iperf3", "ping");

        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        final LiveUplinks uplinks = new LiveUplinks(network);
        uplinks.build();
        LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);

        insertSim(SIM_A);
        final Path modem = dir.resolve("fake-mmcli");
        Files.writeString(modem, "#!/bin/sh\ncat '" + dir.resolve("modem-state.json") + "'\n");
        Files.setPosixFilePermissions(modem, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path config = Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "interfaces:",
            "  - name: up0",
            "    profile: lan-uplink",
            "  - name: wwan0",
            "    profileFrom:",
            "      command: [" + modem + "]",
            "      intervalSeconds: " + INTERVAL_SECONDS,
            "output:",
            "  jsonLines: " + dir.resolve("seconds.jsonl"),
            ""));
        final Process agent = uplinks.startAgent(agentJar, config);
        await("the agent to discover SIM A", Duration.ofSeconds(10),
            () -> network.read(network.err("agent")).contains("wwan0 : active SIM is ICCID " + SIM_A),
            () -> network.read(network.err("agent")));

        final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        // 50 echo requests a second through wwan0, each answered: every second of the run has packets both ways.
        final Process ping = network.start("ping", network.router, "ping", "-i", "0.02", "-s", "400",
            INTERNET_WWAN0);
        await("two seconds of wwan0 under SIM A", Duration.ofSeconds(10), () -> seconds(SIM_A) >= 2,
            () -> network.read(dir.resolve("seconds.jsonl")));
        switchMillis = System.currentTimeMillis();
        insertSim(SIM_B);
        await("the agent to discover SIM B", Duration.ofSeconds(10),
            () -> network.read(network.err("agent")).contains("wwan0 : active SIM is ICCID " + SIM_B),
            () -> network.read(network.err("agent")));
        await("two seconds of wwan0 under SIM B", Duration.ofSeconds(10), () -> seconds(SIM_B) >= 2,
            () -> network.read(dir.resolve("seconds.jsonl")));
        LiveNetwork.signal(ping, "INT");
        network.awaitExit(ping, "ping", Duration.ofSeconds(10));
        final Map<String, Counters> after = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        kernel = after.get("wwan0").minus(before.get("wwan0"));

        LiveNetwork.signal(agent, "TERM");
        agentExitStatus = network.awaitExit(agent, "agent", Duration.ofSeconds(15));
        agentLog = network.read(network.err("agent"));
        wwan0 = new ArrayList<>();
        for (final String line : Files.readAllLines(dir.resolve("seconds.jsonl"))) {
            final JsonNode node = JSON.readTree(line);
            if ("wwan0".equals(node.path("interface").asText())) {
                wwan0.add(node);
            }
        }
        // The figures, for the report: where the cut fell and how the bytes split.
        System.out.printf("switch at %d ms; SIM A seconds %s, SIM B seconds %s (first %+d ms after the switch); " +
                "wire bytes A %d, B %d, kernel %d%n", switchMillis, secondsOf(SIM_A), secondsOf(SIM_B),
            secondsOf(SIM_B).first() * 1000 - switchMillis,
            sum(SIM_A, "up", "wireBytes") + sum(SIM_A, "down", "wireBytes"),
            sum(SIM_B, "up", "wireBytes") + sum(SIM_B, "down", "wireBytes"), kernel.txBytes() + kernel.rxBytes());
    }

    @AfterAll
    static void tearDown() {
        if (network != null) {
            network.close();
        }
    }

    /** The fake modem's state, replaced whole: the script never prints half of it. */
    private static void insertSim(final String iccid) throws IOException {
        final Path next = dir.resolve("modem-state.next");
        Files.writeString(next, ProfilePollerTest.mmcli(iccid, "26201"));
        Files.move(next, dir.resolve("modem-state.json"), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
    }

    /** Lines of wwan0 under this profile written so far. */
    private static long seconds(final String profile) {
        try {
            final Path file = dir.resolve("seconds.jsonl");
            return !Files.exists(file) ? 0 : Files.readAllLines(file).stream()
                .filter(line -> line.contains("\"interface\":\"wwan0\"") && line.contains("\"profile\":\"" + profile +
                    "\""))
                .count();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TreeSet<Long> secondsOf(final String profile) {
        final TreeSet<Long> seconds = new TreeSet<>();
        wwan0.stream().filter(line -> profile.equals(line.path("profile").asText()))
            .forEach(line -> seconds.add(line.path("t").asLong()));
        return seconds;
    }

    private static long sum(final String profile, final String direction, final String field) {
        return wwan0.stream().filter(line -> profile == null || profile.equals(line.path("profile").asText()))
            .mapToLong(line -> line.path("total").path(direction).path(field).asLong()).sum();
    }

    @Test
    void agentStopsOnSigtermWithStatusZero() {
        assertEquals(0, agentExitStatus, "agent exit status after SIGTERM; stderr: " + agentLog);
    }

    @Test
    void everySecondOfWwan0BelongsToExactlyOneSimAndTheCutIsClean() {
        final Map<String, Long> byProfile = new TreeMap<>();
        for (final JsonNode line : wwan0) {
            byProfile.merge(line.path("profile").asText(), 1L, Long::sum);
        }
        assertEquals(Set.of(SIM_A, SIM_B), byProfile.keySet(), "profiles of wwan0's seconds: " + byProfile);
        final TreeSet<Long> a = secondsOf(SIM_A);
        final TreeSet<Long> b = secondsOf(SIM_B);
        final TreeSet<Long> both = new TreeSet<>(a);
        both.retainAll(b);
        assertTrue(both.isEmpty(), "seconds under both SIMs: " + both);
        assertTrue(a.last() < b.first(), "SIM A seconds " + a + " must all precede SIM B seconds " + b);
        // up0 stays what the configuration says: discovery is per interface.
        assertFalse(agentLog.contains("up0 : active SIM"), agentLog);
    }

    @Test
    void bothSimsTogetherEqualTheKernelCountersOfWwan0() {
        assertEquals(kernel, new Counters(sum(null, "down", "packets"), sum(null, "down", "wireBytes"),
            sum(null, "up", "packets"), sum(null, "up", "wireBytes")), "wwan0 : agent (down as rx, up as tx) vs kernel");
        assertTrue(kernel.txPackets() >= 100 && kernel.rxPackets() >= 100, "the ping did not run: " + kernel);
        for (final String sim : List.of(SIM_A, SIM_B)) {
            assertTrue(sum(sim, "up", "wireBytes") > 0 && sum(sim, "down", "wireBytes") > 0,
                sim + " : no traffic in both directions");
        }
    }

    @Test
    void theSwitchTakesEffectWithinIntervalPlusOneSecond() {
        final long firstB = secondsOf(SIM_B).first();
        final long switchSecond = Math.floorDiv(switchMillis, 1000);
        assertTrue(firstB >= switchSecond, "SIM B counted from second " + firstB + ", before the switch at " +
            switchMillis + " ms");
        // Seen by the next poll (at most intervalSeconds later, plus the command's run time), in force from the
        // next second boundary: at most intervalSeconds + 1 s of bytes land on SIM A.
        final long lateMillis = firstB * 1000 - switchMillis;
        assertTrue(lateMillis <= (INTERVAL_SECONDS + 1) * 1000L + COMMAND_SLACK_MILLIS,
            "SIM B counted from " + lateMillis + " ms after the switch (expected: <= intervalSeconds + 1 s)");
    }
}
