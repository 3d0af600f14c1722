package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.common.systemd.NotifyReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent jar as systemd runs it (Type=notify, WatchdogSec=), capturing on the loopback of a namespace the test
 * creates; the test binds the notify socket itself. READY=1 once capturing, WATCHDOG=1 while the capture loop makes
 * progress, and none while it does not: the agent's per-second JSON lines go to a FIFO whose reader the test stops
 * (SIGSTOP) while many flows cross the loopback, so the pipe fills, the capture thread blocks in its write, and the
 * ping must be withheld until the reader runs again. SIGTERM gives STOPPING=1 and exit status 0.
 */
class AgentNotifyLiveIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String READY = "READY=1\nSTATUS=capturing on lo";
    private static final String STOPPING = "STOPPING=1\nSTATUS=stopping: draining the capture, sealing the last second";

    @TempDir
    Path dir;

    @Test
    void shouldFeedTheWatchdogOnlyWhileTheCaptureLoopRuns() throws Exception {
        LiveNetwork.requireRoot("AgentNotifyLiveIT");
        LiveNetwork.requireTools("ip", "mkfifo", "cat", "bash");
        final Path agentJar = Jars.agent();
        LiveNetwork.deleteStaleNamespaces();
        try (LiveNetwork network = new LiveNetwork(dir); NotifyReceiver systemd =
            NotifyReceiver.bind(dir.resolve("notify"))) {
            network.addNamespaces();
            final String ns = network.router;
            final Path fifo = dir.resolve("seconds.fifo");
            LiveNetwork.run("mkfifo", fifo.toString());
            // The FIFO's reader: running, it passes the lines on to reader.out; stopped, the pipe fills.
            final Process reader = network.start("reader", ns, "cat", fifo.toString());
            final Path config = Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
                "interfaces:", "  - name: lo", "output:", "  jsonLines: " + fifo, ""));
            final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // env execs java in place: the pid is the JVM's, as systemd's main pid would be.
            final Process agent = network.start("agent", ns, "env", "NOTIFY_SOCKET=" + systemd.address(),
                "WATCHDOG_USEC=2000000", java, "-jar", agentJar.toString(), "run", "--config", config.toString());

            assertEquals(READY, systemd.await(m -> m.startsWith("READY=1"), WAIT),
                "READY=1 once capturing; agent log: " + network.read(network.err("agent")));
            awaitPing(systemd, network);
            awaitPing(systemd, network);

            final Process flows = startFlows(network, ns, 400);
            LiveNetwork.signal(reader, "STOP");
            systemd.skipQueued();
            final String withheld = systemd.await(m -> m.startsWith("STATUS=watchdog withheld: "), WAIT);
            assertNotNull(withheld, "the ping withheld once the pipe is full; received " + systemd.all() +
                "; agent log: " + network.read(network.err("agent")));
            assertTrue(withheld.matches("STATUS=watchdog withheld: capture loop made no progress for \\d+\\.\\d s"),
                withheld);
            // Two more periods (1 s each) while the loop is blocked: statuses only, no ping.
            final List<String> whileStuck = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                final String next = systemd.await(m -> true, WAIT);
                assertNotNull(next, "a status every period while stuck");
                whileStuck.add(next);
            }
            for (final String message : whileStuck) {
                assertTrue(message.startsWith("STATUS=watchdog withheld: capture loop made no progress for "),
                    "while stuck: " + whileStuck);
            }
            assertTrue(agent.isAlive(), "the agent itself stays up: systemd decides (WatchdogSec)");

            LiveNetwork.signal(reader, "CONT");
            assertEquals("WATCHDOG=1\nSTATUS=capturing on lo", systemd.await(m -> m.contains("WATCHDOG=1"), WAIT),
                "pinging again, with the ready status back, once the loop runs; received " + systemd.all());
            awaitPing(systemd, network);

            LiveNetwork.signal(flows, "TERM");
            assertEquals(0, network.awaitExit(flows, "flows", Duration.ofSeconds(5)), "flows exit status");
            LiveNetwork.signal(agent, "TERM");
            assertEquals(STOPPING, systemd.await(m -> m.startsWith("STOPPING=1"), WAIT), "STOPPING=1 on SIGTERM");
            assertEquals(0, network.awaitExit(agent, "agent", Duration.ofSeconds(15)), "agent exit status; log: " +
                network.read(network.err("agent")));
            systemd.skipQueued();
            assertNull(systemd.await(m -> m.contains("WATCHDOG=1"), Duration.ZERO), "no ping after STOPPING=1");
            assertTrue(Files.size(network.out("reader")) > 65536, "the reader got the lines the pipe held back");
        }
    }

    /**
     * {@code sockets} connected UDP sockets on the namespace's loopback, each sending a byte four times a second:
     * as many flows, so each JSON line is large. Nothing listens; the ICMP answers are more flows.
     */
    private static Process startFlows(final LiveNetwork network, final String ns, final int sockets) {
        final String script = String.join("\n",
            "trap 'exit 0' TERM",
            "ulimit -n " + (sockets + 64),
            "fds=()",
            "for ((port = 20000; port < " + (20000 + sockets) + "; port++)); do",
            "  exec {fd}<>/dev/udp/127.0.0.1/$port || exit 1",
            "  fds+=($fd)",
            "done",
            "echo \"sockets ${#fds[@]}\"",
            "while :; do",
            "  for fd in \"${fds[@]}\"; do printf x >&$fd; done 2>/dev/null",
            "  sleep 0.25",
            "done");
        final Process flows = network.start("flows", ns, "bash", "-c", script);
        LiveNetwork.await("the flows' sockets", Duration.ofSeconds(10),
            () -> network.read(network.out("flows")).contains("sockets " + sockets) || !flows.isAlive(),
            () -> network.read(network.err("flows")));
        assertTrue(flows.isAlive(), "flows exited: " + network.read(network.err("flows")));
        return flows;
    }

    private static void awaitPing(final NotifyReceiver systemd, final LiveNetwork network) {
        assertEquals("WATCHDOG=1", systemd.await(m -> m.contains("WATCHDOG=1"), WAIT),
            "a watchdog ping; received " + systemd.all() + "; agent log: " + network.read(network.err("agent")));
    }
}
