package org.esimmeter.agent.privacy;

import org.esimmeter.wire.Addresses;

/**
 * Cuts flow addresses down to a prefix before they leave the agent (e.g. /24 and /48), so the collector never
 * learns which host a device talked to, only which network. Applied where flows are written out, after the flow's
 * device and service were named from the full addresses. Flows that become equal are summed by the collector (it
 * already adds entries of the same flow), so totals stay exact.
 * <p>
 * Masks are precomputed: two ANDs per address, no allocation.
 */
public final class AddressTruncation {
    /** Keeps every address whole. */
    public static final AddressTruncation NONE = new AddressTruncation(32, 128);

    private final int ipv4PrefixLength;
    private final int ipv6PrefixLength;
    private final long ipv4LoMask;
    private final long ipv6HiMask;
    private final long ipv6LoMask;

    /**
     * @param ipv4PrefixLength bits of an IPv4 address kept, 0..32
     * @param ipv6PrefixLength bits of an IPv6 address kept, 0..128
     */
    public AddressTruncation(final int ipv4PrefixLength, final int ipv6PrefixLength) {
        if (ipv4PrefixLength < 0 || ipv4PrefixLength > 32) {
            throw new IllegalArgumentException("ipv4PrefixLength : " + ipv4PrefixLength + " (expected: 0..32)");
        }
        if (ipv6PrefixLength < 0 || ipv6PrefixLength > 128) {
            throw new IllegalArgumentException("ipv6PrefixLength : " + ipv6PrefixLength + " (expected: 0..128)");
        }
        this.ipv4PrefixLength = ipv4PrefixLength;
        this.ipv6PrefixLength = ipv6PrefixLength;
        // IPv4 sits in the low 32 bits of lo behind the ::ffff: prefix, which stays.
        this.ipv4LoMask = Addresses.IPV4_MAPPED_PREFIX | (highBits(ipv4PrefixLength + 32) & 0xFFFF_FFFFL);
        this.ipv6HiMask = highBits(Math.min(ipv6PrefixLength, 64));
        this.ipv6LoMask = highBits(Math.max(ipv6PrefixLength - 64, 0));
    }

    /** A long with its top {@code bits} bits set (0..64). */
    private static long highBits(final int bits) {
        return bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    public boolean truncates() {
        return ipv4PrefixLength < 32 || ipv6PrefixLength < 128;
    }

    public long hi(final int ipVersion, final long hi) {
        return ipVersion == 4 ? hi : hi & ipv6HiMask;
    }

    public long lo(final int ipVersion, final long lo) {
        return ipVersion == 4 ? lo & ipv4LoMask : lo & ipv6LoMask;
    }

    public int ipv4PrefixLength() {
        return ipv4PrefixLength;
    }

    public int ipv6PrefixLength() {
        return ipv6PrefixLength;
    }
}
