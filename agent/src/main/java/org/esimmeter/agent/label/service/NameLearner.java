package org.esimmeter.agent.label.service;

import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.label.DhcpListener;

/**
 * Learns names from one frame of the metadata capture: the project's {@link PacketDecoder} finds the IP header and
 * ports, then the UDP or TCP payload goes to the parser its ports call for — DNS responses (source port 53, UDP or
 * TCP), DHCP (UDP port 67 or 68), a TLS ClientHello (any TCP payload opening a handshake record). Frames arrive as a
 * {@code byte[]} copy: the parsers index arrays, so a parser bug is an exception caught here, never a read of
 * foreign memory; the decoder reads a direct copy allocated once.
 * <p>
 * Not learned: IPv6 packets with extension headers other than a lone fragment header before TCP/UDP, and non-first
 * fragments (no ports: the BPF filter passes neither anyway), multicast DNS (port 5353 names LAN devices, never the remote end of a metered flow), QUIC (its
 * Initial packet, SNI included, is encrypted with keys derived from the connection id: decrypting it per packet is
 * more than a meter should do) and DNS over TLS/HTTPS (encrypted). Single-threaded: one learner per capture thread.
 */
public final class NameLearner {
    public static final int NOTHING = 0;
    public static final int DNS = 1;
    public static final int TLS = 2;
    public static final int DHCP = 3;

    static final int PORT_DNS = 53;
    static final int PORT_DHCP_SERVER = 67;
    static final int PORT_DHCP_CLIENT = 68;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int PROTO_IPV6_FRAGMENT = 44;

    /** Where learned names go: {@link ServiceNames} in the agent. */
    public interface Names {
        /** A DNS answer: {@code name} resolved to the address (IPv4 mapped in {@code lo}). */
        void learnAddress(long hi, long lo, String name, long ttlSeconds, long nowMillis);

        /** A TLS ClientHello from the client to the server asked for {@code name}. */
        void learnServerName(long clientHi, long clientLo, int clientPort, long serverHi, long serverLo,
            int serverPort, String name, long nowMillis);
    }

    private final Names names;
    private final DhcpListener dhcp;
    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();
    private final ByteBuffer direct;
    private final long directAddress;
    private long nowMillis;
    private int learned;

    private final DnsAnswers.Sink onAddress;

    /** @param maxFrameLength the longest frame decoded (the metadata handle's snaplen); longer ones are cut */
    public NameLearner(final Names names, final DhcpListener dhcp, final int maxFrameLength) {
        this.names = names;
        this.dhcp = dhcp;
        this.onAddress = (ipVersion, hi, lo, name, ttlSeconds) -> {
            learned++;
            names.learnAddress(hi, lo, name, ttlSeconds, this.nowMillis);
        };
        this.direct = ByteBuffer.allocateDirect(maxFrameLength);
        this.directAddress = PlatformDependent.directBufferAddress(direct);
    }

    /**
     * @param linkType       the handle's DLT
     * @param frame          the captured bytes
     * @param capturedLength bytes of {@code frame} that were captured
     * @return {@link #NOTHING}, {@link #DNS}, {@link #TLS} or {@link #DHCP}: what the frame taught
     */
    public int onFrame(final int linkType, final byte[] frame, final int capturedLength, final long nowMillis) {
        try {
            return learn(linkType, frame, Math.min(Math.min(capturedLength, frame.length), direct.capacity()),
                nowMillis);
        } catch (final RuntimeException e) {
            return NOTHING; // the parsers catch their own; this keeps the metadata thread alive whatever happens
        }
    }

    private int learn(final int linkType, final byte[] frame, final int length, final long nowMillis) {
        PlatformDependent.copyMemory(frame, 0, directAddress, length);
        if (decoder.decode(linkType, directAddress, length, packet) != PacketDecoder.IP ||
            packet.fragment() == DecodedPacket.LATER_FRAGMENT) {
            return NOTHING;
        }
        final int protocol = packet.protocol();
        if (protocol != PROTO_TCP && protocol != PROTO_UDP) {
            return NOTHING;
        }
        final int network = packet.networkOffset();
        // Ethernet pads short frames: the IP packet's own length bounds the payload.
        final int ipEnd = Math.min(length, network + packet.ipLength());
        final int transport;
        if (packet.ipVersion() == 4) {
            transport = network + ((frame[network] & 0x0F) << 2);
        } else if ((frame[network + 6] & 0xFF) == protocol) {
            transport = network + 40;
        } else if ((frame[network + 6] & 0xFF) == PROTO_IPV6_FRAGMENT && network + 48 <= length &&
            (frame[network + 40] & 0xFF) == protocol) {
            transport = network + 48; // the first fragment of a large DNS answer: its complete records count
        } else {
            return NOTHING; // extension headers: see the class comment
        }
        final int srcPort = packet.srcPort();
        final int dstPort = packet.dstPort();
        this.nowMillis = nowMillis;
        if (protocol == PROTO_UDP) {
            if (transport + 8 > ipEnd) {
                return NOTHING;
            }
            final int payload = transport + 8;
            final int end = Math.min(ipEnd, transport + Math.max(8, DnsAnswers.u16(frame, transport + 4)));
            if (srcPort == PORT_DNS) {
                return dns(frame, payload, end);
            }
            if (srcPort == PORT_DHCP_SERVER || srcPort == PORT_DHCP_CLIENT || dstPort == PORT_DHCP_SERVER ||
                dstPort == PORT_DHCP_CLIENT) {
                return DhcpMessage.parse(frame, payload, end - payload, dhcp) ? DHCP : NOTHING;
            }
            return NOTHING;
        }
        if (transport + 20 > ipEnd) {
            return NOTHING;
        }
        final int payload = transport + ((frame[transport + 12] & 0xF0) >>> 2);
        if (payload < transport + 20 || payload >= ipEnd) {
            return NOTHING;
        }
        if (srcPort == PORT_DNS) {
            // DNS over TCP: a 2-byte length, then the message; a segment that does not start one teaches nothing.
            return payload + 2 <= ipEnd ? dns(frame, payload + 2, Math.min(ipEnd, payload + 2 +
                DnsAnswers.u16(frame, payload))) : NOTHING;
        }
        final String serverName = TlsClientHello.serverName(frame, payload, ipEnd - payload);
        if (serverName == null) {
            return NOTHING;
        }
        names.learnServerName(packet.srcHi(), packet.srcLo(), srcPort, packet.dstHi(), packet.dstLo(), dstPort,
            serverName, nowMillis);
        return TLS;
    }

    private int dns(final byte[] frame, final int from, final int to) {
        learned = 0;
        DnsAnswers.parse(frame, from, to - from, onAddress);
        return learned > 0 ? DNS : NOTHING;
    }
}
