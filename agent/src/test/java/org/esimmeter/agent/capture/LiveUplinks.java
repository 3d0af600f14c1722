package org.esimmeter.agent.capture;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveNetwork.inNamespace;
import static org.esimmeter.agent.capture.LiveNetwork.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * The router's two uplinks inside a {@link LiveNetwork}, and bounded traffic across them. The router and the
 * "internet" namespaces are joined by a veth pair (router side {@code up0}, Ethernet) and by a raw-IP uplink: a TUN
 * device in each ({@code wwan0}, no packet information header, like a modem in raw-IP mode) bridged by two socat
 * processes over UDP across the veth. An iperf3 server listens in the internet namespace.
 * <p>
 * Shared by the agent's {@code LiveCaptureIT} and the end-to-end {@code RunShipLiveIT}, so that both judge the same
 * traffic against the kernel. Only addresses inside the test's namespaces ever receive any of it.
 */
public final class LiveUplinks {
    public static final String ROUTER_UP0 = "10.213.0.1";
    public static final String INTERNET_UP0 = "10.213.0.2";
    public static final String ROUTER_WWAN0 = "10.214.0.1";
    public static final String INTERNET_WWAN0 = "10.214.0.2";
    public static final int TUNNEL_PORT = 41000;
    public static final int IPERF_PORT = 5201;
    public static final int UPLOAD_PORT = 5202;
    public static final int DOWNLOAD_PORT = 5203;
    /** Below the veth's 1500 so that an encapsulated packet (+28 bytes of IPv4 and UDP) is never fragmented. */
    public static final int TUN_MTU = 1400;
    /** Ethernet + IPv4 + UDP headers that the tunnel adds to each wwan0 packet on up0. */
    public static final int TUNNEL_OVERHEAD = 14 + 20 + 8;
    /** Bytes the router uploads over TCP through wwan0. */
    public static final long UPLOAD_BYTES = 2L << 20;
    /** Bytes the router downloads over TCP through up0. */
    public static final long DOWNLOAD_BYTES = 1L << 20;
    /** The router's interfaces the traffic crosses. */
    public static final List<String> INTERFACES = List.of("up0", "wwan0");
    /** Payload lengths of the two non-IP frames: router to internet on up0, and back. */
    public static final int NON_IP_UP_PAYLOAD = 60;
    public static final int NON_IP_DOWN_PAYLOAD = 100;

    private final LiveNetwork network;
    private String routerMac;

    public LiveUplinks(final LiveNetwork network) {
        this.network = network;
    }

    /** What the TCP transfers' receivers got (for the tests to check the traffic really went through). */
    public record Transfers(long uploadReceived, long downloadReceived) {
    }

    /** Creates both namespaces, both links and the iperf3 server; returns once a ping crosses the tunnel. */
    public void build() {
        final String r = network.router;
        final String i = network.internet;
        network.addNamespaces();
        run("ip", "link", "add", "up0", "netns", r, "type", "veth", "peer", "name", "down0", "netns", i);
        run("ip", "-n", r, "addr", "add", ROUTER_UP0 + "/30", "dev", "up0");
        run("ip", "-n", i, "addr", "add", INTERNET_UP0 + "/30", "dev", "down0");
        routerMac = LiveNetwork.mac(r, "up0");
        // Permanent neighbours: no ARP request, reply or (5 s after a ping) unicast probe can cross the capture
        // window's edges, where it would be counted by the kernel but not by the capture, or the other way round.
        LiveNetwork.permanentNeighbour(r, INTERNET_UP0, LiveNetwork.mac(i, "down0"), "up0");
        LiveNetwork.permanentNeighbour(i, ROUTER_UP0, routerMac, "down0");
        run("ip", "-n", r, "link", "set", "up0", "up");
        run("ip", "-n", i, "link", "set", "down0", "up");

        // UDP-DATAGRAM, not UDP: an unconnected socket. A connected one gets ECONNREFUSED for any datagram that
        // arrived before the other socat bound its port (the kernel's first IPv6 packets on a new wwan0), and socat
        // exits on it: under load the tunnel then never came up. (No sourceport option: socat's datagram addresses
        // refuse the peer's 41000 with it, "wrong sourceport"; bind fixes our own.)
        network.start("socat-router", r, "socat", "TUN:" + ROUTER_WWAN0 + "/30,tun-name=wwan0,iff-up,iff-no-pi",
            "UDP-DATAGRAM:" + INTERNET_UP0 + ":" + TUNNEL_PORT + ",bind=" + ROUTER_UP0 +
                ":" + TUNNEL_PORT);
        network.start("socat-internet", i, "socat", "TUN:" + INTERNET_WWAN0 + "/30,tun-name=wwan0,iff-up,iff-no-pi",
            "UDP-DATAGRAM:" + ROUTER_UP0 + ":" + TUNNEL_PORT + ",bind=" + INTERNET_UP0 +
                ":" + TUNNEL_PORT);
        for (final String namespace : List.of(r, i)) {
            final String name = namespace.equals(r) ? "socat-router" : "socat-internet";
            await("socat to create wwan0 in " + namespace, Duration.ofSeconds(10),
                () -> LiveNetwork.execute(null, "ip", "-n", namespace, "link", "show", "wwan0").status() == 0,
                () -> network.read(network.err(name)));
            run("ip", "-n", namespace, "link", "set", "wwan0", "mtu", String.valueOf(TUN_MTU));
        }
        await("a ping through the tunnel", Duration.ofSeconds(10),
            () -> LiveNetwork.execute(null, "ip", "netns", "exec", r, "ping", "-c", "1", "-W", "1",
                INTERNET_WWAN0).status() == 0,
            () -> network.read(network.err("socat-router")) + network.read(network.err("socat-internet")));

        final Process server = network.start("iperf3-server", i, "iperf3", "-s", "-p", String.valueOf(IPERF_PORT));
        await("the iperf3 server to listen", Duration.ofSeconds(10),
            () -> !inNamespace(i, "ss", "-Hltn", "sport", "=", ":" + IPERF_PORT).isBlank(),
            () -> network.read(network.err("iperf3-server")) + network.read(network.out("iperf3-server")));
        assertTrue(server.isAlive(), "iperf3 server exited: " + network.read(network.err("iperf3-server")));
    }

