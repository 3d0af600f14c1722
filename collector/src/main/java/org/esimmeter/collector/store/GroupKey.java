package org.esimmeter.collector.store;

/**
 * The identity of a group; fields that the grouping does not use are null (or 0 for numbers). For AGENT only
 * {@code agent} is set; INTERFACE sets agent and interfaceName (and its profile); PROFILE sets profile; FLOW sets
 * the 5-tuple and direction ("up", "down", "unknown"); DST sets dst, SRC sets src, PROTOCOL sets protocol.
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
    int dstPort) implements Comparable<GroupKey> {

    public static GroupKey ofAgent(final String agent) {
        return new GroupKey(agent, null, null, null, 0, null, 0, null, 0);
    }

    public static GroupKey ofInterface(final String agent, final String interfaceName, final String profile) {
        return new GroupKey(agent, interfaceName, profile, null, 0, null, 0, null, 0);
    }

    public static GroupKey ofProfile(final String profile) {
        return new GroupKey(null, null, profile, null, 0, null, 0, null, 0);
    }

    @Override
    public int compareTo(final GroupKey other) {
        return toString().compareTo(other.toString());
    }
}
