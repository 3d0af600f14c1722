package org.esimmeter.agent.label.service;

import org.esimmeter.agent.label.DhcpListener;

/**
 * Reads a DHCPv4 message (RFC 2131 over BOOTP, RFC 951) for the device table: the client's hardware address, its
 * address, and the host name it announced (option 12, RFC 2132).
 * <pre>
 *  0 op | 1 htype | 2 hlen | 3 hops | 4 xid(4) | 8 secs(2) | 10 flags(2) | 12 ciaddr | 16 yiaddr | 20 siaddr
 *  | 24 giaddr | 28 chaddr(16) | 44 sname(64) | 108 file(128) | 236 magic cookie 99.130.83.99 | 240 options
 * </pre>
 * Reported: DISCOVER, REQUEST and INFORM from the client and ACK from the server — what a device says about itself
 * and what it was given. Not reported: OFFER (not yet taken), NAK, DECLINE and RELEASE (the address is not, or no
 * longer, the device's). The address is yiaddr, else ciaddr, else the requested address (option 50), else 0.
 * Never throws; allocates only the host name.
 */
public final class DhcpMessage {
    static final int OPTIONS_OFFSET = 240;
    static final long MAGIC_COOKIE = 0x63825363L;
    static final int OPTION_PAD = 0;
    static final int OPTION_HOSTNAME = 12;
    static final int OPTION_REQUESTED_ADDRESS = 50;
    static final int OPTION_MESSAGE_TYPE = 53;
    static final int OPTION_END = 255;
    static final int DISCOVER = 1;
    static final int REQUEST = 3;
    static final int ACK = 5;
    static final int INFORM = 8;
    private static final int HTYPE_ETHERNET = 1;

    private DhcpMessage() {
    }

    /** @return true when the message was reported to the listener */
    public static boolean parse(final byte[] message, final int offset, final int length, final DhcpListener listener) {
        try {
            return parseUnchecked(message, offset, Math.min(offset + length, message.length), listener);
        } catch (final RuntimeException e) {
            return false; // backstop: every read is bounds-checked first
        }
    }

    private static boolean parseUnchecked(final byte[] b, final int start, final int end,
        final DhcpListener listener) {
        if (start < 0 || end - start < OPTIONS_OFFSET || DnsAnswers.u32(b, start + 236) != MAGIC_COOKIE ||
            (b[start + 1] & 0xFF) != HTYPE_ETHERNET || (b[start + 2] & 0xFF) != 6) {
            return false;
        }
        int messageType = 0;
        int requested = 0;
        String hostname = null;
        int cursor = start + OPTIONS_OFFSET;
        while (cursor < end) {
            final int code = b[cursor] & 0xFF;
            if (code == OPTION_END) {
                break;
            }
            if (code == OPTION_PAD) {
                cursor++;
                continue;
            }
            if (cursor + 2 > end) {
                break;
            }
            final int length = b[cursor + 1] & 0xFF;
            final int data = cursor + 2;
            if (data + length > end) {
                break;
            }
            if (code == OPTION_MESSAGE_TYPE && length == 1) {
                messageType = b[data] & 0xFF;
            } else if (code == OPTION_REQUESTED_ADDRESS && length == 4) {
                requested = (int) DnsAnswers.u32(b, data);
            } else if (code == OPTION_HOSTNAME) {
                hostname = hostname(b, data, trimNul(b, data, length));
            }
            cursor = data + length;
        }
        final int op = b[start] & 0xFF;
        final boolean fromClient = op == 1 && (messageType == DISCOVER || messageType == REQUEST ||
            messageType == INFORM);
        final boolean ackFromServer = op == 2 && messageType == ACK;
        if (!fromClient && !ackFromServer) {
            return false;
        }
        final int yiaddr = (int) DnsAnswers.u32(b, start + 16);
        final int ciaddr = (int) DnsAnswers.u32(b, start + 12);
        final int address = yiaddr != 0 ? yiaddr : ciaddr != 0 ? ciaddr : requested;
        final long mac = (DnsAnswers.u32(b, start + 28) << 16) | DnsAnswers.u16(b, start + 32);
        listener.onDhcp(mac, address, hostname);
        return true;
    }

    /**
     * The announced name as sent (devices use spaces and apostrophes: "Anna's iPad"), or null when empty or holding
     * anything but printable ASCII: it is shipped and shown, so it must not carry control characters.
     */
    private static String hostname(final byte[] b, final int at, final int length) {
        if (length <= 0) {
            return null;
        }
        final char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            final int c = b[at + i] & 0xFF;
            if (c < 0x20 || c >= 0x7F) {
                return null;
            }
            chars[i] = (char) c;
        }
        return new String(chars);
    }

    /** Some clients count a terminating NUL in option 12's length (RFC 2132 says not to). */
    private static int trimNul(final byte[] b, final int at, final int length) {
        int used = length;
        while (used > 0 && b[at + used - 1] == 0) {
            used--;
        }
        return used;
    }
}
