package org.esimmeter.agent.decode;

/**
 * libpcap data link types the decoder understands, by number: pcap4j's {@code DataLinkType} lacks several
 * (LINUX_SLL2, IPV4, IPV6) and live handles report RAW as 12 (14 on OpenBSD) while savefiles say 101.
 */
public final class LinkType {
    public static final int NULL = 0;
    public static final int EN10MB = 1;
    public static final int PPP = 9;
    public static final int RAW = 12;
    public static final int RAW_OPENBSD = 14;
    public static final int PPP_SERIAL = 50;
    public static final int PPP_ETHER = 51;
    public static final int RAW_FILE = 101;
    public static final int LOOP = 108;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    private LinkType() {
    }

    public static boolean isSupported(final int linkType) {
        switch (linkType) {
            case NULL: case EN10MB: case PPP: case RAW: case RAW_OPENBSD: case PPP_SERIAL: case PPP_ETHER:
            case RAW_FILE: case LOOP: case LINUX_SLL: case IPV4: case IPV6: case LINUX_SLL2:
                return true;
            default:
                return false;
        }
    }

    /** True where the frame itself says whether it was sent or received (cooked captures). */
    public static boolean carriesDirection(final int linkType) {
        return linkType == LINUX_SLL || linkType == LINUX_SLL2;
    }

    /** True where the frame carries a source MAC, so our own MAC tells which way it went. */
    public static boolean carriesSourceMac(final int linkType) {
        return linkType == EN10MB;
    }

    /**
     * Bytes libpcap puts in front of each frame that were never on the interface: the cooked header it builds for
     * LINUX_SLL (16) and LINUX_SLL2 (20), and counts in the packet's original length. The kernel's interface
     * counters do not include them, so they come off before captured bytes are compared with those counters.
     */
    public static int pseudoHeaderLength(final int linkType) {
        switch (linkType) {
            case LINUX_SLL: return 16;
            case LINUX_SLL2: return 20;
            default: return 0;
        }
    }

    /**
     * Bytes of link header in front of the IP packet in what the kernel counts on an interface of this link type:
     * 14 for Ethernet, none for raw IP. Cooked captures stand for devices without an Ethernet header (PPP, rmnet,
     * raw-IP modems), whose counters count IP packets (ppp_generic leaves out its 2-byte protocol field): 0. The
     * estimate of uncaptured IP bytes subtracts this per packet.
     */
    public static int kernelHeaderLength(final int linkType) {
        switch (linkType) {
            case EN10MB: return 14;
            case NULL: case LOOP: return 4;
            default: return 0;
        }
    }

    public static String name(final int linkType) {
        switch (linkType) {
            case NULL: return "NULL";
            case EN10MB: return "EN10MB";
            case PPP: return "PPP";
            case RAW: case RAW_OPENBSD: case RAW_FILE: return "RAW";
            case PPP_SERIAL: return "PPP_SERIAL";
            case PPP_ETHER: return "PPP_ETHER";
            case LOOP: return "LOOP";
            case LINUX_SLL: return "LINUX_SLL";
            case IPV4: return "IPV4";
            case IPV6: return "IPV6";
            case LINUX_SLL2: return "LINUX_SLL2";
            default: return "DLT_" + linkType;
        }
    }
}
