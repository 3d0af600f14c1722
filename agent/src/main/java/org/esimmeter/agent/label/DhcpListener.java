package org.esimmeter.agent.label;

/**
 * Told about DHCP messages the agent sees on a LAN interface: a device announcing its hostname (option 12) or
 * being given an address. Called on the metadata capture thread; implementations only update in-memory tables.
 */
@FunctionalInterface
public interface DhcpListener {
    DhcpListener NONE = (mac, ipv4, hostname) -> {
    };

    /**
     * @param mac      the client's hardware address (chaddr), 48 low bits
     * @param ipv4     the client's address (yiaddr/ciaddr/requested address, option 50), 0 if none yet
     * @param hostname option 12, or null when the message carries none
     */
    void onDhcp(long mac, int ipv4, String hostname);
}
