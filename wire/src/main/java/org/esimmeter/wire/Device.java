package org.esimmeter.wire;

/**
 * The LAN device a flow's bytes belong to, as the agent named it: {@code key} is its MAC address
 * ("aa:bb:cc:dd:ee:ff") when the agent knows it, else its LAN address; {@code address} its LAN address when known;
 * {@code hostname} what it called itself in DHCP (option 12), when the agent saw it. Missing parts are null.
 */
public record Device(String key, String address, String hostname) {
    public Device {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("device key : empty (expected: a MAC or an IP address)");
        }
        address = address == null || address.isEmpty() ? null : address;
        hostname = hostname == null || hostname.isEmpty() ? null : hostname;
    }
}
