package org.esimmeter.collector.store;

/**
 * The identity of a group; fields that the grouping does not use are null (or 0 for numbers). For AGENT only
 * {@code agent} is set; INTERFACE sets agent and interfaceName (and its profile); PROFILE sets profile; NETWORK sets
 * network ("" when unknown); FLOW sets the 5-tuple and direction ("up", "down", "unknown"); DST sets dst, SRC sets
 * src, PROTOCOL sets protocol; DEVICE sets device (its key) with the address and hostname last reported for it (all
 * null for flows attributed to no device); SERVICE sets service (null for unlabelled flows).
 */
public record GroupKey(
    String agent,
    String interfaceName,
    String profile,
    String direction,
    int protocol,
    String src,
    int srcPort,
    String dst,
    int dstPort,
    String network,
    String device,
    String address,
    String hostname,
    String service) implements Comparable<GroupKey> {

    /** A group of the dimensions that existed before networks, devices and services. */
    public GroupKey(final String agent, final String interfaceName, final String profile, final String direction,
        final int protocol, final String src, final int srcPort, final String dst, final int dstPort) {
        this(agent, interfaceName, profile, direction, protocol, src, srcPort, dst, dstPort, null, null, null, null,
            null);
    }

    public static GroupKey ofAgent(final String agent) {
        return new GroupKey(agent, null, null, null, 0, null, 0, null, 0);
    }

    public static GroupKey ofInterface(final String agent, final String interfaceName, final String profile) {
        return new GroupKey(agent, interfaceName, profile, null, 0, null, 0, null, 0);
    }

    public static GroupKey ofProfile(final String profile) {
        return new GroupKey(null, null, profile, null, 0, null, 0, null, 0);
    }

    public static GroupKey ofNetwork(final String network) {
        return new GroupKey(null, null, null, null, 0, null, 0, null, 0, network, null, null, null, null);
    }

    /** A device group; all null for the flows attributed to no device. */
    public static GroupKey ofDevice(final String device, final String address, final String hostname) {
        return new GroupKey(null, null, null, null, 0, null, 0, null, 0, null, device, address, hostname, null);
    }

    public static GroupKey ofService(final String service) {
        return new GroupKey(null, null, null, null, 0, null, 0, null, 0, null, null, null, null, service);
    }

    @Override
    public int compareTo(final GroupKey other) {
        return toString().compareTo(other.toString());
    }
}
