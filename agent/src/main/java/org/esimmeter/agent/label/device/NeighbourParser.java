package org.esimmeter.agent.label.device;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Reads the tables that tie a LAN address to a MAC (and a name): the kernel's IPv4 neighbour table
 * ({@code /proc/net/arp}), {@code ip -6 neigh} output for IPv6, and dnsmasq's leases file (GL.iNet/OpenWrt
 * {@code /tmp/dhcp.leases}). Called by the refresher only; small texts, so plain strings. A line that does not
 * parse is counted and skipped, the first one kept for one warning.
 */
final class NeighbourParser {
    @FunctionalInterface
    interface Sink {
        /** @param hostname the name the device gave, or null */
        void sighting(long mac, long hi, long lo, String hostname);
    }

    private final AddressText address = new AddressText();
    private final Set<String> uplinks;
    private int malformed;
    private String firstProblem;

    /**
     * @param uplinks interfaces whose neighbours are not LAN devices (the carrier's gateway on an Ethernet uplink)
     */
    NeighbourParser(final Set<String> uplinks) {
        this.uplinks = Set.copyOf(uplinks);
    }

    int malformed() {
        return malformed;
    }

    String firstProblem() {
        return firstProblem;
    }

    /**
     * {@code /proc/net/arp}: a header, then "IP address  HW type  Flags  HW address  Mask  Device". Flags 0x0 is an
     * incomplete entry (no answer yet): skipped, like the all-zero MAC.
     */
    int arp(final String text, final Sink sink) {
        reset();
        int found = 0;
        final String[] lines = text.split("\n");
        for (int i = 1; i < lines.length; i++) {
            final String[] fields = fields(lines[i]);
            if (fields.length == 0) {
                continue;
            }
            if (fields.length < 6) {
                problem(i + 1, "expected 6 fields", lines[i]);
                continue;
            }
            final long mac = mac(fields[3]);
            if (!address.parseIp(fields[0]) || mac < 0 || !fields[2].startsWith("0x")) {
                problem(i + 1, "bad address, flags or MAC", lines[i]);
                continue;
            }
            if ("0x0".equals(fields[2]) || mac == 0 || uplinks.contains(fields[5])) {
                continue;
            }
            sink.sighting(mac, address.hi, address.lo, null);
            found++;
        }
        return found;
    }

    /**
     * {@code ip neigh show} lines: "ADDRESS dev IF lladdr MAC [router] [proxy] STATE". Entries without a link-layer
     * address (FAILED, INCOMPLETE) are skipped.
     */
    int ipNeigh(final String text, final Sink sink) {
        reset();
        int found = 0;
        final String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            final String[] fields = fields(lines[i]);
            if (fields.length == 0) {
                continue;
            }
            if (!address.parseIp(fields[0])) {
                problem(i + 1, "bad address", lines[i]);
                continue;
            }
            long mac = -1;
            boolean uplink = false;
            for (int f = 1; f + 1 < fields.length; f++) {
                if ("lladdr".equals(fields[f])) {
                    mac = mac(fields[f + 1]);
                } else if ("dev".equals(fields[f])) {
                    uplink = uplinks.contains(fields[f + 1]);
                }
            }
            final String state = fields[fields.length - 1];
            if (mac <= 0 || uplink || "FAILED".equals(state) || "INCOMPLETE".equals(state)) {
                continue;
            }
            sink.sighting(mac, address.hi, address.lo, null);
            found++;
        }
        return found;
    }

    /**
     * dnsmasq's leases: "EXPIRY MAC IP HOSTNAME CLIENT-ID", hostname "*" when the client sent none. DHCPv6 leases
     * (after the "duid" line) carry no MAC: skipped.
     */
    int leases(final String text, final Sink sink) {
        reset();
        int found = 0;
        final String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            final String[] fields = fields(lines[i]);
            if (fields.length == 0 || "duid".equals(fields[0])) {
                continue;
            }
            if (fields.length < 4) {
                problem(i + 1, "expected EXPIRY MAC IP HOSTNAME", lines[i]);
                continue;
            }
            final long mac = mac(fields[1]);
            if (mac < 0) {
                // DHCPv6: the second field is an IAID, not a MAC.
                if (fields[1].matches("\\d+")) {
                    continue;
                }
                problem(i + 1, "bad MAC", lines[i]);
                continue;
            }
            if (!address.parseIp(fields[2])) {
                problem(i + 1, "bad address", lines[i]);
                continue;
            }
            sink.sighting(mac, address.hi, address.lo, "*".equals(fields[3]) ? null : fields[3]);
            found++;
        }
        return found;
    }

    private static long mac(final String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return AddressText.parseMac(bytes, 0, bytes.length);
    }

    private static String[] fields(final String line) {
        final String trimmed = line.trim();
        return trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
    }

    private void reset() {
        malformed = 0;
        firstProblem = null;
    }

    private void problem(final int line, final String why, final String text) {
        malformed++;
        if (firstProblem == null) {
            final String shown = text.length() > 160 ? text.substring(0, 160) + "..." : text;
            firstProblem = "line " + line + ": " + why + ": '" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "'";
        }
    }
}
