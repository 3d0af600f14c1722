package org.esimmeter.agent.capture;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveNetwork.inNamespace;
import static org.esimmeter.agent.capture.LiveNetwork.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent capturing live in a router namespace, judged by the kernel. Two namespaces, the router and the
 * "internet", are joined by a veth pair (router side {@code up0}, Ethernet) and by a raw-IP uplink: a TUN device in
 * each ({@code wwan0}, no packet information header, like a modem in raw-IP mode) bridged by two socat processes
 * over UDP across the veth. Bounded TCP, UDP, ICMP and non-IP traffic crosses both links in both directions while
 * the agent and tcpdump capture in the router namespace. Then:
 * <ul>
 * <li>per interface, the agent's upload equals the kernel's tx delta and its download the rx delta, in packets and
 *     wire bytes, exactly (libpcap reporting no drop);</li>
 * <li>every per-second line keeps flows + overflow + non-IP + unparsed == total;</li>
 * <li>the TCP transfers appear as flows with the right direction, and the tunnel's flow on up0 carries exactly the
 *     wwan0 packets plus 42 bytes of Ethernet, IPv4 and UDP headers each;</li>
 * <li>{@code replay} of tcpdump's files equals the kernel deltas and, flow by flow, what tshark reads in them.</li>
 * </ul>
 * Only addresses inside the namespaces this test creates ever receive traffic. Needs root (CI runs as root);
 * elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
class LiveCaptureIT {
    private static final String ROUTER_UP0 = "10.213.0.1";
    private static final String INTERNET_UP0 = "10.213.0.2";
    private static final String ROUTER_WWAN0 = "10.214.0.1";
    private static final String INTERNET_WWAN0 = "10.214.0.2";
    private static final int TUNNEL_PORT = 41000;
    private static final int IPERF_PORT = 5201;
    private static final int UPLOAD_PORT = 5202;
    private static final int DOWNLOAD_PORT = 5203;
    /** Below the veth's 1500 so that an encapsulated packet (+28 bytes of IPv4 and UDP) is never fragmented. */
    private static final int TUN_MTU = 1400;
    /** Ethernet + IPv4 + UDP headers that the tunnel adds to each wwan0 packet on up0. */
    private static final int TUNNEL_OVERHEAD = 14 + 20 + 8;
    private static final long UPLOAD_BYTES = 2L << 20;
    private static final long DOWNLOAD_BYTES = 1L << 20;
    private static final List<String> INTERFACES = List.of("up0", "wwan0");
    private static final Duration QUIET_FOR = Duration.ofMillis(400);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static LiveNetwork network;
    private static Path agentJar;
    private static String routerMac;
    /** Kernel counter deltas over the capture window, by interface. */
    private static final Map<String, Counters> kernel = new TreeMap<>();
    private static final Map<String, Counters> kernelAfterStop = new TreeMap<>();
    private static final Map<String, Counters> kernelAtEnd = new TreeMap<>();
    private static int agentExitStatus;
    private static long uploadReceived;
    private static long downloadReceived;
    private static List<JsonNode> agentLines;
    private static final Map<String, Path> pcaps = new TreeMap<>();

