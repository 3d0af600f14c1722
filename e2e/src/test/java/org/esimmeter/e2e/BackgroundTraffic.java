package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveUplinks;

/**
 * Traffic that keeps flowing over both uplinks, both ways, until {@link #stop()}: so that a fault can hit the agent
 * mid-traffic and every second has packets on both links. Two paced TCP streams (an upload through wwan0, a download
 * over up0, 8 Mbit/s each, each to a one-off iperf3 server of its own: {@link LiveUplinks}' server stays free for
 * {@link LiveUplinks#generateTraffic()}) and pings at 100 per second (router to the far end of wwan0 and of up0,
 * and from the internet side to the router's wwan0; the tunnel carries every wwan0 packet over up0 too).
 * <p>
 * Every process is started from the calling thread ({@link LiveNetwork} registers them for its cleanup).
 */
final class BackgroundTraffic {
    private static final int UPLOAD_PORT = 5301;
    private static final int DOWNLOAD_PORT = 5302;
    /** An upper bound only: {@link #stop()} ends the streams long before. */
    private static final String MAX_SECONDS = "120";
    private static final String RATE = "8M";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final LiveNetwork network;
    private final List<Process> servers = new ArrayList<>();
    private final List<Process> clients = new ArrayList<>();
    private final List<String> clientNames = new ArrayList<>();

    private BackgroundTraffic(final LiveNetwork network) {
        this.network = network;
    }

    /** Starts the streams and the pings; returns once both servers listen and every client runs. */
    static BackgroundTraffic start(final LiveRouter router) {
        final BackgroundTraffic traffic = new BackgroundTraffic(router.network);
        traffic.begin();
        return traffic;
    }

    private void begin() {
        final String r = network.router;
        final String i = network.internet;
        for (final int port : List.of(UPLOAD_PORT, DOWNLOAD_PORT)) {
            final String name = "iperf3-server-" + port;
            servers.add(network.start(name, i, "iperf3", "-s", "-1", "-p", String.valueOf(port)));
            LiveNetwork.await(name + " to listen", START_TIMEOUT,
                () -> !LiveNetwork.inNamespace(i, "ss", "-Hltn", "sport", "=", ":" + port).isBlank(),
                () -> network.read(network.err(name)) + network.read(network.out(name)));
        }
        client("iperf3-upload", r, "iperf3", "-c", LiveUplinks.INTERNET_WWAN0, "-p", String.valueOf(UPLOAD_PORT),
            "-t", MAX_SECONDS, "-b", RATE);
        client("iperf3-download", r, "iperf3", "-c", LiveUplinks.INTERNET_UP0, "-p", String.valueOf(DOWNLOAD_PORT),
            "-t", MAX_SECONDS, "-b", RATE, "-R");
        client("ping-wwan0", r, "ping", "-q", "-i", "0.01", "-s", "1000", LiveUplinks.INTERNET_WWAN0);
        client("ping-up0", r, "ping", "-q", "-i", "0.01", "-s", "1472", LiveUplinks.INTERNET_UP0);
        client("ping-router", i, "ping", "-q", "-i", "0.01", "-s", "200", LiveUplinks.ROUTER_WWAN0);
    }

    private void client(final String name, final String namespace, final String... command) {
        clients.add(network.start(name, namespace, command));
        clientNames.add(name);
    }

    /**
     * Interrupts every client (SIGINT: iperf3 tells its server, which then exits) and waits for all of them and
     * both servers to exit; fails if a client had already died (the traffic would not have flowed throughout).
     */
    void stop() {
        for (int k = 0; k < clients.size(); k++) {
            final String name = clientNames.get(k);
            assertTrue(clients.get(k).isAlive(), name + " stopped before the traffic was to end: " +
                network.read(network.err(name)) + network.read(network.out(name)));
            LiveNetwork.signal(clients.get(k), "INT");
        }
        for (int k = 0; k < clients.size(); k++) {
            network.awaitExit(clients.get(k), clientNames.get(k), STOP_TIMEOUT);
        }
        for (final Process server : servers) {
            network.awaitExit(server, "iperf3-server", STOP_TIMEOUT);
        }
    }
}
