package org.esimmeter.agent.label.service;

import static org.esimmeter.agent.frames.Frames.cat;
import static org.esimmeter.agent.frames.Frames.u16;
import static org.esimmeter.agent.frames.Frames.u32;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Test-only builders of the messages the parsers read, written field by field from the RFCs (never from the
 * parsers), and a real ClientHello from the JDK's own TLS client.
 */
final class Messages {
    static final int A = 1;
    static final int NS = 2;
    static final int CNAME = 5;
    static final int AAAA = 28;

    private Messages() {
    }

    /** An uncompressed name: length-prefixed labels and the root's zero. */
    static byte[] name(final String dotted) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final String label : dotted.split("\\.")) {
            final byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.write(0);
        return out.toByteArray();
    }

    /** A compression pointer to {@code offset} from the message's start. */
    static byte[] pointer(final int offset) {
        return new byte[] {(byte) (0xC0 | (offset >>> 8)), (byte) offset};
    }

    /** A resource record: owner (already encoded), type, class IN, TTL, RDATA. */
    static byte[] record(final byte[] owner, final int type, final long ttl, final byte[] rdata) {
        return cat(owner, u16(type), u16(1), u32(ttl), u16(rdata.length), rdata);
    }

    static byte[] address(final String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /**
     * A response: header (QR set, RD RA, NOERROR unless {@code rcode}), one question for {@code asked} type A, then
     * the answer, authority and additional records given.
     */
    static byte[] response(final int rcode, final String asked, final List<byte[]> answers,
        final List<byte[]> authority, final List<byte[]> additional) {
        return cat(u16(0x1234), u16(0x8180 | rcode), u16(1), u16(answers.size()), u16(authority.size()),
            u16(additional.size()), name(asked), u16(A), u16(1), cat(answers.toArray(new byte[0][])),
            cat(authority.toArray(new byte[0][])), cat(additional.toArray(new byte[0][])));
    }

    /** The first TLS record the JDK's client sends, asking for {@code serverName}. */
    static byte[] jdkClientHello(final String serverName) {
        try {
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, null, null);
            final SSLEngine engine = context.createSSLEngine();
            engine.setUseClientMode(true);
            final SSLParameters parameters = engine.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(serverName)));
            engine.setSSLParameters(parameters);
            final ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.beginHandshake();
            engine.wrap(ByteBuffer.allocate(0), out);
            out.flip();
            final byte[] bytes = new byte[out.remaining()];
            out.get(bytes);
            return bytes;
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A ClientHello written field by field (RFC 8446 4.1.2): legacy version, random, empty session id, two cipher
     * suites, null compression, then the extensions given (type, data) in order.
     */
    static byte[] clientHello(final int[] extensionTypes, final byte[][] extensionData) {
        final ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        for (int i = 0; i < extensionTypes.length; i++) {
            extensions.writeBytes(cat(u16(extensionTypes[i]), u16(extensionData[i].length), extensionData[i]));
        }
        final byte[] body = cat(u16(0x0303), new byte[32], new byte[] {0}, u16(4), u16(0x1301), u16(0x1302),
            new byte[] {1, 0}, u16(extensions.size()), extensions.toByteArray());
        final byte[] handshake = cat(new byte[] {1, (byte) (body.length >>> 16), (byte) (body.length >>> 8),
            (byte) body.length}, body);
        return cat(new byte[] {0x16, 3, 1}, u16(handshake.length), handshake);
    }

    /** server_name extension data with one host_name entry. */
    static byte[] serverNameExtension(final String host) {
        final byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        return cat(u16(3 + name.length), new byte[] {0}, u16(name.length), name);
    }

    /**
     * A DHCP message (RFC 2131 section 2): op, Ethernet hardware, addresses, chaddr, empty sname/file, magic cookie,
     * then the options given as raw bytes, and END.
     */
    static byte[] dhcp(final int op, final long mac, final String ciaddr, final String yiaddr, final byte[] options) {
        final byte[] chaddr = new byte[16];
        for (int i = 0; i < 6; i++) {
            chaddr[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return cat(new byte[] {(byte) op, 1, 6, 0}, u32(0xCAFEBABEL), u16(0), u16(0), address(ciaddr),
            address(yiaddr), address("0.0.0.0"), address("0.0.0.0"), chaddr, new byte[64], new byte[128],
            u32(0x63825363L), options, new byte[] {(byte) 255});
    }

    static byte[] option(final int code, final byte[] data) {
        return cat(new byte[] {(byte) code, (byte) data.length}, data);
    }
}
