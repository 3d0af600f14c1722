package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveUplinks;

/**
 * Many flows at once over both uplinks, until {@link #stop()}: what makes an agent's per-second records big (a
 * flow-second costs about 20 bytes on the wire, an interface-second about 50). One bash in the router namespace opens
 * {@code ports} connected UDP sockets to the far end of each uplink (destination ports {@value #FIRST_PORT} and up;
 * {@code /dev/udp} redirections, no tool beyond bash) and writes one byte to every socket four times a second. Each
 * socket keeps its source port, so the flows are the same every second, as a router's long-lived connections are:
 * what a spool merge into per-minute records per flow can fold.
 * <p>
 * Nothing listens on those ports: the far end answers with ICMP port unreachable (rate-limited by its kernel), and
 * a socket's next write after one fails (ECONNREFUSED) without sending. Both uplinks' counters and the capture see
 * exactly what did cross, which is all the tests compare.
 */
final class ManyFlows {
    static final int FIRST_PORT = 20000;
    private static final String NAME = "many-flows";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final LiveNetwork network;
    private final Process process;
    private final int sockets;

    private ManyFlows(final LiveNetwork network, final Process process, final int sockets) {
        this.network = network;
        this.process = process;
        this.sockets = sockets;
    }

    /** Starts the flows, {@code ports} on each uplink; returns once every socket is open and the sending began. */
    static ManyFlows start(final LiveRouter router, final int ports) {
        final LiveNetwork network = router.network;
        final int sockets = 2 * ports;
        // SIGTERM is trapped: bash runs the trap once the running command (a sleep) returns, so it leaves no child
        // behind and exits 0. The sleep paces a traffic generator; nothing waits on it.
        final String script = String.join("\n",
            "trap 'exit 0' TERM",
            "ulimit -n " + (sockets + 64),
            "fds=()",
            "for ((port = " + FIRST_PORT + "; port < " + (FIRST_PORT + ports) + "; port++)); do",
            "  for host in " + LiveUplinks.INTERNET_UP0 + " " + LiveUplinks.INTERNET_WWAN0 + "; do",
            "    exec {fd}<>/dev/udp/$host/$port || exit 1",
            "    fds+=($fd)",
            "  done",
            "done",
            "echo \"sockets ${#fds[@]}\"",
            "while :; do",
            "  for fd in \"${fds[@]}\"; do printf x >&$fd; done 2>/dev/null",
            "  sleep 0.25",
            "done");
        final Process process = network.start(NAME, network.router, "bash", "-c", script);
        LiveNetwork.await(NAME + " to open its " + sockets + " sockets", START_TIMEOUT,
            () -> network.read(network.out(NAME)).contains("sockets ") || !process.isAlive(),
            () -> network.read(network.err(NAME)));
        assertEquals("sockets " + sockets, network.read(network.out(NAME)).strip(), "sockets opened; stderr: " +
            network.read(network.err(NAME)));
        return new ManyFlows(network, process, sockets);
    }

    /** Sockets open: flows per second over both uplinks together. */
    int sockets() {
        return sockets;
    }

    /** Stops the sending; fails if it had stopped before (the flows would not have flowed throughout). */
    void stop() {
        assertTrue(process.isAlive(), NAME + " stopped before the traffic was to end: " +
            network.read(network.err(NAME)));
        LiveNetwork.signal(process, "TERM");
        assertEquals(0, network.awaitExit(process, NAME, STOP_TIMEOUT), NAME + " exit status; stderr: " +
            network.read(network.err(NAME)));
    }
}