    /** The MAC address of the router's up0 (known after {@link #build()}). */
    public String routerMac() {
        return routerMac;
    }

    /**
     * Starts {@code java -jar AGENT_JAR run --config CONFIG} in the router namespace (log {@code agent.err}) and
     * waits until it captures on both interfaces; the config must meter exactly {@link #INTERFACES}.
     */
    public Process startAgent(final Path agentJar, final Path config) {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process agent = network.start("agent", network.router, java, "-jar", agentJar.toString(), "run",
            "--config", config.toString());
        await("the agent to capture on up0 and wwan0", Duration.ofSeconds(30),
            () -> {
                final String log = network.read(network.err("agent"));
                return log.contains("capturing on up0") && log.contains("capturing on wwan0") || !agent.isAlive();
            },
            () -> network.read(network.err("agent")));
        assertTrue(agent.isAlive(), "the agent exited while starting: " + network.read(network.err("agent")));
        return agent;
    }

    /**
     * Bounded traffic over both links in both directions; every command must succeed. ICMP of several sizes, a TCP
     * upload through wwan0 and a TCP download over up0 of exact sizes, UDP through the tunnel, and one non-IP
     * Ethernet frame each way on up0.
     */
    public Transfers generateTraffic() {
        final String r = network.router;
        final String i = network.internet;
        // ICMP, several sizes, both ways, both links (1372 + 28 fills the TUN's MTU exactly).
        inNamespace(r, "ping", "-q", "-c", "20", "-i", "0.01", "-s", "1372", INTERNET_WWAN0);
        inNamespace(r, "ping", "-q", "-c", "10", "-i", "0.01", "-s", "56", INTERNET_UP0);
        inNamespace(i, "ping", "-q", "-c", "10", "-i", "0.01", "-s", "500", ROUTER_WWAN0);
        inNamespace(i, "ping", "-q", "-c", "10", "-i", "0.01", "-s", "1472", ROUTER_UP0);
        // TCP with exact sizes (nc, not iperf3 -n, whose sender stops counting once the bytes are in its socket):
        // the router uploads through the raw-IP uplink and downloads over Ethernet.
        final Process sink = listen("nc-upload", INTERNET_WWAN0, UPLOAD_PORT, null);
        LiveNetwork.run(new byte[(int) UPLOAD_BYTES], "ip", "netns", "exec", r, "nc", "-N", INTERNET_WWAN0,
            String.valueOf(UPLOAD_PORT));
        assertEquals(0, network.awaitExit(sink, "nc-upload", Duration.ofSeconds(10)), "nc-upload exit status");
        final long uploadReceived = network.out("nc-upload").toFile().length();
        final Process source = listen("nc-download", INTERNET_UP0, DOWNLOAD_PORT, DOWNLOAD_BYTES);
        final long downloadReceived = LiveNetwork.run((byte[]) null, "ip", "netns", "exec", r, "nc", "-d",
            INTERNET_UP0, String.valueOf(DOWNLOAD_PORT)).length();
        assertEquals(0, network.awaitExit(source, "nc-download", Duration.ofSeconds(10)), "nc-download exit status");
        // UDP through the tunnel, at a rate the socat bridge keeps up with.
        inNamespace(r, "iperf3", "-u", "-c", INTERNET_WWAN0, "-p", String.valueOf(IPERF_PORT), "-b", "20M", "-l",
            "1200", "-n", "300K");
        // Non-IP Ethernet frames (local experimental EtherType 88b5), one each way, raw through packet sockets.
        final String internetMac = LiveNetwork.mac(i, "down0");
        LiveNetwork.run(frame(internetMac, routerMac, NON_IP_UP_PAYLOAD), "ip", "netns", "exec", r, "socat", "-u",
            "STDIN", "INTERFACE:up0");
        LiveNetwork.run(frame(routerMac, internetMac, NON_IP_DOWN_PAYLOAD), "ip", "netns", "exec", i, "socat", "-u",
            "STDIN", "INTERFACE:down0");
        return new Transfers(uploadReceived, downloadReceived);
    }


    /** nc listening in the internet namespace, discarding what it receives or sending {@code bytes} zeros. */
    private Process listen(final String name, final String address, final int port, final Long bytes) {
        final Process process = bytes == null ?
            network.start(name, network.internet, "nc", "-l", address, String.valueOf(port)) :
            network.start(name, network.internet, "sh", "-c", "head -c " + bytes + " /dev/zero | nc -N -l " + address +
                " " + port);
        await(name + " to listen", Duration.ofSeconds(10),
            () -> !inNamespace(network.internet, "ss", "-Hltn", "sport", "=", ":" + port).isBlank(),
            () -> network.read(network.err(name)));
        return process;
    }

    private static byte[] frame(final String destination, final String source, final int payloadLength) {
        final byte[] header = HexFormat.of().parseHex((destination + source).replace(":", "") + "88b5");
        final byte[] frame = new byte[header.length + payloadLength];
        System.arraycopy(header, 0, frame, 0, header.length);
        final byte[] text = "esim-meter live test".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, frame, header.length, text.length);
        return frame;
    }
}
