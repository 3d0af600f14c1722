package org.esimmeter.agent.label.device;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveNetwork.inNamespace;
import static org.esimmeter.agent.capture.LiveNetwork.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.MasqueradeRouter;
import org.esimmeter.agent.capture.SavefileReplay;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.FragmentPorts;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;

/**
 * A real masquerading router: two LAN "devices" (namespaces, each on its own veth with its own MAC and address), a
 * router namespace that forwards and masquerades (iptables MASQUERADE) onto an uplink, and a server namespace
 * behind the uplink. Both devices send to the server; the router's uplink and LAN links are captured by tcpdump.
 * Then the router's real {@code /proc/net/nf_conntrack} and {@code /proc/net/arp} are read, and every uplink flow
 * of the capture is labelled through the meter as the agent does at seal time. Judged against the kernel: the IP
 * bytes attributed to each device, each way, equal its veth's counters minus the Ethernet headers.
 * <p>
 * Only the namespaces created here ever see any traffic; all are deleted afterwards.
 */
class DeviceAttributionLiveIT {
    private static final String ROUTER_UP = MasqueradeRouter.ROUTER_UP;
    private static final String SERVER = MasqueradeRouter.INTERNET_DOWN;
    private static final String ROUTER_LAN1 = MasqueradeRouter.ROUTER_LAN1;
    private static final String DEVICE1 = MasqueradeRouter.DEVICE1;
    private static final String ROUTER_LAN2 = MasqueradeRouter.ROUTER_LAN2;
    private static final String DEVICE2 = MasqueradeRouter.DEVICE2;
    private static final int ETHERNET = 14;

    @TempDir
    static Path logs;
    private static LiveNetwork network;
    private static final MasqueradeRouter masquerade = new MasqueradeRouter();
    private static String router;
    private static String device1Mac;
    private static String device2Mac;
    private static Map<String, LiveNetwork.Counters> sent;
    private static Path conntrack;
    private static Path arp;

    @BeforeAll
    static void buildRouterAndSendTraffic() throws Exception {
        LiveNetwork.requireRoot("DeviceAttributionLiveIT");
        LiveNetwork.requireTools("iptables", "tcpdump", "nc", "socat", "ping");
        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(logs);
        masquerade.build(network);
        router = network.router;
        final String internet = network.internet;
        final String d1 = masquerade.devices.get(0);
        final String d2 = masquerade.devices.get(1);
        device1Mac = masquerade.deviceMacs.get(0);
        device2Mac = masquerade.deviceMacs.get(1);

        network.start("udp-sink", internet, "socat", "-u", "UDP-RECV:7003,bind=" + SERVER, "/dev/null");
        final Process tcp1 = network.start("tcp-sink-1", internet, "nc", "-l", SERVER, "7001");
        final Process tcp2 = network.start("tcp-sink-2", internet, "nc", "-l", SERVER, "7002");
        await("the servers to listen", Duration.ofSeconds(10),
            () -> inNamespace(internet, "ss", "-Hltnu").contains(":7002") &&
                inNamespace(internet, "ss", "-Hltnu").contains(":7001") &&
                inNamespace(internet, "ss", "-Hlnu").contains(":7003"),
            () -> inNamespace(internet, "ss", "-Hltnu"));
        final List<Process> dumps = new ArrayList<>();
        for (final String iface : List.of("up0", "lan1", "lan2")) {
            final String name = "tcpdump-" + iface;
            dumps.add(network.start(name, router, "tcpdump", "-Z", "root", "--immediate-mode", "-i", iface, "-s", "128", "-U", "-n", "-w",
                logs.resolve(iface + ".pcap").toString()));
            await(name + " to listen", Duration.ofSeconds(10),
                () -> network.read(network.err(name)).contains("listening on"), () -> network.read(network.err(name)));
        }
        final Map<String, LiveNetwork.Counters> before1 = LiveNetwork.counters(d1);
        final Map<String, LiveNetwork.Counters> before2 = LiveNetwork.counters(d2);

        LiveNetwork.run(new byte[300_000], "ip", "netns", "exec", d1, "nc", "-N", SERVER, "7001");
        inNamespace(d1, "ping", "-q", "-c", "5", "-i", "0.01", "-s", "500", SERVER);
        LiveNetwork.run(new byte[200_000], "ip", "netns", "exec", d2, "nc", "-N", SERVER, "7002");
        LiveNetwork.run(new byte[20_000], "ip", "netns", "exec", d2, "socat", "-u", "-b", "1000", "STDIN",
            "UDP:" + SERVER + ":7003");
        network.awaitExit(tcp1, "tcp-sink-1", Duration.ofSeconds(10));
        network.awaitExit(tcp2, "tcp-sink-2", Duration.ofSeconds(10));
        LiveNetwork.awaitQuiet(router, Duration.ofMillis(500), Duration.ofSeconds(10));
        sent = new TreeMap<>();
        sent.put(device1Mac, LiveNetwork.counters(d1).get("eth0").minus(before1.get("eth0")));
        sent.put(device2Mac, LiveNetwork.counters(d2).get("eth0").minus(before2.get("eth0")));
        for (int i = 0; i < dumps.size(); i++) {
            LiveNetwork.signal(dumps.get(i), "INT");
            network.awaitExit(dumps.get(i), "tcpdump", Duration.ofSeconds(10));
        }
        for (final String iface : List.of("up0", "lan1", "lan2")) {
            // "0 packets dropped by kernel": the capture holds every packet the counters saw.
            final String report = network.read(network.err("tcpdump-" + iface));
            assertTrue(report.contains("\n0 packets dropped by kernel"), iface + ": " + report);
        }
        // The router's tables as the agent in that namespace reads them.
        conntrack = logs.resolve("nf_conntrack");
        arp = logs.resolve("arp");
        Files.writeString(conntrack, inNamespace(router, "cat", "/proc/net/nf_conntrack"));
        Files.writeString(arp, inNamespace(router, "cat", "/proc/net/arp"));
    }

