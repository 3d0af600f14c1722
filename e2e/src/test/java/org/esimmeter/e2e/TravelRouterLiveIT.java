package org.esimmeter.e2e;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveNetwork.inNamespace;
import static org.esimmeter.agent.capture.LiveNetwork.run;
import static org.esimmeter.e2e.Api.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.MasqueradeRouter;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole of "which device, which service, how much of the plan, while roaming or not" on a real travel router in
 * namespaces, with the shaded agent and collector jars, judged by the kernel's counters.
 * <p>
 * Two LAN devices (namespaces with their own veth, MAC and address) behind a router namespace that forwards and
 * masquerades (iptables) onto the uplink {@code up0}; behind it an "internet" namespace with a DNS server answering
 * {@code video.example} and {@code mail.example} and a TCP server on each address ({@link TravelTraffic}). Each
 * device resolves its name, opens a connection, sends a real TLS ClientHello with that server name and downloads a
 * fixed number of bytes. The agent runs in the router namespace (so it reads that namespace's
 * {@code /proc/net/nf_conntrack} and {@code /proc/net/arp}) and learns up0's SIM and serving network from a fake
 * modem command; the collector runs there too, on its loopback, with a plan of {@link #CAP_BYTES} for the SIM, home
 * network 23415 and a webhook (a receiver in this JVM, reached through a socat bridge). Traffic runs in two phases:
 * phase 1 on the home network 23415, then the modem reports 26201 (roaming), then phase 2.
 * <p>
 * Expected values come from the kernel (veth counters minus 14 bytes of Ethernet header per packet) and from what
 * the clients exchanged (the DNS payload sizes they report), never from the agent or the collector:
 * <ul>
 * <li>per device ({@code /v1/top?by=device}, {@code topDevices}): its veth's IP bytes up and down, none
 *     approximate;</li>
 * <li>per service ({@code /v1/top?by=service}, {@code topServices}): each device's bytes minus its DNS exchanges;
 *     the DNS exchanges themselves are unlabelled (the DNS server's address has no name);</li>
 * <li>{@code /v1/profiles}: up, down and billable = up0's kernel counters in IP bytes, uncaptured 0; per network:
 *     phase 1's bytes on 23415 (home), phase 2's on 26201 = {@code roamingBytes};</li>
 * <li>alerts: 50 % fired after phase 1 and 80 % after phase 2, each POSTed once to the webhook and listed
 *     delivered by {@code /v1/alerts}.</li>
 * </ul>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TravelRouterLiveIT {
    private static final String AGENT = "travel-router";
    private static final String ICCID = "8944500000000000042";
    private static final String PROFILE = "travel-sim";
    private static final String HOME = "23415";
    private static final String ROAMING = "26201";
    /**
     * Phase 1 moves 551-600 kB of IP bytes (payload 550,000 + headers), 55-60 % of the cap; both phases 851-900 kB,
     * 85-90 %: exactly the 50 % and 80 % alerts, one after each phase ({@link #phasesCrossedExactlyTwoThresholds}).
     */
    private static final long CAP_BYTES = 1_000_000;
    private static final int[][] PHASE_BYTES = {{300_000, 250_000}, {180_000, 120_000}};
    private static final int COLLECTOR_PORT = 47470;
    private static final int WEBHOOK_PORT = 47471;
    private static final int SERVICE_PORT = 443;
    private static final int ETHERNET = 14;
    private static final int IP_UDP_HEADERS = 28;

    private static final String DEVICE1 = MasqueradeRouter.DEVICE1;
    private static final String DEVICE2 = MasqueradeRouter.DEVICE2;
    private static final String DNS = "10.77.9.53";
    private static final String VIDEO = "10.77.9.10";
    private static final String MAIL = "10.77.9.20";
    private static final List<String> NAMES = List.of("video.example", "mail.example");
    /** What each device calls itself in DHCP (option 12): the name the collector shows next to its MAC. */
    private static final List<String> HOSTNAMES = List.of("alices-phone", "bobs-laptop");
    private static final Duration QUIET_FOR = Duration.ofMillis(400);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    private static LiveNetwork network;
    private static final MasqueradeRouter masquerade = new MasqueradeRouter();
    private static CollectorProcess collector;
    private static PortBridge apiBridge;
    private static Process webhookBridge;
    private static HttpServer webhook;
    private static final List<String> webhookBodies = new CopyOnWriteArrayList<>();

    private static final String[] deviceMac = new String[2];
    /** IP bytes of each device's DNS exchanges, up (queries) and down (answers). */
    private static final long[][] dnsBytes = new long[2][2];
    /** Kernel counters of each device's veth over the whole run. */
    private static final Counters[] device = new Counters[2];
    /** up0's kernel counters: phase 1 (home), phase 2 (roaming). */
    private static final Counters[] uplink = new Counters[2];
    private static int agentExitStatus;
    private static String agentLog;
    private static List<JsonNode> alertsAfterPhase = new ArrayList<>();
    private static JsonNode profile;
    private static JsonNode topDevices;
    private static JsonNode topServices;
    private static JsonNode alerts;
    private static List<String> webhookAfterRun;

    @BeforeAll
    static void travel() throws Exception {
        LiveNetwork.requireRoot("TravelRouterLiveIT");
        final Path agentJar = Jars.agent();
        Jars.collector();
        LiveNetwork.requireTools("ip", "iptables", "socat", "ss");
        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        buildRouter();

        final Process servers = startJava("servers", network.internet, "serve", DNS, String.valueOf(SERVICE_PORT),
            NAMES.get(0) + "=" + VIDEO, NAMES.get(1) + "=" + MAIL);
        await("the DNS and TCP servers to listen", Duration.ofSeconds(20),
            () -> network.read(network.out("servers")).contains("ready") || !servers.isAlive(),
            () -> network.read(network.err("servers")));
        assertTrue(servers.isAlive(), network.read(network.err("servers")));

        startWebhook();
        final Path modem = fakeModem(HOME);
        final CollectorProcess.Config config = new CollectorProcess.Config(dir.resolve("data")).port(COLLECTOR_PORT);
        final String token = config.agent(AGENT);
        final Path collectorConfig = config.write(dir.resolve("collector.yaml"));
        Files.writeString(collectorConfig, String.join("\n",
            "alerts:",
            "  thresholds: [50, 80, 95, 100]",
            "  checkSeconds: 1",
            "webhook:",
            "  url: http://127.0.0.1:" + WEBHOOK_PORT + "/hook",
            "  timeoutSeconds: 5",
            "  maxAttempts: 3",
            "  retryDelayMillis: 1000",
            "profiles:",
            "  - id: " + PROFILE,
            "    iccid: \"" + ICCID + "\"",
            "    homeNetworks: [\"" + HOME + "\"]",
            "    plan: {type: monthly, capBytes: " + CAP_BYTES + ", resetDay: 1, timeZone: UTC}",
            ""), StandardOpenOption.APPEND);
        collector = CollectorProcess.startInNamespace(network.router, collectorConfig);
        apiBridge = PortBridge.open(network, network.router, COLLECTOR_PORT, dir);
        final Api api = new Api(apiBridge.url(), config.readToken());

        final Path agentConfig = Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "interfaces:",
            "  - name: up0",
            "    profileFrom:",
            "      command: [" + modem + "]",
            "      intervalSeconds: 1",
            "collector:",
            "  url: \"http://127.0.0.1:" + COLLECTOR_PORT + "\"",
            "  agentId: " + AGENT,
            "  token: \"" + token + "\"",
            "  spoolDirectory: " + dir.resolve("spool"),
            "services:",
            "  enabled: true",
            // The LAN side is watched for names only (DHCP hostnames), not metered.
            "  interfaces: [lan1, lan2]",
            "devices:",
            "  enabled: true",
            "  ipv6Neighbours: []",
            "metrics:",
            "  enabled: false",
            "output:",
            "  jsonLines: " + dir.resolve("seconds.jsonl"),
            ""));
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process agent = network.start("agent", network.router, java, "-jar", agentJar.toString(), "run",
            "--config", agentConfig.toString());
        awaitAgentLog(agent, "capturing on up0");
        awaitAgentLog(agent, "active SIM is ICCID " + ICCID);
        // Each device says who it is in a DHCPREQUEST (option 12), on the LAN only: before the counters are read,
        // once the metadata capture listens there (it opens after the first SIM poll).
        awaitAgentLog(agent, "learning service names on");
        for (int d = 0; d < 2; d++) {
            final String name = "dhcp-" + d;
            final Process dhcp = startJava(name, masquerade.devices.get(d), "dhcp", deviceMac[d], d == 0 ? DEVICE1 :
                DEVICE2, HOSTNAMES.get(d));
            assertEquals(0, network.awaitExit(dhcp, name, Duration.ofSeconds(30)),
                name + ": " + network.read(network.err(name)));
        }

        final long fromSecond = System.currentTimeMillis() / 1000 - 1;
        final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        final List<Map<String, Counters>> devicesBefore = List.of(LiveNetwork.counters(masquerade.devices.get(0)),
            LiveNetwork.counters(masquerade.devices.get(1)));
        phase(0);
        final Map<String, Counters> afterHome = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        uplink[0] = afterHome.get("up0").minus(before.get("up0"));
        await("the 50 % alert at the webhook", Duration.ofSeconds(20), () -> webhookBodies.size() >= 1,
            () -> webhookBodies + "\n" + collector.log());
        alertsAfterPhase.add(Api.JSON.readTree(webhookBodies.get(0)));

        // Across a border: same SIM, another serving network. Seconds opened after the poll saw it carry 26201.
        writeModemState(ROAMING);
        awaitAgentLog(agent, "now on operator " + ROAMING);
        final long nextSecond = (System.currentTimeMillis() / 1000 + 1) * 1000;
        await("the second after the switch", Duration.ofSeconds(3),
            () -> System.currentTimeMillis() >= nextSecond + 100, () -> "");
        phase(1);
        final Map<String, Counters> afterRoaming = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        uplink[1] = afterRoaming.get("up0").minus(afterHome.get("up0"));
        await("the 80 % alert at the webhook", Duration.ofSeconds(20), () -> webhookBodies.size() >= 2,
            () -> webhookBodies + "\n" + collector.log());
        alertsAfterPhase.add(Api.JSON.readTree(webhookBodies.get(1)));
        for (int d = 0; d < 2; d++) {
            device[d] = LiveNetwork.counters(masquerade.devices.get(d)).get("eth0")
                .minus(devicesBefore.get(d).get("eth0"));
        }

        // SIGTERM: the agent seals its last second and ships everything before it exits.
        LiveNetwork.signal(agent, "TERM");
        agentExitStatus = network.awaitExit(agent, "agent", Duration.ofSeconds(15));
        agentLog = network.read(network.err("agent"));
        assertEquals(afterRoaming.get("up0"), LiveNetwork.counters(network.router).get("up0"),
            "up0 moved after the traffic ended");
        final long toSecond = System.currentTimeMillis() / 1000 + 1;
        profile = api.get("/v1/profiles/" + ICCID, Map.of());
        topDevices = api.get("/v1/top", params("from", fromSecond, "to", toSecond, "by", "device"));
        topServices = api.get("/v1/top", params("from", fromSecond, "to", toSecond, "by", "service"));
        // Another check or two of the thresholds after everything is stored: nothing more may fire.
        final long checkedUntil = System.currentTimeMillis() + 2500;
        await("two more alert checks", Duration.ofSeconds(5), () -> System.currentTimeMillis() >= checkedUntil,
            () -> "");
        alerts = api.get("/v1/alerts", Map.of());
        webhookAfterRun = List.copyOf(webhookBodies);

        // For the report.
        System.out.printf("TravelRouterLiveIT: up0 home %s, roaming %s; device %s %s, %s %s; dns %s %s%n",
            uplink[0], uplink[1], deviceMac[0], device[0], deviceMac[1], device[1],
            List.of(dnsBytes[0][0], dnsBytes[0][1]), List.of(dnsBytes[1][0], dnsBytes[1][1]));
        System.out.println("TravelRouterLiveIT: profile " + profile);
        System.out.println("TravelRouterLiveIT: by device " + topDevices.get("groups"));
        System.out.println("TravelRouterLiveIT: by service " + topServices.get("groups"));
        System.out.println("TravelRouterLiveIT: alerts " + alerts);
    }

    @AfterAll
    static void tearDown() throws IOException {
        try {
            if (collector != null) {
                collector.close();
            }
            if (apiBridge != null) {
                apiBridge.close();
            }
            if (webhookBridge != null) {
                final List<ProcessHandle> forked = webhookBridge.descendants().toList();
                webhookBridge.destroy();
                forked.forEach(ProcessHandle::destroy);
            }
            if (webhook != null) {
                webhook.stop(0);
            }
        } finally {
            try {
                if (network != null) {
                    network.close();
                }
            } finally {
                masquerade.deleteDevices();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ the network

    private static void buildRouter() {
        masquerade.build(network);
        deviceMac[0] = masquerade.deviceMacs.get(0);
        deviceMac[1] = masquerade.deviceMacs.get(1);
        for (final String address : List.of(DNS, VIDEO, MAIL)) {
            run("ip", "-n", network.internet, "addr", "add", address + "/32", "dev", "lo");
        }
    }

    /** Each device fetches its service once: device 0 video.example, device 1 mail.example, one after the other. */
    private static void phase(final int phase) {
        for (int d = 0; d < 2; d++) {
            final String name = "fetch-" + phase + "-" + d;
            final Process fetch = startJava(name, masquerade.devices.get(d), "fetch", DNS, NAMES.get(d),
                String.valueOf(SERVICE_PORT), String.valueOf(PHASE_BYTES[phase][d]));
            assertEquals(0, network.awaitExit(fetch, name, Duration.ofSeconds(30)),
                name + ": " + network.read(network.err(name)));
            // dnsQuery Q dnsAnswer A address ADDR received N
            final String[] report = network.read(network.out(name)).trim().split(" ");
            assertEquals(List.of("dnsQuery", "dnsAnswer", "address", d == 0 ? VIDEO : MAIL, "received",
                String.valueOf(PHASE_BYTES[phase][d])), List.of(report[0], report[2], report[4], report[5], report[6],
                report[7]), name + " : " + String.join(" ", report));
            dnsBytes[d][0] += IP_UDP_HEADERS + Long.parseLong(report[1]);
            dnsBytes[d][1] += IP_UDP_HEADERS + Long.parseLong(report[3]);
        }
    }

    /** {@code java -cp TEST_CLASSES TravelTraffic ARGS} in a namespace (a JVM starts quickly enough without JIT). */
    private static Process startJava(final String name, final String namespace, final String... args) {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC", "-cp", classesDirectory(), TravelTraffic.class.getName()));
        command.addAll(List.of(args));
        return network.start(name, namespace, command.toArray(String[]::new));
    }

    private static String classesDirectory() {
        try {
            return Path.of(TravelTraffic.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (final java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The webhook receiver here, and a bridge so that the collector reaches it at the router namespace's
     * 127.0.0.1:{@link #WEBHOOK_PORT}: socat there listens and connects to a Unix socket in the test's directory,
     * socat here listens on that socket and connects to the receiver (the reverse of {@link PortBridge}).
     */
    private static void startWebhook() throws IOException {
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/hook", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                webhookBodies.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhook.start();
        final Path socket = dir.resolve("webhook.sock");
        webhookBridge = new ProcessBuilder("socat", "UNIX-LISTEN:" + socket + ",fork,unlink-early",
            "TCP:127.0.0.1:" + webhook.getAddress().getPort())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(dir.resolve("webhook-bridge.err").toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
        await("the webhook bridge's socket", Duration.ofSeconds(10), () -> Files.exists(socket),
            () -> network.read(dir.resolve("webhook-bridge.err")));
        network.start("webhook-bridge", network.router, "socat",
            "TCP-LISTEN:" + WEBHOOK_PORT + ",bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:" + socket);
        await("the webhook bridge to listen in the router", Duration.ofSeconds(10),
            () -> inNamespace(network.router, "ss", "-Hltn").contains("127.0.0.1:" + WEBHOOK_PORT),
            () -> network.read(network.err("webhook-bridge")));
    }

    /** A fake mmcli: prints the modem state file, which {@link #writeModemState} replaces whole. */
    private static Path fakeModem(final String operatorCode) throws IOException {
        writeModemState(operatorCode);
        final Path modem = dir.resolve("fake-mmcli");
        Files.writeString(modem, "#!/bin/sh\ncat '" + dir.resolve("modem-state.json") + "'\n");
        Files.setPosixFilePermissions(modem, PosixFilePermissions.fromString("rwxr-xr-x"));
        return modem;
    }

    /** What `mmcli -m any -J; mmcli -i any -J` prints (the agent's fixtures), with this SIM and serving network. */
    private static void writeModemState(final String operatorCode) throws IOException {
        final Path next = dir.resolve("modem-state.next");
        Files.writeString(next, fixture("modem.json").replace("\"26201\"", "\"" + operatorCode + "\"") +
            fixture("sim.json").replace("8944501234567890123", ICCID));
        Files.move(next, dir.resolve("modem-state.json"), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
    }

    private static String fixture(final String name) throws IOException {
        try (InputStream in = TravelRouterLiveIT.class.getResourceAsStream("/mmcli/" + name)) {
            assertTrue(in != null, "/mmcli/" + name + " : not on the class path (the agent's test-jar)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void awaitAgentLog(final Process agent, final String text) {
        await("the agent's log to say \"" + text + "\"", Duration.ofSeconds(30),
            () -> network.read(network.err("agent")).contains(text) || !agent.isAlive(),
            () -> network.read(network.err("agent")));
        assertTrue(agent.isAlive(), "the agent exited: " + network.read(network.err("agent")));
    }




    // ------------------------------------------------------------------------------------------------ expected

    private static long ipBytes(final long bytes, final long packets) {
        return bytes - ETHERNET * packets;
    }

    /** A device sends up (its tx) and receives down (its rx), in IP bytes. */
    private static long deviceUp(final int d) {
        return ipBytes(device[d].txBytes(), device[d].txPackets());
    }

    private static long deviceDown(final int d) {
        return ipBytes(device[d].rxBytes(), device[d].rxPackets());
    }

    /** up0 sends up (tx) and receives down (rx), in IP bytes. */
    private static long uplinkUp(final int phase) {
        return ipBytes(uplink[phase].txBytes(), uplink[phase].txPackets());
    }

    private static long uplinkDown(final int phase) {
        return ipBytes(uplink[phase].rxBytes(), uplink[phase].rxPackets());
    }

    private static long uplinkTotal(final int phase) {
        return uplinkUp(phase) + uplinkDown(phase);
    }

    // ------------------------------------------------------------------------------------------------ the tests

    @Test
    void agentStopsOnSigtermWithStatusZero() {
        assertEquals(0, agentExitStatus, "agent exit status after SIGTERM; log:\n" + agentLog);
    }

    /**
     * Kernel against kernel, no code under test: every byte on up0 was a device's (the agent and the collector talk
     * over the router's loopback, the router itself sends nothing out), so the device sums must be the uplink's.
     */
    @Test
    void everyUplinkByteIsADevicesByTheKernelsCounters() {
        assertEquals(uplinkUp(0) + uplinkUp(1), deviceUp(0) + deviceUp(1), "up: devices' tx vs up0's tx");
        assertEquals(uplinkDown(0) + uplinkDown(1), deviceDown(0) + deviceDown(1), "down: devices' rx vs up0's rx");
    }

    @Test
    void eachDevicesBytesAreItsVethsCountersExactlyAndNoneApproximate() {
        final Map<String, String> expected = new TreeMap<>();
        expected.put(deviceMac[0] + " " + DEVICE1 + " " + HOSTNAMES.get(0), "up " + deviceUp(0) + " down " + deviceDown(0) + " approximate 0");
        expected.put(deviceMac[1] + " " + DEVICE2 + " " + HOSTNAMES.get(1), "up " + deviceUp(1) + " down " + deviceDown(1) + " approximate 0");
        final Map<String, String> actual = new TreeMap<>();
        for (final JsonNode group : topDevices.get("groups")) {
            actual.put(group.get("device").asText() + " " + group.get("address").asText() + " " +
                group.get("hostname").asText(),
                "up " + group.get("up").get("ipBytes").asLong() + " down " + group.get("down").get("ipBytes").asLong() +
                " approximate " + group.get("approximate").get("ipBytes").asLong());
        }
        assertEquals(expected, actual, "/v1/top?by=device: " + topDevices);
    }

    @Test
    void eachServiceHasItsConnectionsBytesAndDnsStaysUnlabelled() {
        final Map<String, String> expected = new TreeMap<>();
        for (int d = 0; d < 2; d++) {
            expected.put(NAMES.get(d), "up " + (deviceUp(d) - dnsBytes[d][0]) + " down " +
                (deviceDown(d) - dnsBytes[d][1]));
        }
        expected.put("null", "up " + (dnsBytes[0][0] + dnsBytes[1][0]) + " down " + (dnsBytes[0][1] + dnsBytes[1][1]));
        final Map<String, String> actual = new TreeMap<>();
        for (final JsonNode group : topServices.get("groups")) {
            actual.put(group.get("service").asText(), "up " + group.get("up").get("ipBytes").asLong() + " down " +
                group.get("down").get("ipBytes").asLong());
        }
        assertEquals(expected, actual, "/v1/top?by=service: " + topServices);
    }

    @Test
    void profileUsageIsTheUplinksKernelCountersInIpBytes() {
        final JsonNode used = profile.get("used");
        assertEquals(PROFILE + " up " + (uplinkUp(0) + uplinkUp(1)) + " down " + (uplinkDown(0) + uplinkDown(1)) +
                " billable " + (uplinkTotal(0) + uplinkTotal(1)) + " uncaptured 0",
            profile.get("id").asText() + " up " + used.get("upBytes").asLong() + " down " +
                used.get("downBytes").asLong() + " billable " + used.get("billableBytes").asLong() + " uncaptured " +
                used.get("uncaptured").get("billableBytes").asLong(), profile.toString());
        assertEquals(uplinkTotal(0) + uplinkTotal(1), profile.get("usedBytes").asLong());
        assertEquals(CAP_BYTES - uplinkTotal(0) - uplinkTotal(1), profile.get("remainingBytes").asLong());
    }

    @Test
    void bytesBeforeTheSwitchAreHomeAndAfterItRoaming() {
        final JsonNode roaming = profile.get("roaming");
        final List<String> networks = new ArrayList<>();
        roaming.get("networks").forEach(n -> networks.add(n.get("network").asText() + " " +
            n.get("billableBytes").asLong() + " home " + n.get("home").asText()));
        // Largest first: phase 1 moved more than phase 2.
        assertEquals(List.of(HOME + " " + uplinkTotal(0) + " home true",
            ROAMING + " " + uplinkTotal(1) + " home false"), networks, roaming.toString());
        assertEquals(uplinkTotal(1), roaming.get("roamingBytes").asLong(), roaming.toString());
        assertEquals(0, roaming.get("unknownNetworkBytes").asLong(), roaming.toString());
    }

    @Test
    void topDevicesAndTopServicesOfTheProfileAddUpToTheKernel() {
        final List<String> devices = new ArrayList<>();
        profile.get("topDevices").get("devices").forEach(entry -> devices.add(entry.get("device").asText() + " " +
            entry.get("hostname").asText() + " " + entry.get("billableBytes").asLong() + " approximate " + entry.get("approximateBytes").asLong()));
        final List<String> expectedDevices = new ArrayList<>(List.of(
            deviceMac[0] + " " + HOSTNAMES.get(0) + " " + (deviceUp(0) + deviceDown(0)) + " approximate 0",
            deviceMac[1] + " " + HOSTNAMES.get(1) + " " + (deviceUp(1) + deviceDown(1)) + " approximate 0"));
        assertEquals(expectedDevices, devices, profile.get("topDevices").toString());
        assertEquals(0, profile.get("topDevices").get("unlabelledBytes").asLong());
        final List<String> services = new ArrayList<>();
        profile.get("topServices").get("services").forEach(entry -> services.add(entry.get("service").asText() +
            " " + entry.get("billableBytes").asLong()));
        assertEquals(List.of(NAMES.get(0) + " " + (deviceUp(0) + deviceDown(0) - dnsBytes[0][0] - dnsBytes[0][1]),
            NAMES.get(1) + " " + (deviceUp(1) + deviceDown(1) - dnsBytes[1][0] - dnsBytes[1][1])), services,
            profile.get("topServices").toString());
        assertEquals(dnsBytes[0][0] + dnsBytes[0][1] + dnsBytes[1][0] + dnsBytes[1][1],
            profile.get("topServices").get("unlabelledBytes").asLong());
    }

    /** The traffic sizes did what {@link #CAP_BYTES} says they should: the test's own premise, from the kernel. */
    @Test
    void phasesCrossedExactlyTwoThresholds() {
        assertTrue(uplinkTotal(0) * 100 >= 50 * CAP_BYTES && uplinkTotal(0) * 100 < 80 * CAP_BYTES,
            "phase 1: " + uplinkTotal(0));
        final long both = uplinkTotal(0) + uplinkTotal(1);
        assertTrue(both * 100 >= 80 * CAP_BYTES && both * 100 < 95 * CAP_BYTES, "both phases: " + both);
    }

    @Test
    void fiftyPercentAfterPhaseOneAndEightyAfterPhaseTwoEachPostedOnce() {
        assertEquals(2, webhookAfterRun.size(), "webhook POSTs: " + webhookAfterRun);
        final long both = uplinkTotal(0) + uplinkTotal(1);
        final long[] bound = {uplinkTotal(0), both};
        final int[] threshold = {50, 80};
        for (int i = 0; i < 2; i++) {
            final JsonNode alert = alertsAfterPhase.get(i);
            assertEquals(PROFILE + " percent " + threshold[i] + " cap " + CAP_BYTES,
                alert.get("profile").asText() + " " + alert.get("kind").asText() + " " +
                alert.get("thresholdPercent").asInt() + " cap " + alert.get("capBytes").asLong(), alert.toString());
            // Fired by a check that saw the threshold reached, at most all of the phase's bytes (the check may run
            // while the phase's last seconds are still on their way).
            final long usedBytes = alert.get("usedBytes").asLong();
            assertTrue(usedBytes * 100 >= threshold[i] * CAP_BYTES && usedBytes <= bound[i],
                threshold[i] + " % alert with usedBytes " + usedBytes + " (phase total " + bound[i] + ")");
        }
        final List<String> listed = new ArrayList<>();
        alerts.get("alerts").forEach(alert -> listed.add(alert.get("thresholdPercent").asInt() + " " +
            alert.get("delivery").get("status").asText()));
        assertEquals(List.of("80 delivered", "50 delivered"), listed, alerts.toString());
    }
}
