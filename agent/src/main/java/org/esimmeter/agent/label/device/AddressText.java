package org.esimmeter.agent.label.device;

import org.esimmeter.wire.Addresses;

/**
 * Reads IP and MAC addresses from ASCII text in place (a range of a byte array), into the decoder's 128-bit form:
 * IPv4 as ::ffff:a.b.c.d in the low long, so an address from a kernel table compares with one from a packet.
 * Reused by one thread: {@link #parseIp} sets {@link #hi} and {@link #lo}; nothing is allocated.
 */
final class AddressText {
    long hi;
    long lo;

    /** @return false (and hi/lo unspecified) unless {@code text[from, to)} is an IPv4 or IPv6 address */
    boolean parseIp(final byte[] text, final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (text[i] == ':') {
                return parseIpv6(text, from, to);
            }
        }
        return parseIpv4(text, from, to);
    }

    boolean parseIp(final String text) {
        final byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            final char c = text.charAt(i);
            bytes[i] = c < 128 ? (byte) c : (byte) '?';
        }
        return parseIp(bytes, 0, bytes.length);
    }

    private boolean parseIpv4(final byte[] text, final int from, final int to) {
        long address = 0;
        int octets = 0;
        int value = -1;
        for (int i = from; i <= to; i++) {
            final int c = i < to ? text[i] : '.';
            if (c == '.') {
                if (value < 0 || ++octets > 4) {
                    return false;
                }
                address = (address << 8) | value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = value < 0 ? c - '0' : value * 10 + (c - '0');
                if (value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        if (octets != 4) {
            return false;
        }
        hi = 0;
        lo = Addresses.IPV4_MAPPED_PREFIX | address;
        return true;
    }

    private boolean parseIpv6(final byte[] text, final int from, final int to) {
        // Groups before "::" shift in from the left; after it they are collected and placed at the end.
        long head0 = 0;
        long head1 = 0;
        int headGroups = 0;
        long tail0 = 0;
        long tail1 = 0;
        int tailGroups = 0;
        boolean compressed = false;
        int i = from;
        if (to - from >= 2 && text[from] == ':' && text[from + 1] == ':') {
            compressed = true;
            i += 2;
        } else if (to > from && text[from] == ':') {
            return false;
        }
        while (i < to) {
            int group = 0;
            int digits = 0;
            while (i < to && digits <= 4) {
                final int digit = Character.digit(text[i], 16);
                if (digit < 0) {
                    break;
                }
                group = (group << 4) | digit;
                digits++;
                i++;
            }
            if (digits == 0 || digits > 4) {
                return false;
            }
            if (compressed) {
                tail0 = (tail0 << 16) | (tail1 >>> 48);
                tail1 = (tail1 << 16) | group;
                tailGroups++;
            } else {
                head0 = (head0 << 16) | (head1 >>> 48);
                head1 = (head1 << 16) | group;
                headGroups++;
            }
            if (i == to) {
                break;
            }
            if (text[i] != ':') {
                return false;
            }
            i++;
            if (i < to && text[i] == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                i++;
            } else if (i == to) {
                return false;
            }
        }
        final int groups = headGroups + tailGroups;
        if (groups > 8 || (!compressed && groups != 8) || (compressed && groups > 7)) {
            return false;
        }
        // head occupies the top headGroups groups: shift it left by the groups that follow it.
        final int shift = (8 - headGroups) * 16;
        long h0 = shiftLeft0(head0, head1, shift);
        long h1 = shiftLeft1(head1, shift);
        hi = h0 | tail0;
        lo = h1 | tail1;
        return true;
    }

    private static long shiftLeft0(final long high, final long low, final int shift) {
        if (shift == 0) {
            return high;
        }
        if (shift >= 128) {
            return 0;
        }
        return shift >= 64 ? low << (shift - 64) : (high << shift) | (low >>> (64 - shift));
    }

    private static long shiftLeft1(final long low, final int shift) {
        return shift >= 64 ? 0 : low << shift;
    }

    /** "aa:bb:cc:dd:ee:ff" in {@code text[from, to)} to its 48 low bits, or -1. */
    static long parseMac(final byte[] text, final int from, final int to) {
        if (to - from != 17) {
            return -1;
        }
        long mac = 0;
        for (int octet = 0; octet < 6; octet++) {
            final int at = from + octet * 3;
            final int high = Character.digit(text[at], 16);
            final int low = Character.digit(text[at + 1], 16);
            if (high < 0 || low < 0 || (octet < 5 && text[at + 2] != ':')) {
                return -1;
            }
            mac = (mac << 8) | (high << 4) | low;
        }
        return mac;
    }

    static String formatMac(final long mac) {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            final int octet = (int) (mac >>> shift) & 0xFF;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0) {
                text.append(':');
            }
        }
        return text.toString();
    }

    static boolean isIpv4(final long hi, final long lo) {
        return hi == 0 && (lo & 0xFFFF_FFFF_0000_0000L) == Addresses.IPV4_MAPPED_PREFIX;
    }

    static String formatIp(final long hi, final long lo) {
        return Addresses.format(isIpv4(hi, lo) ? 4 : 6, hi, lo);
    }
}
