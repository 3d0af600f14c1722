package org.esimmeter.wire;

/**
 * One unidirectional flow's usage in one second. Addresses are 128-bit (hi, lo); IPv4 sits in the low 32 bits of
 * {@code lo} with the ::ffff: prefix, as the agent's decoder keeps it.
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
    long ipBytes) {

    public String src() {
        return Addresses.format(ipVersion, srcHi, srcLo);
    }

    public String dst() {
        return Addresses.format(ipVersion, dstHi, dstLo);
    }
}