    @AfterAll
    static void removeNamespaces() {
        masquerade.deleteDevices();
        if (network != null) {
            network.close();
        }
    }

    @Test
    void shouldAttributeEveryUplinkByteToTheDeviceThatSentItExactly() throws Exception {
        final DeviceRefresher refresher = refresher(conntrack.toString());
        final DeviceSnapshot snapshot = refresher.snapshot();
        assertTrue(snapshot.conntrackRead);
        // The device table from the router's real neighbour table: MAC and address of each device.
        assertEquals(List.of(device1Mac + " " + DEVICE1, device2Mac + " " + DEVICE2).stream().sorted().toList(),
            List.of(snapshot.devices).stream()
            .map(device -> device.key() + " " + device.address()).sorted().toList());
        final Map<String, long[]> byDevice = labelled(new DeviceLabels(refresher, Set.of()), "up0");
        assertEquals(expected(), text(byDevice));
    }

    @Test
    void shouldSayApproximateWhenConnectionTrackingIsUnreadable() throws Exception {
        final DeviceRefresher refresher = refresher(logs.resolve("no-such-file").toString());
        assertTrue(!refresher.snapshot().conntrackRead);
        final DeviceLabels labels = new DeviceLabels(refresher, Set.of("lan1", "lan2"));
        // The LAN links first (role lan: exact), as the capture thread seals them; then the uplink is guessed from
        // which device talked to each remote address and port: right here, and flagged approximate.
        final Map<String, long[]> lan = labelled(labels, "lan1");
        lan.putAll(labelled(labels, "lan2"));
        final Map<String, long[]> up = labelled(labels, "up0");
        final Map<String, String> approximate = new TreeMap<>();
        expected().forEach((key, value) -> approximate.put(key + " ~", value));
        assertEquals(approximate, text(up));
        // On the LAN side the device sends "down" (the router receives it): its own counters, swapped.
        final Map<String, String> lanExpected = new TreeMap<>();
        sent.forEach((mac, counters) -> lanExpected.put(mac, "up " + (counters.rxBytes() - ETHERNET *
            counters.rxPackets()) + " down " + (counters.txBytes() - ETHERNET * counters.txPackets())));
        assertEquals(lanExpected, text(lan));
    }

    /** What each device sent and received, in IP bytes, from its veth's kernel counters. */
    private static Map<String, String> expected() {
        final Map<String, String> expected = new TreeMap<>();
        sent.forEach((mac, counters) -> expected.put(mac, "up " + (counters.txBytes() - ETHERNET *
            counters.txPackets()) + " down " + (counters.rxBytes() - ETHERNET * counters.rxPackets())));
        return expected;
    }

    private static Map<String, String> text(final Map<String, long[]> byDevice) {
        final Map<String, String> text = new TreeMap<>();
        byDevice.forEach((key, bytes) -> text.put(key, "up " + bytes[Direction.UP] + " down " + bytes[Direction.DOWN]));
        return text;
    }

    private static DeviceRefresher refresher(final String conntrackFile) {
        final AgentConfig.Devices config = new AgentConfig.Devices(true, conntrackFile, arp.toString(), List.of(), "",
            null, null, null);
        final DeviceRefresher refresher = new DeviceRefresher(config, new DhcpSightings(16), () -> {
            try {
                return List.of(InetAddress.getByName(ROUTER_UP), InetAddress.getByName(ROUTER_LAN1),
                    InetAddress.getByName(ROUTER_LAN2));
            } catch (final UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }, Set.of("up0"), 0);
        refresher.refresh();
        return refresher;
    }

    /** Replays one link's capture through the meter, labelling each sealed flow; IP bytes by device and way. */
    private static Map<String, long[]> labelled(final DeviceLabels labels, final String iface) throws Exception {
        final Map<String, long[]> byDevice = new TreeMap<>();
        final FlowLabel into = new FlowLabel();
        final InterfaceMeter meter = new InterfaceMeter(iface, iface, new FlowTable(64, 4096), new FragmentPorts(64),
            (SecondRecord second) -> {
                final FlowTable flows = second.flows();
                for (int i = 0; i < flows.size(); i++) {
                    into.clear();
                    labels.label(second, i, into);
                    final String key = (into.device == null ? "none" : into.device.key()) +
                        (into.approximate ? " ~" : "");
                    byDevice.computeIfAbsent(key, k -> new long[Direction.COUNT])[FlowMeta.direction(
                        flows.meta(i))] += flows.ipBytes(i);
                }
            });
        final SavefileReplay replay = new SavefileReplay(new File(logs.resolve(iface + ".pcap").toString()));
        final PcapHandle handle = replay.open();
        final String warning = replay.run(handle, meter, DirectionRule.ownMac(Addresses.parseMac(LiveNetwork.mac(router, iface))));
        assertEquals(null, warning, "replay of " + iface);
        return byDevice;
    }



}
