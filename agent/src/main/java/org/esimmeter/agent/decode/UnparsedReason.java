package org.esimmeter.agent.decode;

/** Why a packet landed in the unparsed bucket; counted, never thrown. */
public final class UnparsedReason {
    public static final int NONE = 0;
    /** The link header (or a VLAN/PPPoE/PPP header inside it) is cut short. */
    public static final int TRUNCATED_LINK = 1;
    /** Fewer bytes than a fixed IPv4 (20) or IPv6 (40) header. */
    public static final int TRUNCATED_IP = 2;
    /** The version nibble disagrees with what the link layer announced. */
    public static final int BAD_VERSION = 3;
    /** IPv4 header length below 20, or total length shorter than the header. */
    public static final int BAD_HEADER_LENGTH = 4;
    /** A link type the decoder does not know. */
    public static final int UNSUPPORTED_LINK = 5;
    public static final int COUNT = 6;

    private UnparsedReason() {
    }

    public static String name(final int reason) {
        switch (reason) {
            case NONE: return "none";
            case TRUNCATED_LINK: return "truncated-link";
            case TRUNCATED_IP: return "truncated-ip";
            case BAD_VERSION: return "bad-version";
            case BAD_HEADER_LENGTH: return "bad-header-length";
            case UNSUPPORTED_LINK: return "unsupported-link";
            default: return "reason-" + reason;
        }
    }
}
