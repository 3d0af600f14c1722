package org.esimmeter.wire;

/**
 * One unidirectional flow's usage in one second. Addresses are 128-bit (hi, lo); IPv4 sits in the low 32 bits of
 * {@code lo} with the ::ffff: prefix, as the agent's decoder keeps it. {@code device} and {@code service} are what
 * the agent attributed the flow to (null: not known); {@code approximate} says the device was inferred.
 */
public record FlowUsage(
    int direction,
    int ipVersion,
    int protocol,
    long srcHi,
    long srcLo,
    int srcPort,
    long dstHi,
    long dstLo,
    int dstPort,
    long packets,
    long wireBytes,
    long ipBytes,
    Device device,
    boolean approximate,
    String service) {

    public FlowUsage {
        if (approximate && device == null) {
            throw new IllegalArgumentException("approximate : true without a device");
        }
        service = service == null || service.isEmpty() ? null : service;
    }

    /** A flow without labels. */
    public FlowUsage(final int direction, final int ipVersion, final int protocol, final long srcHi, final long srcLo,
        final int srcPort, final long dstHi, final long dstLo, final int dstPort, final long packets,
        final long wireBytes, final long ipBytes) {
        this(direction, ipVersion, protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, packets, wireBytes, ipBytes,
            null, false, null);
    }

    public boolean hasLabels() {
        return device != null || service != null;
    }

    public String src() {
        return Addresses.format(ipVersion, srcHi, srcLo);
    }

    public String dst() {
        return Addresses.format(ipVersion, dstHi, dstLo);
    }
}
