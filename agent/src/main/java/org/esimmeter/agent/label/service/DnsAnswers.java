package org.esimmeter.agent.label.service;

import org.esimmeter.wire.Addresses;

/**
 * Reads the addresses a DNS response (RFC 1035) gives for the name the client asked: the A and AAAA records of the
 * answer section whose owner is the question's name or is reached from it through the answer's CNAME chain. Each
 * is reported under the question's name (what the client asked for, not a CDN's canonical name).
 * <pre>
 *  0               2               4               6               8              10              12
 * +---------------+---------------+---------------+---------------+---------------+---------------+
 * |      ID       |QR|Opcode|..|RCODE| QDCOUNT    |    ANCOUNT    |    NSCOUNT    |    ARCOUNT    |
 * +---------------+---------------+---------------+---------------+---------------+---------------+
 * question: QNAME QTYPE(2) QCLASS(2); each record: NAME TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA
 * </pre>
 * Hostile input is expected: every read is bounded by the bytes given, compression pointers are followed a bounded
 * number of times, and a message that ends early (snaplen, a first IP fragment, a TCP segment) yields the records
 * that were complete. Never throws; allocates only per message (names as strings). Authority and additional records
 * (glue) are ignored: they name name servers, not what the client connects to.
 */
public final class DnsAnswers {
    /** Told about each (address, name) pair a response gives. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param ipVersion  4 or 6
         * @param hi         high 64 bits of the address (0 for IPv4)
         * @param lo         low 64 bits (IPv4 mapped: ::ffff:a.b.c.d)
         * @param name       the question's name, lower case, without the trailing dot
         * @param ttlSeconds the record's time to live
         */
        void onAddress(int ipVersion, long hi, long lo, String name, long ttlSeconds);
    }

    static final int HEADER_LENGTH = 12;
    static final int TYPE_A = 1;
    static final int TYPE_CNAME = 5;
    static final int TYPE_AAAA = 28;
    static final int CLASS_IN = 1;
    /** More answers than this in one response is not a lookup a meter needs to follow. */
    static final int MAX_ANSWERS = 64;
    /** RFC 1035: a name is at most 255 octets on the wire. */
    static final int MAX_NAME_LENGTH = 255;
    private static final int MAX_POINTERS = 16;
    private static final int MAX_CHAIN = 8;

    private DnsAnswers() {
    }

    /**
     * @param message the DNS message (a UDP payload, or a TCP segment's payload after its 2-byte length prefix)
     * @return addresses reported to the sink; 0 for anything that is not a successful response with answers
     */
    public static int parse(final byte[] message, final int offset, final int length, final Sink sink) {
        try {
            return parseUnchecked(message, offset, Math.min(offset + length, message.length), sink);
        } catch (final RuntimeException e) {
            // Bounds are checked before every read; this is the backstop that keeps the metadata thread alive.
            return 0;
        }
    }

    private static int parseUnchecked(final byte[] b, final int start, final int end, final Sink sink) {
        if (start < 0 || end - start < HEADER_LENGTH) {
            return 0;
        }
        final int flags = u16(b, start + 2);
        final boolean response = (flags & 0x8000) != 0;
        final int opcode = (flags >>> 11) & 0xF;
        final int rcode = flags & 0xF;
        final int questions = u16(b, start + 4);
        final int answers = Math.min(u16(b, start + 6), MAX_ANSWERS);
        if (!response || opcode != 0 || rcode != 0 || questions != 1 || answers == 0) {
            return 0;
        }
        final StringBuilder text = new StringBuilder(64);
        int cursor = start + HEADER_LENGTH;
        final String asked = readName(b, start, end, cursor, text);
        cursor = skipName(b, cursor, end);
        if (asked == null || cursor < 0 || cursor + 4 > end) {
            return 0;
        }
        cursor += 4; // QTYPE, QCLASS

        final String[] owners = new String[answers];
        final int[] types = new int[answers];
        final long[] ttls = new long[answers];
        final int[] rdata = new int[answers];
        int complete = 0;
        for (int i = 0; i < answers; i++) {
            final int nameAt = cursor;
            cursor = skipName(b, cursor, end);
            if (cursor < 0 || cursor + 10 > end) {
                break;
            }
            final int type = u16(b, cursor);
            final int rrClass = u16(b, cursor + 2);
            final long ttl = u32(b, cursor + 4);
            final int rdLength = u16(b, cursor + 8);
            cursor += 10;
            if (cursor + rdLength > end) {
                break;
            }
            if (rrClass == CLASS_IN && (type == TYPE_A && rdLength == 4 || type == TYPE_AAAA && rdLength == 16 ||
                type == TYPE_CNAME)) {
                final String owner = readName(b, start, end, nameAt, text);
                if (owner != null) {
                    owners[complete] = owner;
                    types[complete] = type;
                    // RFC 2181 8: a TTL with the top bit set is read as 0.
                    ttls[complete] = ttl > Integer.MAX_VALUE ? 0 : ttl;
                    rdata[complete] = cursor;
                    complete++;
                }
            }
            cursor += rdLength;
        }

        // The names that stand for the question: itself, then each CNAME target in turn.
        final String[] chain = new String[MAX_CHAIN + 1];
        chain[0] = asked;
        int chainLength = 1;
        for (boolean extended = true; extended && chainLength <= MAX_CHAIN; ) {
            extended = false;
            final String last = chain[chainLength - 1];
            for (int i = 0; i < complete; i++) {
                if (types[i] == TYPE_CNAME && owners[i].equals(last)) {
                    final String target = readName(b, start, end, rdata[i], text);
                    if (target != null && !contains(chain, chainLength, target)) {
                        chain[chainLength++] = target;
                        extended = true;
                    }
                    break;
                }
            }
        }

        int reported = 0;
        for (int i = 0; i < complete; i++) {
            if (types[i] == TYPE_CNAME || !contains(chain, chainLength, owners[i])) {
                continue;
            }
            final int at = rdata[i];
            if (types[i] == TYPE_A) {
                sink.onAddress(4, 0, Addresses.IPV4_MAPPED_PREFIX | u32(b, at), asked, ttls[i]);
            } else {
                sink.onAddress(6, u64(b, at), u64(b, at + 8), asked, ttls[i]);
            }
            reported++;
        }
        return reported;
    }

    private static boolean contains(final String[] names, final int count, final String name) {
        for (int i = 0; i < count; i++) {
            if (names[i].equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** The position after the name at {@code at} (its labels, or up to and including its first pointer), or -1. */
    private static int skipName(final byte[] b, final int at, final int end) {
        int cursor = at;
        while (cursor < end) {
            final int length = b[cursor] & 0xFF;
            if (length == 0) {
                return cursor + 1;
            }
            if ((length & 0xC0) == 0xC0) {
                return cursor + 2 <= end ? cursor + 2 : -1;
            }
            if ((length & 0xC0) != 0) {
                return -1; // 0x40 and 0x80 label types are obsolete or reserved
            }
            cursor += 1 + length;
        }
        return -1;
    }

    /**
     * The name at {@code at}, following compression pointers (offsets from {@code start}), lower case and without
     * the root's dot; null when it is malformed, too long, loops, or holds a byte that is not printable ASCII (a
     * service name is shipped and shown: it must not carry control characters).
     */
    static String readName(final byte[] b, final int start, final int end, final int at, final StringBuilder text) {
        text.setLength(0);
        int cursor = at;
        int pointers = 0;
        int wireLength = 0;
        while (cursor >= start && cursor < end) {
            final int length = b[cursor] & 0xFF;
            if (length == 0) {
                return text.length() == 0 ? null : text.toString();
            }
            if ((length & 0xC0) == 0xC0) {
                if (cursor + 2 > end || ++pointers > MAX_POINTERS) {
                    return null;
                }
                cursor = start + (((length & 0x3F) << 8) | (b[cursor + 1] & 0xFF));
                continue;
            }
            if ((length & 0xC0) != 0 || cursor + 1 + length > end) {
                return null;
            }
            wireLength += 1 + length;
            if (wireLength + 1 > MAX_NAME_LENGTH) {
                return null;
            }
            if (text.length() > 0) {
                text.append('.');
            }
            for (int i = cursor + 1; i <= cursor + length; i++) {
                final int c = b[i] & 0xFF;
                if (c <= 0x20 || c >= 0x7F || c == '.') {
                    return null;
                }
                text.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
            }
            cursor += 1 + length;
        }
        return null;
    }

    static int u16(final byte[] b, final int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    static long u32(final byte[] b, final int at) {
        return ((long) u16(b, at) << 16) | u16(b, at + 2);
    }

    static long u64(final byte[] b, final int at) {
        return (u32(b, at) << 32) | u32(b, at + 4);
    }
}
