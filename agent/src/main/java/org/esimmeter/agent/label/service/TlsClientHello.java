package org.esimmeter.agent.label.service;

/**
 * Reads the server name (SNI, RFC 6066 section 3) from a TLS ClientHello at the start of a TCP segment's payload.
 * <pre>
 * record:    type 0x16 (1) | version (2) | length (2)
 * handshake: type 0x01 (1) | length (3) | client_version (2) | random (32)
 *            | session_id (1 + n) | cipher_suites (2 + n) | compression_methods (1 + n) | extensions (2 + n)
 * extension: type (2) | length (2) | data; server_name is type 0:
 *            list length (2) | name_type 0 (1) | host_name length (2) | host_name
 * </pre>
 * Only what the first segment holds, in the first record, is read: a ClientHello whose server_name extension lies
 * beyond them (large post-quantum key shares push a browser's ClientHello past one segment, and browsers shuffle
 * the order of extensions) yields nothing, and the flow is then named from DNS alone. Reassembling TCP for that
 * would cost per-flow state in the slow path for a name that DNS usually gives anyway. With Encrypted Client Hello
 * the name read is the outer, public one. Never throws; allocates only the returned name.
 */
public final class TlsClientHello {
    static final int CONTENT_HANDSHAKE = 0x16;
    static final int HANDSHAKE_CLIENT_HELLO = 0x01;
    static final int EXTENSION_SERVER_NAME = 0;
    static final int NAME_TYPE_HOST = 0;
    private static final int RECORD_HEADER_LENGTH = 5;
    private static final int RANDOM_LENGTH = 32;

    private TlsClientHello() {
    }

    /** The host name, lower case and without a trailing dot, or null when the payload shows none. */
    public static String serverName(final byte[] payload, final int offset, final int length) {
        try {
            return serverNameUnchecked(payload, offset, Math.min(offset + length, payload.length));
        } catch (final RuntimeException e) {
            return null; // backstop: every read is bounds-checked first
        }
    }

    private static String serverNameUnchecked(final byte[] b, final int start, final int available) {
        if (start < 0 || available - start < RECORD_HEADER_LENGTH + 4 || (b[start] & 0xFF) != CONTENT_HANDSHAKE ||
            (b[start + 1] & 0xFF) != 3 || (b[start + RECORD_HEADER_LENGTH] & 0xFF) != HANDSHAKE_CLIENT_HELLO) {
            return null;
        }
        final int recordEnd = start + RECORD_HEADER_LENGTH + DnsAnswers.u16(b, start + 3);
        final int handshakeEnd = start + RECORD_HEADER_LENGTH + 4 + u24(b, start + RECORD_HEADER_LENGTH + 1);
        // Read within what was captured, the record, and the handshake message: never across a record boundary.
        final int end = Math.min(available, Math.min(recordEnd, handshakeEnd));
        int cursor = start + RECORD_HEADER_LENGTH + 4 + 2 + RANDOM_LENGTH;
        if (cursor + 1 > end) {
            return null;
        }
        cursor += 1 + (b[cursor] & 0xFF); // session_id
        if (cursor + 2 > end) {
            return null;
        }
        cursor += 2 + DnsAnswers.u16(b, cursor); // cipher_suites
        if (cursor + 1 > end) {
            return null;
        }
        cursor += 1 + (b[cursor] & 0xFF); // compression_methods
        if (cursor + 2 > end) {
            return null;
        }
        final int extensionsEnd = Math.min(end, cursor + 2 + DnsAnswers.u16(b, cursor));
        cursor += 2;
        while (cursor + 4 <= extensionsEnd) {
            final int type = DnsAnswers.u16(b, cursor);
            final int length = DnsAnswers.u16(b, cursor + 2);
            cursor += 4;
            if (cursor + length > extensionsEnd) {
                return null;
            }
            if (type == EXTENSION_SERVER_NAME) {
                return firstHostName(b, cursor, cursor + length);
            }
            cursor += length;
        }
        return null;
    }

    /** The first host_name entry of a server_name list. */
    private static String firstHostName(final byte[] b, final int start, final int end) {
        if (start + 2 > end) {
            return null;
        }
        final int listEnd = Math.min(end, start + 2 + DnsAnswers.u16(b, start));
        int cursor = start + 2;
        while (cursor + 3 <= listEnd) {
            final int nameType = b[cursor] & 0xFF;
            final int length = DnsAnswers.u16(b, cursor + 1);
            cursor += 3;
            if (cursor + length > listEnd) {
                return null;
            }
            if (nameType == NAME_TYPE_HOST) {
                return hostName(b, cursor, length);
            }
            cursor += length;
        }
        return null;
    }

    /**
     * A DNS host name as sent (RFC 6066: ASCII, no trailing dot, though some clients send one), lower case; null
     * when empty, longer than 253 characters, or holding anything but printable ASCII without '/' or spaces.
     */
    static String hostName(final byte[] b, final int at, final int length) {
        int used = length;
        if (used > 0 && b[at + used - 1] == '.') {
            used--;
        }
        if (used <= 0 || used > 253) {
            return null;
        }
        final char[] chars = new char[used];
        for (int i = 0; i < used; i++) {
            final int c = b[at + i] & 0xFF;
            if (c <= 0x20 || c >= 0x7F || c == '/') {
                return null;
            }
            chars[i] = (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        return new String(chars);
    }

    private static int u24(final byte[] b, final int at) {
        return ((b[at] & 0xFF) << 16) | DnsAnswers.u16(b, at + 1);
    }
}