    @BeforeAll
    static void captureTrafficOnBothLinks() throws Exception {
        requireRoot();
        agentJar = Path.of(System.getProperty("agent.jar", "target/esim-meter-agent.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(agentJar), "agent.jar : " + agentJar + " (expected: the shaded agent jar)");
        requireTools("ip", "socat", "iperf3", "tcpdump", "tshark", "ping");

        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        buildNetwork();
        final Process server = network.start("iperf3-server", network.internet, "iperf3", "-s", "-p",
            String.valueOf(IPERF_PORT));
        await("the iperf3 server to listen", Duration.ofSeconds(10),
            () -> !inNamespace(network.internet, "ss", "-Hltn", "sport", "=", ":" + IPERF_PORT).isBlank(),
            () -> network.read(network.err("iperf3-server")) + network.read(network.out("iperf3-server")));
        assertTrue(server.isAlive(), "iperf3 server exited: " + network.read(network.err("iperf3-server")));
        LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);

        final Process agent = startAgent();
        final List<Process> tcpdumps = new ArrayList<>();
        for (final String iface : INTERFACES) {
            pcaps.put(iface, dir.resolve(iface + ".pcap"));
            final String name = "tcpdump-" + iface;
            tcpdumps.add(network.start(name, network.router, "tcpdump", "-i", iface, "-p", "-n", "-U",
                "--immediate-mode",
                // Headers are all tshark needs; short frames keep the ring deep enough for bursts (no drops).
                "-s", "256", "-B", "32768", "-w", pcaps.get(iface).toString()));
            await("tcpdump to listen on " + iface, Duration.ofSeconds(10),
                () -> network.read(network.err(name)).contains("listening on"), () -> network.read(network.err(name)));
        }

        final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        generateTraffic();
        final Map<String, Counters> after = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        for (final String iface : INTERFACES) {
            kernel.put(iface, after.get(iface).minus(before.get(iface)));
        }

        LiveNetwork.signal(agent, "TERM");
        agentExitStatus = network.awaitExit(agent, "agent", Duration.ofSeconds(15));
        for (int i = 0; i < tcpdumps.size(); i++) {
            LiveNetwork.signal(tcpdumps.get(i), "INT");
            assertEquals(0, network.awaitExit(tcpdumps.get(i), "tcpdump-" + INTERFACES.get(i), Duration.ofSeconds(10)),
                "tcpdump exit status");
        }
        // Nothing may have crossed the links between the last reading and the capturers stopping.
        final Map<String, Counters> end = LiveNetwork.counters(network.router);
        for (final String iface : INTERFACES) {
            kernelAfterStop.put(iface, after.get(iface));
            kernelAtEnd.put(iface, end.get(iface));
        }
        agentLines = new ArrayList<>();
        for (final String line : Files.readAllLines(dir.resolve("seconds.jsonl"))) {
            agentLines.add(JSON.readTree(line));
        }
    }

    @AfterAll
    static void tearDown() {
        if (network != null) {
            network.close();
        }
    }

    private static void requireRoot() throws IOException {
        final boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
            .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        if (!root) {
            final String why = "LiveCaptureIT needs root: it creates network namespaces, veth and TUN devices and " +
                "captures packets (run `mvn verify` as root, or pass -Desimmeter.skipPrivileged=true to skip it)";
            Assumptions.assumeFalse(Boolean.getBoolean("esimmeter.skipPrivileged"), why);
            fail(why);
        }
    }

    private static void requireTools(final String... tools) {
        for (final String tool : tools) {
            final LiveNetwork.Result which = LiveNetwork.execute(null, "sh", "-c", "command -v " + tool);
            assertEquals(0, which.status(), tool + " : not installed (expected: installed by .ci/run)");
        }
    }

    private static void buildNetwork() {
        final String r = network.router;
        final String i = network.internet;
        network.addNamespaces();
        run("ip", "link", "add", "up0", "netns", r, "type", "veth", "peer", "name", "down0", "netns", i);
        run("ip", "-n", r, "addr", "add", ROUTER_UP0 + "/30", "dev", "up0");
        run("ip", "-n", i, "addr", "add", INTERNET_UP0 + "/30", "dev", "down0");
        routerMac = mac(r, "up0");
        // Permanent neighbours: no ARP request, reply or (5 s after a ping) unicast probe can cross the capture
        // window's edges, where it would be counted by the kernel but not by the capture, or the other way round.
        run("ip", "-n", r, "neigh", "replace", INTERNET_UP0, "lladdr", mac(i, "down0"), "dev", "up0", "nud",
            "permanent");
        run("ip", "-n", i, "neigh", "replace", ROUTER_UP0, "lladdr", routerMac, "dev", "down0", "nud", "permanent");
        run("ip", "-n", r, "link", "set", "up0", "up");
        run("ip", "-n", i, "link", "set", "down0", "up");

        network.start("socat-router", r, "socat", "TUN:" + ROUTER_WWAN0 + "/30,tun-name=wwan0,iff-up,iff-no-pi",
            "UDP:" + INTERNET_UP0 + ":" + TUNNEL_PORT + ",sourceport=" + TUNNEL_PORT + ",bind=" + ROUTER_UP0);
        network.start("socat-internet", i, "socat", "TUN:" + INTERNET_WWAN0 + "/30,tun-name=wwan0,iff-up,iff-no-pi",
            "UDP:" + ROUTER_UP0 + ":" + TUNNEL_PORT + ",sourceport=" + TUNNEL_PORT + ",bind=" + INTERNET_UP0);
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
    }

    private static String mac(final String namespace, final String iface) {
        return run("ip", "netns", "exec", namespace, "cat", "/sys/class/net/" + iface + "/address").trim();
    }

    private static Process startAgent() throws IOException {
        final Path config = dir.resolve("agent.yaml");
        Files.writeString(config, String.join("\n",
            "interfaces:",
            "  - name: up0",
            "    profile: lan-uplink",
            "  - name: wwan0",
            "    profile: esim-test",
            "output:",
            "  jsonLines: " + dir.resolve("seconds.jsonl"),
            ""));
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

    /** Bounded traffic over both links in both directions; every command must succeed. */
    private static void generateTraffic() {
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
        uploadReceived = network.out("nc-upload").toFile().length();
        final Process source = listen("nc-download", INTERNET_UP0, DOWNLOAD_PORT, DOWNLOAD_BYTES);
        downloadReceived = LiveNetwork.run((byte[]) null, "ip", "netns", "exec", r, "nc", "-d", INTERNET_UP0,
            String.valueOf(DOWNLOAD_PORT)).length();
        assertEquals(0, network.awaitExit(source, "nc-download", Duration.ofSeconds(10)), "nc-download exit status");
        // UDP through the tunnel, at a rate the socat bridge keeps up with.
        inNamespace(r, "iperf3", "-u", "-c", INTERNET_WWAN0, "-p", String.valueOf(IPERF_PORT), "-b", "20M", "-l",
            "1200", "-n", "300K");
        // Non-IP Ethernet frames (local experimental EtherType 88b5), one each way, raw through packet sockets.
        final String internetMac = mac(i, "down0");
        LiveNetwork.run(frame(internetMac, routerMac, 60), "ip", "netns", "exec", r, "socat", "-u", "STDIN",
            "INTERFACE:up0");
        LiveNetwork.run(frame(routerMac, internetMac, 100), "ip", "netns", "exec", i, "socat", "-u", "STDIN",
            "INTERFACE:down0");
    }

    /** nc listening in the internet namespace, discarding what it receives or sending {@code bytes} zeros. */
    private static Process listen(final String name, final String address, final int port, final Long bytes) {
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

    // ---------------------------------------------------------------------------------------------- the agent

    @Test
    void agentStopsOnSigtermWithStatusZero() {
        assertEquals(0, agentExitStatus, "agent exit status after SIGTERM; stderr: " +
            network.read(network.err("agent")));
    }

    @Test
    void linksWereQuietWhileTheCapturersStopped() {
        assertEquals(kernelAfterStop, kernelAtEnd, "kernel counters moved after the capture window closed");
    }

    @Test
    void agentUploadAndDownloadEqualTheKernelCountersOfEachInterface() {
        for (final String iface : INTERFACES) {
            final List<JsonNode> lines = linesOf(iface);
            assertFalse(lines.isEmpty(), iface + " : no per-second line");
            assertEquals(0, lines.get(lines.size() - 1).path("pcap").path("dropped").asLong(),
                iface + " : libpcap drops");
            final Counters expected = kernel.get(iface);
            assertEquals(expected, new Counters(
                    sum(lines, "total", "down", "packets"), sum(lines, "total", "down", "wireBytes"),
                    sum(lines, "total", "up", "packets"), sum(lines, "total", "up", "wireBytes")),
                iface + " : agent (down as rx, up as tx) vs kernel counters");
            assertTrue(expected.txPackets() >= 40 && expected.rxPackets() >= 40,
                iface + " : the traffic did not cross this link both ways: " + expected);
        }
    }

    @Test
    void agentCountsTheNonIpFramesOnEthernetByDirection() {
        final List<JsonNode> lines = linesOf("up0");
        assertEquals(1, sum(lines, "nonIp", "up", "packets"));
        assertEquals(14 + 60, sum(lines, "nonIp", "up", "wireBytes"));
        assertEquals(1, sum(lines, "nonIp", "down", "packets"));
        assertEquals(14 + 100, sum(lines, "nonIp", "down", "wireBytes"));
        assertEquals(0, sum(linesOf("wwan0"), "nonIp", "up", "packets") + sum(linesOf("wwan0"), "nonIp", "down",
            "packets"));
    }

    @Test
    void everySecondsPartsAddUpToItsTotal() {
        assertFalse(agentLines.isEmpty());
        for (final JsonNode line : agentLines) {
            for (final String direction : List.of("up", "down")) {
                for (final String field : List.of("packets", "wireBytes", "ipBytes")) {
                    long flows = 0;
                    for (final JsonNode flow : line.path("flows")) {
                        if (direction.equals(flow.path("dir").asText())) {
                            flows += flow.path(field).asLong();
                        }
                    }
                    final long parts = flows + line.path("overflow").path(direction).path(field).asLong() +
                        line.path("nonIp").path(direction).path(field).asLong() +
                        line.path("unparsed").path(direction).path(field).asLong();
                    assertEquals(line.path("total").path(direction).path(field).asLong(), parts,
                        "flows + overflow + nonIp + unparsed, " + direction + " " + field + " in " + line);
                }
            }
            assertEquals(line.path("interface").asText().equals("up0") ? "lan-uplink" : "esim-test",
                line.path("profile").asText());
        }
    }

    @Test
    void tcpTransfersShowAsFlowsWithTheirDirection() {
        assertEquals(UPLOAD_BYTES, uploadReceived, "bytes the upload's receiver got");
        assertEquals(DOWNLOAD_BYTES, downloadReceived, "bytes the download's receiver got");
        // The router uploads to the server through wwan0: data one way, acknowledgements the other.
        final long[] upload = flow("wwan0", "up", 6, ROUTER_WWAN0, -1, INTERNET_WWAN0, UPLOAD_PORT);
        assertTrue(upload[1] > UPLOAD_BYTES, "wwan0 upload : " + upload[1] + " wire bytes (expected: > " +
            UPLOAD_BYTES + ")");
        final long[] acks = flow("wwan0", "down", 6, INTERNET_WWAN0, UPLOAD_PORT, ROUTER_WWAN0, -1);
        assertTrue(acks[0] > 0 && acks[1] < upload[1] / 4, "wwan0 acknowledgements : " + acks[1] + " wire bytes");
        // The server sends to the router over up0.
        final long[] download = flow("up0", "down", 6, INTERNET_UP0, DOWNLOAD_PORT, ROUTER_UP0, -1);
        assertTrue(download[1] > DOWNLOAD_BYTES, "up0 download : " + download[1] + " wire bytes (expected: > " +
            DOWNLOAD_BYTES + ")");
        final long[] downloadAcks = flow("up0", "up", 6, ROUTER_UP0, -1, INTERNET_UP0, DOWNLOAD_PORT);
        assertTrue(downloadAcks[0] > 0 && downloadAcks[1] < download[1] / 4, "up0 acknowledgements : " +
            downloadAcks[1] + " wire bytes");
    }

    @Test
    void theTunnelOnUp0CarriesExactlyTheWwan0PacketsPlusTheirHeaders() {
        for (final String direction : List.of("up", "down")) {
            final boolean up = direction.equals("up");
            final long[] tunnel = flow("up0", direction, 17, up ? ROUTER_UP0 : INTERNET_UP0, TUNNEL_PORT,
                up ? INTERNET_UP0 : ROUTER_UP0, TUNNEL_PORT);
            final List<JsonNode> wwan0 = linesOf("wwan0");
            final long packets = sum(wwan0, "total", direction, "packets");
            assertEquals(packets, tunnel[0], direction + " : tunnel packets on up0 vs packets on wwan0");
            assertEquals(sum(wwan0, "total", direction, "wireBytes") + TUNNEL_OVERHEAD * packets, tunnel[1],
                direction + " : tunnel wire bytes on up0 vs wwan0 bytes + " + TUNNEL_OVERHEAD + " per packet");
        }
    }

    private static List<JsonNode> linesOf(final String iface) {
        return agentLines.stream().filter(line -> iface.equals(line.path("interface").asText())).toList();
    }

    private static long sum(final List<JsonNode> lines, final String group, final String direction,
        final String field) {
        return lines.stream().mapToLong(line -> line.path(group).path(direction).path(field).asLong()).sum();
    }

    /** Packets and wire bytes of the matching flows over all seconds of an interface; port -1 matches any. */
    private static long[] flow(final String iface, final String direction, final int proto, final String src,
        final int srcPort, final String dst, final int dstPort) {
        final long[] sums = new long[2];
        for (final JsonNode line : linesOf(iface)) {
            for (final JsonNode flow : line.path("flows")) {
                if (flow.path("dir").asText().equals(direction) && flow.path("proto").asInt() == proto &&
                    flow.path("src").asText().equals(src) && flow.path("dst").asText().equals(dst) &&
                    (srcPort < 0 || flow.path("srcPort").asInt() == srcPort) &&
                    (dstPort < 0 || flow.path("dstPort").asInt() == dstPort)) {
                    sums[0] += flow.path("packets").asLong();
                    sums[1] += flow.path("wireBytes").asLong();
                }
            }
        }
        return sums;
    }

    // --------------------------------------------------------------------------------- replay of tcpdump's files

    @Test
    void replayOfTcpdumpsFilesEqualsTheKernelCounters() throws IOException {
        for (final String iface : INTERFACES) {
            final Counters expected = kernel.get(iface);
            final JsonNode report = replay(pcaps.get(iface), iface.equals("up0") ? routerMac : null);
            assertEquals(expected.rxPackets() + expected.txPackets(), report.path("packets").asLong(),
                iface + " : replay packets vs kernel rx + tx");
            assertEquals(expected.rxBytes() + expected.txBytes(), report.path("wireBytes").asLong(),
                iface + " : replay wire bytes vs kernel rx + tx");
            if (iface.equals("up0")) {
                final JsonNode directions = report.path("directions");
                assertEquals(expected.txBytes(), directions.path("up").path("wireBytes").asLong(),
                    "up0 replay --router-mac : upload vs kernel tx");
                assertEquals(expected.rxBytes(), directions.path("down").path("wireBytes").asLong(),
                    "up0 replay --router-mac : download vs kernel rx");
            }
        }
    }

    @Test
    void replayOfTcpdumpsFilesEqualsTsharkFlowByFlow() throws IOException {
        for (final String iface : INTERFACES) {
            final Path pcap = pcaps.get(iface);
            final JsonNode report = replay(pcap, null);
            final Map<String, long[]> truth = new TreeMap<>();
            final long[] nonIp = new long[2];
            final long[] total = new long[2];
            final String fields = run("sh", "-c", "tshark -r '" + pcap + "' -n -T fields -E separator=/t " +
                "-E occurrence=f -e frame.len -e ip.src -e ip.dst -e ip.proto -e ip.len -e tcp.srcport " +
                "-e tcp.dstport -e udp.srcport -e udp.dstport 2>/dev/null");
            for (final String row : fields.split("\n")) {
                if (row.isEmpty()) {
                    continue;
                }
                final String[] f = row.split("\t", -1);
                final long frameLength = Long.parseLong(f[0]);
                total[0]++;
                total[1] += frameLength;
                if (f[1].isEmpty()) {
                    nonIp[0]++;
                    nonIp[1] += frameLength;
                    continue;
                }
                final int proto = Integer.parseInt(f[3]);
                // Ports only for TCP and UDP: an ICMP error quotes a UDP header that is not this packet's.
                final String srcPort = proto == 6 ? f[5] : proto == 17 ? f[7] : "0";
                final String dstPort = proto == 6 ? f[6] : proto == 17 ? f[8] : "0";
                final long[] sums = truth.computeIfAbsent(
                    key(proto, f[1], srcPort, f[2], dstPort), k -> new long[3]);
                sums[0]++;
                sums[1] += frameLength;
                sums[2] += Long.parseLong(f[4]);
            }
            assertTrue(total[0] > 1000, iface + " : tshark read " + total[0] + " packets from " + pcap);
            assertEquals(total[0], report.path("packets").asLong(), iface + " : replay packets vs tshark");
            assertEquals(total[1], report.path("wireBytes").asLong(), iface + " : replay wire bytes vs tshark");
            assertEquals(nonIp[0], report.path("nonIp").path("packets").asLong(), iface + " : non-IP packets");
            assertEquals(nonIp[1], report.path("nonIp").path("wireBytes").asLong(), iface + " : non-IP bytes");
            assertEquals(0, report.path("unparsed").path("packets").asLong(), iface + " : unparsed packets");

            final Map<String, long[]> replayed = new TreeMap<>();
            for (final JsonNode flow : report.path("flows")) {
                final String key = key(flow.path("proto").asInt(), flow.path("src").asText(),
                    flow.path("srcPort").asText(), flow.path("dst").asText(), flow.path("dstPort").asText());
                final long[] previous = replayed.put(key, new long[] {flow.path("packets").asLong(),
                    flow.path("wireBytes").asLong(), flow.path("ipBytes").asLong()});
                assertNull(previous, iface + " : flow listed twice: " + key);
            }
            assertEquals(render(truth), render(replayed), iface + " : flows (packets, wire bytes, IP bytes)");
        }
    }

    private static String key(final int proto, final String src, final String srcPort, final String dst,
        final String dstPort) {
        return proto + " " + src + ":" + srcPort + " > " + dst + ":" + dstPort;
    }

    private static String render(final Map<String, long[]> flows) {
        final StringBuilder text = new StringBuilder();
        flows.forEach((key, sums) -> text.append(key).append(' ').append(sums[0]).append(' ').append(sums[1])
            .append(' ').append(sums[2]).append('\n'));
        return text.toString();
    }

    private static JsonNode replay(final Path pcap, final String routerMac) throws IOException {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(java, "-jar", agentJar.toString(), "replay", "--json"));
        if (routerMac != null) {
            command.add("--router-mac");
            command.add(routerMac);
        }
        command.add(pcap.toString());
        final Path out = dir.resolve(pcap.getFileName() + (routerMac == null ? "" : ".mac") + ".json");
        final Path err = dir.resolve(pcap.getFileName() + ".replay.err");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
            .start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("replay " + pcap + " : still running after 30 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertEquals(0, process.exitValue(), "replay " + pcap + " exit status; stderr: " + Files.readString(err));
        return JSON.readTree(out.toFile());
    }
}
