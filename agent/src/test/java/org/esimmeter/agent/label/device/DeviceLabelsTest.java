package org.esimmeter.agent.label.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceLabelsTest {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final String PHONE = "aa:00:00:00:00:23 192.168.8.23 pixel-7";
    private static final String LAPTOP = "aa:00:00:00:00:24 192.168.8.24 laptop";
    private static final String ARP = """
        IP address       HW type     Flags       HW address            Mask     Device
        192.168.8.23     0x1         0x2         aa:00:00:00:00:23     *        br-lan
        192.168.8.24     0x1         0x2         aa:00:00:00:00:24     *        br-lan
        192.168.8.99     0x1         0x0         00:00:00:00:00:00     *        br-lan
        10.0.0.1         0x1         0x2         02:00:00:00:00:01     *        wwan0
        """;
    private static final String LEASES = """
        1700000000 aa:00:00:00:00:24 192.168.8.24 laptop 01:aa:00:00:00:00:24
        1700000000 aa:00:00:00:00:23 192.168.8.23 * 01:aa:00:00:00:00:23
        duid 00:01:00:01:2c:2f:1e:4b:aa:00:00:00:00:01
        1700000000 1234567 2001:db8::99 tablet 00:01:00:01
        """;
    private static final String NEIGHBOURS = """
        2001:db8::23 dev br-lan lladdr aa:00:00:00:00:23 REACHABLE
        fe80::a800:ff:fe00:24 dev br-lan lladdr aa:00:00:00:00:24 router STALE
        2001:db8::77 dev br-lan FAILED
        """;
    private static final String CONNTRACK = String.join("\n",
        "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.8.23 dst=93.184.216.34 sport=51000 dport=443 " +
            "src=93.184.216.34 dst=10.0.0.2 sport=443 dport=51000 [ASSURED] mark=0 zone=0 use=2",
        "ipv4     2 udp      17 28 src=192.168.8.24 dst=8.8.8.8 sport=40000 dport=53 src=8.8.8.8 dst=10.0.0.2 " +
            "sport=53 dport=1024 mark=0 zone=0 use=2",
        "ipv4     2 tcp      6 100 ESTABLISHED src=10.0.0.2 dst=1.2.3.4 sport=40000 dport=443 src=1.2.3.4 " +
            "dst=10.0.0.2 sport=443 dport=40000 [ASSURED] mark=0 zone=0 use=2",
        "ipv4     2 icmp     1 29 src=192.168.8.23 dst=1.1.1.1 type=8 code=0 id=7 src=1.1.1.1 dst=10.0.0.2 type=0 " +
            "code=0 id=7 mark=0 zone=0 use=2",
        "ipv4     2 icmp     1 29 src=192.168.8.24 dst=1.1.1.1 type=8 code=0 id=9 src=1.1.1.1 dst=10.0.0.2 type=0 " +
            "code=0 id=9 mark=0 zone=0 use=2",
        "ipv4     2 udp      17 28 src=192.168.8.50 dst=9.9.9.9 sport=5000 dport=123 src=9.9.9.9 dst=10.0.0.2 " +
            "sport=123 dport=5000 mark=0 zone=0 use=2",
        "ipv4     2 tcp      6 431999 ESTABLISHED src=203.0.113.5 dst=10.0.0.2 sport=6000 dport=8080 " +
            "src=192.168.8.24 dst=203.0.113.5 sport=80 dport=6000 [ASSURED] mark=0 zone=0 use=2",
        "ipv6     10 tcp      6 117 ESTABLISHED src=2001:0db8:0000:0000:0000:0000:0000:0023 " +
            "dst=2a00:1450:4001:082a:0000:0000:0000:200e sport=50000 dport=443 " +
            "src=2a00:1450:4001:082a:0000:0000:0000:200e dst=2001:0db8:0000:0000:0000:0000:0000:0023 sport=443 " +
            "dport=50000 [ASSURED] mark=0 zone=0 use=2", "");

    @TempDir
    Path directory;

    private DeviceRefresher refresher(final String conntrack, final String arp) throws Exception {
        return refresher(conntrack, arp, LEASES, NEIGHBOURS);
    }

    private DeviceRefresher refresher(final String conntrack, final String arp, final String leases,
        final String neighbours) throws Exception {
        final Path conntrackFile = directory.resolve("nf_conntrack");
        final Path arpFile = directory.resolve("arp");
        Files.writeString(directory.resolve("leases"), leases);
        Files.writeString(directory.resolve("neigh"), neighbours);
        if (conntrack != null) {
            Files.writeString(conntrackFile, conntrack);
        }
        Files.writeString(arpFile, arp);
        final AgentConfig.Devices config = new AgentConfig.Devices(true, conntrackFile.toString(), arpFile.toString(),
            List.of("cat", directory.resolve("neigh").toString()), directory.resolve("leases").toString(), null, null,
            null);
        final DhcpSightings dhcp = new DhcpSightings(16);
        dhcp.onDhcp(0xAA00_0000_0023L, 0, "pixel-7");
        final DeviceRefresher refresher = new DeviceRefresher(config, dhcp, DeviceLabelsTest::router, Set.of("wwan0"),
            0);
        refresher.refresh();
        return refresher;
    }

    private static List<InetAddress> router() {
        try {
            return List.of(InetAddress.getByName("10.0.0.2"), InetAddress.getByName("192.168.8.1"),
                InetAddress.getByName("2001:db8::1"));
        } catch (final UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldNameTheLanSourceOfEachTranslatedConnection() throws Exception {
        final DeviceLabels labels = new DeviceLabels(refresher(CONNTRACK, ARP), Set.of("br-lan"));
        final TestFlows wwan = new TestFlows("wwan0");
        final List<String> seen = new ArrayList<>();
        seen.add(wwan.label(labels, wwan.add(Direction.UP, TCP, "10.0.0.2", 51000, "93.184.216.34", 443)));
        seen.add(wwan.label(labels, wwan.add(Direction.DOWN, TCP, "93.184.216.34", 443, "10.0.0.2", 51000)));
        seen.add(wwan.label(labels, wwan.add(Direction.UP, UDP, "10.0.0.2", 1024, "8.8.8.8", 53)));
        // The router's own connection: no device, and not a guess.
        seen.add(wwan.label(labels, wwan.add(Direction.UP, TCP, "10.0.0.2", 40000, "1.2.3.4", 443)));
        // A LAN address no neighbour table lists: named by its address.
        seen.add(wwan.label(labels, wwan.add(Direction.DOWN, UDP, "9.9.9.9", 123, "10.0.0.2", 5000)));
        // A forwarded port (destination NAT): the LAN server that answers.
        seen.add(wwan.label(labels, wwan.add(Direction.DOWN, TCP, "203.0.113.5", 6000, "10.0.0.2", 8080)));
        // Routed IPv6: the device's own address on the uplink, its MAC from the IPv6 neighbours.
        seen.add(wwan.label(labels, wwan.add(Direction.UP, TCP, "2001:db8::23", 50000, "2a00:1450:4001:82a::200e",
            443)));
        assertEquals(List.of(PHONE, PHONE, LAPTOP, "none", "192.168.8.50 192.168.8.50 null", LAPTOP,
            "aa:00:00:00:00:23 2001:db8::23 pixel-7"), seen);
    }

    @Test
    void shouldGuessAndSaySoWhenConnectionTrackingCannotTell() throws Exception {
        final DeviceLabels labels = new DeviceLabels(refresher(CONNTRACK, ARP), Set.of("br-lan"));
        final TestFlows wwan = new TestFlows("wwan0");
        // Two devices pinging one host share the uplink key (ICMP flows have no ports): the last one listed.
        assertEquals(LAPTOP + " ~", wwan.label(labels, wwan.add(Direction.UP, ICMP, "10.0.0.2", 0, "1.1.1.1", 0)));
        // A connection newer than the last read: the device last seen exactly with that remote address and port.
        assertEquals(PHONE, wwan.label(labels, wwan.add(Direction.UP, TCP, "10.0.0.2", 51000, "93.184.216.34", 443)));
        assertEquals(PHONE + " ~", wwan.label(labels, wwan.add(Direction.UP, TCP, "10.0.0.2", 52000, "93.184.216.34",
            443)));
        // Not seen exactly yet, but connection tracking lists that remote address and port for one device.
        assertEquals(LAPTOP + " ~", wwan.label(labels, wwan.add(Direction.DOWN, UDP, "8.8.8.8", 53, "10.0.0.2",
            1999)));
        // Nothing to go by and two devices: no device at all rather than a coin toss.
        assertEquals("none", wwan.label(labels, wwan.add(Direction.UP, TCP, "10.0.0.2", 53000, "5.5.5.5", 80)));
    }

    @Test
    void shouldGuessFromLanFlowsWhenConnectionTrackingIsUnreadable() throws Exception {
        final DeviceRefresher refresher = refresher(null, ARP);
        assertTrue(!refresher.snapshot().conntrackRead);
        final DeviceLabels labels = new DeviceLabels(refresher, Set.of("br-lan"));
        final TestFlows lan = new TestFlows("br-lan");
        final TestFlows wwan = new TestFlows("wwan0");
        // On the LAN the device is the end that is not the router: exact.
        assertEquals(LAPTOP, lan.label(labels, lan.add(Direction.DOWN, TCP, "192.168.8.24", 5555, "142.250.1.1",
            443)));
        assertEquals(PHONE, lan.label(labels, lan.add(Direction.UP, UDP, "192.168.8.1", 53, "192.168.8.23", 3333)));
        assertEquals(LAPTOP + " ~", wwan.label(labels, wwan.add(Direction.UP, TCP, "10.0.0.2", 7777, "142.250.1.1",
            443)));
        // The DNS answer above came from the router itself: it says nothing about the uplink's port 53.
        assertEquals("none", wwan.label(labels, wwan.add(Direction.UP, UDP, "10.0.0.2", 7778, "8.8.8.8", 53)));
    }

    @Test
    void shouldGuessTheOnlyDeviceWhenThereIsOne() throws Exception {
        final String oneDevice = ARP.lines().filter(line -> !line.contains("192.168.8.24"))
            .reduce("", (a, b) -> a + b + "\n");
        final String oneLease = LEASES.lines().filter(line -> !line.contains("192.168.8.24"))
            .reduce("", (a, b) -> a + b + "\n");
        final String oneNeighbour = NEIGHBOURS.lines().filter(line -> !line.contains("aa:00:00:00:00:24"))
            .reduce("", (a, b) -> a + b + "\n");
        // The carrier's gateway (10.0.0.1 on wwan0) is in the neighbour table too, but it is no LAN device.
        final DeviceLabels labels = new DeviceLabels(refresher(null, oneDevice, oneLease, oneNeighbour), Set.of());
        final TestFlows wwan = new TestFlows("wwan0");
        assertEquals(PHONE + " ~", wwan.label(labels, wwan.add(Direction.UP, UDP, "10.0.0.2", 7778, "8.8.8.8", 53)));
    }

    @Test
    void shouldAllocateNothingPerLabelInSteadyState() throws Exception {
        final DeviceLabels labels = new DeviceLabels(refresher(CONNTRACK, ARP), Set.of("br-lan"));
        final TestFlows wwan = new TestFlows("wwan0");
        wwan.add(Direction.UP, TCP, "10.0.0.2", 51000, "93.184.216.34", 443);
        wwan.add(Direction.UP, ICMP, "10.0.0.2", 0, "1.1.1.1", 0);
        wwan.add(Direction.DOWN, UDP, "9.9.9.9", 123, "10.0.0.2", 5000);
        wwan.add(Direction.UP, TCP, "2001:db8::23", 50000, "2a00:1450:4001:82a::200e", 443);
        wwan.add(Direction.UP, TCP, "10.0.0.2", 53000, "5.5.5.5", 80);
        final FlowLabel into = new FlowLabel();
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().getId();
        long allocated = -1;
        for (int round = 0; round < 20 && allocated != 0; round++) {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 100_000; i++) {
                into.clear();
                labels.label(wwan, i % wwan.flows().size(), into);
            }
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }
        assertEquals(0, allocated, "bytes allocated by 100,000 labels");
    }
}
