package org.esimmeter.agent.capture;

import static org.esimmeter.agent.capture.LiveNetwork.inNamespace;
import static org.esimmeter.agent.capture.LiveNetwork.run;

import java.util.ArrayList;
import java.util.List;

/**
 * A travel router in namespaces: two LAN devices (each its own namespace, veth {@code eth0}, MAC and address; IPv6
 * off) on the router's {@code lan1} and {@code lan2}, and the router masquerading (iptables) onto its uplink
 * {@code up0} towards the internet namespace ({@code down0}, the router's default route). Neighbours are
 * permanent everywhere: no ARP frame crosses a link, so interface counters hold only the test's traffic.
 * The device namespaces are the caller's to delete ({@link #deleteDevices}); the router and internet are the
 * {@link LiveNetwork}'s.
 */
public final class MasqueradeRouter {
    public static final String ROUTER_UP = "10.77.2.1";
    public static final String INTERNET_DOWN = "10.77.2.2";
    public static final String ROUTER_LAN1 = "10.77.1.1";
    public static final String DEVICE1 = "10.77.1.11";
    public static final String ROUTER_LAN2 = "10.77.3.1";
    public static final String DEVICE2 = "10.77.3.12";

    /** The two device namespaces, in order (device 1, device 2). */
    public final List<String> devices = new ArrayList<>(2);
    /** Their eth0 MAC addresses, in the same order. */
    public final List<String> deviceMacs = new ArrayList<>(2);

    /**
     * Builds it on {@code network}'s router and internet namespaces (added here). Namespaces are recorded as they are
     * made, so {@link #deleteDevices} also cleans up after a build that failed halfway.
     */
    public MasqueradeRouter build(final LiveNetwork network) {
        final MasqueradeRouter built = this;
        network.addNamespaces();
        final String router = network.router;
        final String internet = network.internet;
        final String suffix = router.substring("em-r-".length());
        for (final String name : List.of("em-a-" + suffix, "em-b-" + suffix)) {
            run("ip", "netns", "add", name);
            built.devices.add(name);
            run("ip", "-n", name, "link", "set", "lo", "up");
            inNamespace(name, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && " +
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6");
        }
        final String d1 = built.devices.get(0);
        final String d2 = built.devices.get(1);
        LiveNetwork.veth(router, "up0", ROUTER_UP + "/30", internet, "down0", INTERNET_DOWN + "/30");
        LiveNetwork.veth(router, "lan1", ROUTER_LAN1 + "/24", d1, "eth0", DEVICE1 + "/24");
        LiveNetwork.veth(router, "lan2", ROUTER_LAN2 + "/24", d2, "eth0", DEVICE2 + "/24");
        run("ip", "-n", router, "route", "add", "default", "via", INTERNET_DOWN);
        built.deviceMacs.add(LiveNetwork.mac(d1, "eth0"));
        built.deviceMacs.add(LiveNetwork.mac(d2, "eth0"));
        LiveNetwork.permanentNeighbour(router, DEVICE1, built.deviceMacs.get(0), "lan1");
        LiveNetwork.permanentNeighbour(router, DEVICE2, built.deviceMacs.get(1), "lan2");
        LiveNetwork.permanentNeighbour(router, INTERNET_DOWN, LiveNetwork.mac(internet, "down0"), "up0");
        LiveNetwork.permanentNeighbour(internet, ROUTER_UP, LiveNetwork.mac(router, "up0"), "down0");
        LiveNetwork.permanentNeighbour(d1, ROUTER_LAN1, LiveNetwork.mac(router, "lan1"), "eth0");
        LiveNetwork.permanentNeighbour(d2, ROUTER_LAN2, LiveNetwork.mac(router, "lan2"), "eth0");
        run("ip", "-n", d1, "route", "add", "default", "via", ROUTER_LAN1);
        run("ip", "-n", d2, "route", "add", "default", "via", ROUTER_LAN2);
        inNamespace(router, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
        inNamespace(router, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "up0", "-j", "MASQUERADE");
        return built;
    }

    /** Removes the device namespaces made so far. */
    public void deleteDevices() {
        for (final String namespace : devices) {
            LiveNetwork.execute(null, "ip", "netns", "delete", namespace);
        }
    }
}
