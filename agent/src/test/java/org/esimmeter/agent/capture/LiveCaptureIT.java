package org.esimmeter.agent.capture;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveNetwork.run;
import static org.esimmeter.agent.capture.LiveUplinks.DOWNLOAD_BYTES;
import static org.esimmeter.agent.capture.LiveUplinks.DOWNLOAD_PORT;
import static org.esimmeter.agent.capture.LiveUplinks.INTERFACES;
import static org.esimmeter.agent.capture.LiveUplinks.INTERNET_UP0;
import static org.esimmeter.agent.capture.LiveUplinks.INTERNET_WWAN0;
import static org.esimmeter.agent.capture.LiveUplinks.NON_IP_DOWN_PAYLOAD;
import static org.esimmeter.agent.capture.LiveUplinks.NON_IP_UP_PAYLOAD;
import static org.esimmeter.agent.capture.LiveUplinks.ROUTER_UP0;
import static org.esimmeter.agent.capture.LiveUplinks.ROUTER_WWAN0;
import static org.esimmeter.agent.capture.LiveUplinks.TUNNEL_OVERHEAD;
import static org.esimmeter.agent.capture.LiveUplinks.TUNNEL_PORT;
import static org.esimmeter.agent.capture.LiveUplinks.UPLOAD_BYTES;
import static org.esimmeter.agent.capture.LiveUplinks.UPLOAD_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent capturing live in a router namespace, judged by the kernel. Two namespaces, the router and the
 * "internet", are joined by a veth pair (router side {@code up0}, Ethernet) and by a raw-IP uplink: a TUN device in
 * each ({@code wwan0}, no packet information header, like a modem in raw-IP mode) bridged by two socat processes
 * over UDP across the veth ({@link LiveUplinks}). Bounded TCP, UDP, ICMP and non-IP traffic crosses both links in
 * both directions while the agent and tcpdump capture in the router namespace. Then:
 * <ul>
 * <li>per interface, the agent's upload equals the kernel's tx delta and its download the rx delta, in packets and
 *     wire bytes, exactly (libpcap reporting no drop);</li>
 * <li>every per-second line keeps flows + overflow + non-IP + unparsed == total, and nothing is uncaptured;</li>
 * <li>the TCP transfers appear as flows with the right direction, and the tunnel's flow on up0 carries exactly the
 *     wwan0 packets plus 42 bytes of Ethernet, IPv4 and UDP headers each;</li>
 * <li>{@code replay} of tcpdump's files equals the kernel deltas and, flow by flow, what tshark reads in them.</li>
 * </ul>
 * Only addresses inside the namespaces this test creates ever receive traffic. Needs root (CI runs as root);
 * elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
class LiveCaptureIT {
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
        LiveNetwork.requireRoot("LiveCaptureIT");
        agentJar = Path.of(System.getProperty("agent.jar", "target/esim-meter-agent.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(agentJar), "agent.jar : " + agentJar + " (expected: the shaded agent jar)");
        LiveNetwork.requireTools("ip", "socat", "iperf3", "tcpdump", "tshark", "ping");

        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        final LiveUplinks uplinks = new LiveUplinks(network);
        uplinks.build();
        routerMac = uplinks.routerMac();
        LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);

        final Process agent = uplinks.startAgent(agentJar, writeAgentConfig());
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
        final LiveUplinks.Transfers transfers = uplinks.generateTraffic();
        uploadReceived = transfers.uploadReceived();
        downloadReceived = transfers.downloadReceived();
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

    private static Path writeAgentConfig() throws IOException {
        return Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "interfaces:",
            "  - name: up0",
            "    profile: lan-uplink",
            "  - name: wwan0",
            "    profile: esim-test",
            "output:",
            "  jsonLines: " + dir.resolve("seconds.jsonl"),
            ""));
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
    void nothingIsUncapturedWhenTheCaptureSawEveryPacket() {
        for (final String iface : INTERFACES) {
            final List<JsonNode> lines = linesOf(iface);
            for (final String direction : List.of("up", "down")) {
                assertEquals(0, sum(lines, "uncaptured", direction, "packets") +
                    sum(lines, "uncaptured", direction, "wireBytes"), iface + " " + direction + " : uncaptured");
            }
        }
    }

    @Test
    void agentCountsTheNonIpFramesOnEthernetByDirection() {
        final List<JsonNode> lines = linesOf("up0");
        assertEquals(1, sum(lines, "nonIp", "up", "packets"));
        assertEquals(14 + NON_IP_UP_PAYLOAD, sum(lines, "nonIp", "up", "wireBytes"));
        assertEquals(1, sum(lines, "nonIp", "down", "packets"));
        assertEquals(14 + NON_IP_DOWN_PAYLOAD, sum(lines, "nonIp", "down", "wireBytes"));
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
