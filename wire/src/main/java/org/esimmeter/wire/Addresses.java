package org.esimmeter.wire;

import io.netty.util.NetUtil;

/** Canonical text of the decoder's 128-bit addresses: dotted quad for IPv4, RFC 5952 for IPv6 (netty's NetUtil). */
public final class Addresses {
    /** High half of the low long of an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
    public static final long IPV4_MAPPED_PREFIX = 0x0000_FFFF_0000_0000L;

    private Addresses() {
    }

    public static String format(final int ipVersion, final long hi, final long lo) {
        if (ipVersion == 4) {
            return NetUtil.intToIpAddress((int) lo);
        }
        final byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (hi >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return NetUtil.bytesToIpAddress(bytes);
    }

    /** "aa:bb:cc:dd:ee:ff" to 48 low bits, as the decoder reads a frame. */
    public static long parseMac(final String text) {
        final String[] parts = text.trim().split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("MAC address : " + text + " (expected: six hex octets, aa:bb:cc:dd:ee:ff)");
        }
        long mac = 0;
        for (final String part : parts) {
            // Hex digits only: Integer.parseInt alone would also take a sign ("+1", "-1").
            if (part.isEmpty() || part.length() > 2 || !isHex(part.charAt(0)) ||
                !isHex(part.charAt(part.length() - 1))) {
                throw new IllegalArgumentException(
                    "MAC address : " + text + " (expected: six hex octets, aa:bb:cc:dd:ee:ff)");
            }
            mac = (mac << 8) | Integer.parseInt(part, 16);
        }
        return mac;
    }

    private static boolean isHex(final char c) {
        return Character.digit(c, 16) >= 0 && c < 128;
    }
}
