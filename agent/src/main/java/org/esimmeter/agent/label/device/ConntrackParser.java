package org.esimmeter.agent.label.device;

/**
 * Parses the kernel's connection tracking table as {@code /proc/net/nf_conntrack} prints it, one connection a line:
 * <pre>
 * ipv4 2 tcp 6 431999 ESTABLISHED src=192.168.8.23 dst=93.184.216.34 sport=51000 dport=443 \
 *     src=93.184.216.34 dst=10.0.0.2 sport=443 dport=51000 [ASSURED] mark=0 zone=0 use=2
 * </pre>
 * The first src/dst/sport/dport are the original direction (as the LAN device sent it), the second the reply
 * direction (as the server answers, after NAT: its destination is the router's public address and port). Lines
 * without the layer-3 prefix (the old {@code /proc/net/ip_conntrack}) are read too. ICMP's {@code id=} and other
 * protocols' keys are ignored: the meter's flow keys carry ports for TCP and UDP only.
 * <p>
 * In place over a byte array, one reused {@link Entry}: nothing is allocated per line. A line that is not a
 * connection is counted and skipped; the first such line is remembered for one warning.
 */
final class ConntrackParser {
    /** One connection; reused for every line, valid only during {@link Consumer#accept}. */
    static final class Entry {
        int protocol;
        long originalSrcHi;
        long originalSrcLo;
        long originalDstHi;
        long originalDstLo;
        int originalSrcPort;
        int originalDstPort;
        long replySrcHi;
        long replySrcLo;
        long replyDstHi;
        long replyDstLo;
        int replySrcPort;
        int replyDstPort;
    }

    @FunctionalInterface
    interface Consumer {
        void accept(Entry entry);
    }

    private static final int MAX_WARNING_CHARS = 160;

    private final Entry entry = new Entry();
    private final AddressText address = new AddressText();
    private int connections;
    private int malformed;
    private String firstProblem;

    /** Parses {@code text[0, length)}; returns the number of connections passed to {@code consumer}. */
    int parse(final byte[] text, final int length, final Consumer consumer) {
        connections = 0;
        malformed = 0;
        firstProblem = null;
        int lineNumber = 0;
        int start = 0;
        while (start < length) {
            int end = start;
            while (end < length && text[end] != '\n') {
                end++;
            }
            lineNumber++;
            if (end > start) {
                final String problem = line(text, start, end);
                if (problem == null) {
                    connections++;
                    consumer.accept(entry);
                } else {
                    malformed++;
                    if (firstProblem == null) {
                        firstProblem = "line " + lineNumber + ": " + problem + ": '" + excerpt(text, start, end) + "'";
                    }
                }
            }
            start = end + 1;
        }
        return connections;
    }

    /** Lines skipped by the last {@link #parse}. */
    int malformed() {
        return malformed;
    }

    /** The first skipped line of the last parse and why, or null. */
    String firstProblem() {
        return firstProblem;
    }

    /** Fills {@link #entry} from one line; returns why it is not a connection, or null. */
    private String line(final byte[] text, final int from, final int to) {
        int at = skipSpaces(text, from, to);
        int end = tokenEnd(text, at, to);
        if (startsWith(text, at, end, "ipv4") || startsWith(text, at, end, "ipv6")) {
            at = skipSpaces(text, tokenEnd(text, skipSpaces(text, end, to), to), to); // family number
            end = tokenEnd(text, at, to);
        }
        // Protocol name, then its number.
        at = skipSpaces(text, end, to);
        end = tokenEnd(text, at, to);
        final int protocol = number(text, at, end);
        if (protocol < 0 || protocol > 255) {
            return "no protocol number";
        }
        final Entry e = entry;
        e.protocol = protocol;
        e.originalSrcPort = 0;
        e.originalDstPort = 0;
        e.replySrcPort = 0;
        e.replyDstPort = 0;
        int sources = 0;
        int destinations = 0;
        int sourcePorts = 0;
        int destinationPorts = 0;
        at = skipSpaces(text, end, to);
        while (at < to) {
            end = tokenEnd(text, at, to);
            if (startsWith(text, at, end, "src=")) {
                if (sources == 2 || !address.parseIp(text, at + 4, end)) {
                    return "bad src";
                }
                if (sources++ == 0) {
                    e.originalSrcHi = address.hi;
                    e.originalSrcLo = address.lo;
                } else {
                    e.replySrcHi = address.hi;
                    e.replySrcLo = address.lo;
                }
            } else if (startsWith(text, at, end, "dst=")) {
                if (destinations == 2 || !address.parseIp(text, at + 4, end)) {
                    return "bad dst";
                }
                if (destinations++ == 0) {
                    e.originalDstHi = address.hi;
                    e.originalDstLo = address.lo;
                } else {
                    e.replyDstHi = address.hi;
                    e.replyDstLo = address.lo;
                }
            } else if (startsWith(text, at, end, "sport=")) {
                final int port = number(text, at + 6, end);
                if (sourcePorts == 2 || port < 0 || port > 0xFFFF) {
                    return "bad sport";
                }
                if (sourcePorts++ == 0) {
                    e.originalSrcPort = port;
                } else {
                    e.replySrcPort = port;
                }
            } else if (startsWith(text, at, end, "dport=")) {
                final int port = number(text, at + 6, end);
                if (destinationPorts == 2 || port < 0 || port > 0xFFFF) {
                    return "bad dport";
                }
                if (destinationPorts++ == 0) {
                    e.originalDstPort = port;
                } else {
                    e.replyDstPort = port;
                }
            }
            at = skipSpaces(text, end, to);
        }
        if (sources != 2 || destinations != 2) {
            return "expected two src= and two dst=";
        }
        if (AddressText.isIpv4(e.originalSrcHi, e.originalSrcLo) != AddressText.isIpv4(e.replyDstHi, e.replyDstLo)) {
            return "mixed address families";
        }
        return null;
    }

    private static int skipSpaces(final byte[] text, int at, final int to) {
        while (at < to && (text[at] == ' ' || text[at] == '\t' || text[at] == '\r')) {
            at++;
        }
        return at;
    }

    private static int tokenEnd(final byte[] text, int at, final int to) {
        while (at < to && text[at] != ' ' && text[at] != '\t' && text[at] != '\r') {
            at++;
        }
        return at;
    }

    private static boolean startsWith(final byte[] text, final int at, final int end, final String prefix) {
        if (end - at < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (text[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** A decimal of at most 9 digits, or -1. */
    private static int number(final byte[] text, final int at, final int end) {
        if (end <= at || end - at > 9) {
            return -1;
        }
        int value = 0;
        for (int i = at; i < end; i++) {
            final int digit = text[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** Printable ASCII of the line, shortened: what the warning shows of bad input. */
    private static String excerpt(final byte[] text, final int from, final int to) {
        final StringBuilder out = new StringBuilder(Math.min(to - from, MAX_WARNING_CHARS));
        for (int i = from; i < to && out.length() < MAX_WARNING_CHARS; i++) {
            final int c = text[i] & 0xFF;
            out.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return to - from > MAX_WARNING_CHARS ? out + "..." : out.toString();
    }
}
