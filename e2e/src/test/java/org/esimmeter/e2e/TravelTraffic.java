package org.esimmeter.e2e;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * The two ends of {@link TravelRouterLiveIT}'s traffic, run as their own JVMs inside the test's namespaces (a JVM
 * lives in one network namespace: {@code ip netns exec NS java -cp TEST_CLASSES ...}). JDK only, no payload anyone
 * parses but the agent's metadata capture.
 * <ul>
 * <li>{@code serve DNS_ADDRESS PORT NAME=ADDRESS...}: a DNS server on DNS_ADDRESS:53 (UDP) answering one A record
 *     per configured name, and a TCP server on each ADDRESS:PORT. A connection starts with one TLS record (the
 *     client's ClientHello, read and ignored) and a 4-byte count; the server sends that many bytes, closes its side
 *     and waits for the client's close. Prints {@code ready} once everything listens.</li>
 * <li>{@code fetch DNS_ADDRESS NAME PORT BYTES}: resolves NAME by one DNS query, connects to the answer, sends a real
 *     ClientHello (the JDK's, SNI = NAME) and BYTES, reads exactly BYTES until the server's close, closes. Prints
 *     {@code dnsQuery Q dnsAnswer A address ADDR received N}: the DNS payload sizes, so the caller can tell the IP
 *     bytes of the DNS exchange (two datagrams, 28 bytes of IPv4 and UDP headers each) from the connection's.</li>
 * </ul>
 */
public final class TravelTraffic {
    private static final int TTL_SECONDS = 300;
    private static final int TIMEOUT_MILLIS = 10_000;

    private TravelTraffic() {
    }

    public static void main(final String[] args) throws Exception {
        if ("serve".equals(args[0])) {
            final Map<String, InetAddress> names = new LinkedHashMap<>();
            for (final String entry : Arrays.copyOfRange(args, 3, args.length)) {
                final String[] pair = entry.split("=", 2);
                names.put(pair[0], InetAddress.getByName(pair[1]));
            }
            serve(InetAddress.getByName(args[1]), Integer.parseInt(args[2]), names);
        } else if ("fetch".equals(args[0])) {
            fetch(InetAddress.getByName(args[1]), args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        } else if ("dhcp".equals(args[0])) {
            dhcpRequest(args[1], InetAddress.getByName(args[2]), args[3]);
        } else {
            throw new IllegalArgumentException("usage: serve DNS PORT NAME=ADDRESS... | fetch DNS NAME PORT BYTES | " +
                "dhcp MAC ADDRESS HOSTNAME");
        }
    }

    // ------------------------------------------------------------------------------------------------ DHCP

    /**
     * One DHCPREQUEST (RFC 2131) broadcast from port 68, as a phone renewing its lease says who it is: chaddr, the
     * requested address (option 50) and its hostname (option 12). Nobody answers; the router's agent only listens.
     */
    private static void dhcpRequest(final String mac, final InetAddress requested, final String hostname)
        throws IOException {
        final ByteBuffer message = ByteBuffer.allocate(300);
        message.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) 0); // BOOTREQUEST, Ethernet, 6-byte MAC, 0 hops
        message.putInt(0x3903F326).putShort((short) 0).putShort((short) 0x8000); // xid, secs, broadcast flag
        message.put(new byte[16]); // ciaddr, yiaddr, siaddr, giaddr
        for (final String octet : mac.split(":")) {
            message.put((byte) Integer.parseInt(octet, 16));
        }
        message.put(new byte[10 + 64 + 128]); // chaddr padding, sname, file
        message.putInt(0x63825363); // magic cookie
        message.put((byte) 53).put((byte) 1).put((byte) 3); // DHCPREQUEST
        message.put((byte) 50).put((byte) 4).put(requested.getAddress());
        final byte[] name = hostname.getBytes(StandardCharsets.US_ASCII);
        message.put((byte) 12).put((byte) name.length).put(name);
        message.put((byte) 255);
        try (DatagramSocket socket = new DatagramSocket(null)) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(68));
            socket.setBroadcast(true);
            socket.send(new DatagramPacket(message.array(), message.position(),
                new InetSocketAddress(InetAddress.getByName("255.255.255.255"), 67)));
        }
        System.out.println("sent " + message.position());
    }

    // ------------------------------------------------------------------------------------------------ server

    private static void serve(final InetAddress dns, final int port, final Map<String, InetAddress> names)
        throws IOException {
        final DatagramSocket udp = new DatagramSocket(new InetSocketAddress(dns, 53));
        for (final InetAddress address : names.values()) {
            final ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(address, port));
            daemon(() -> accept(server));
        }
        System.out.println("ready");
        System.out.flush();
        final byte[] buffer = new byte[512];
        while (true) {
            final DatagramPacket query = new DatagramPacket(buffer, buffer.length);
            udp.receive(query);
            final byte[] answer = answer(Arrays.copyOf(query.getData(), query.getLength()), names);
            if (answer != null) {
                udp.send(new DatagramPacket(answer, answer.length, query.getSocketAddress()));
            }
        }
    }

    private static void accept(final ServerSocket server) {
        while (true) {
            try {
                final Socket socket = server.accept();
                daemon(() -> sendCount(socket));
            } catch (final IOException e) {
                return;
            }
        }
    }

    private static void sendCount(final Socket socket) {
        try (socket) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            final byte[] header = new byte[5];
            in.readFully(header);
            in.readFully(new byte[((header[3] & 0xff) << 8) | (header[4] & 0xff)]);
            final int count = in.readInt();
            final OutputStream out = socket.getOutputStream();
            final byte[] chunk = new byte[16 * 1024];
            for (int left = count; left > 0; left -= Math.min(left, chunk.length)) {
                out.write(chunk, 0, Math.min(left, chunk.length));
            }
            out.flush();
            socket.shutdownOutput();
            while (in.read(chunk) >= 0) {
                // until the client closes: the server never ends the connection with a reset
            }
        } catch (final IOException e) {
            System.err.println("connection: " + e);
        }
    }

    /** The response to a standard query for one A record of a configured name; null for anything else. */
    static byte[] answer(final byte[] query, final Map<String, InetAddress> names) {
        if (query.length < 12 || (query[2] & 0x80) != 0) {
            return null;
        }
        final StringBuilder name = new StringBuilder();
        int at = 12;
        while (at < query.length && query[at] != 0) {
            final int length = query[at] & 0xff;
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(new String(query, at + 1, length, StandardCharsets.US_ASCII));
            at += 1 + length;
        }
        final int questionEnd = at + 1 + 4;
        final InetAddress address = names.get(name.toString());
        if (address == null || questionEnd > query.length) {
            return null;
        }
        final ByteBuffer response = ByteBuffer.allocate(questionEnd + 16);
        response.put(query, 0, 2) // id
            .putShort((short) 0x8180) // response, recursion desired and available, no error
            .putShort((short) 1).putShort((short) 1).putShort((short) 0).putShort((short) 0)
            .put(query, 12, questionEnd - 12)
            .putShort((short) 0xc00c) // the question's name
            .putShort((short) 1).putShort((short) 1).putInt(TTL_SECONDS).putShort((short) 4)
            .put(address.getAddress());
        return response.array();
    }

    // ------------------------------------------------------------------------------------------------ client

    private static void fetch(final InetAddress dns, final String name, final int port, final int bytes)
        throws Exception {
        final byte[] query = query(name);
        final byte[] answer = new byte[512];
        final int answerLength;
        try (DatagramSocket udp = new DatagramSocket()) {
            udp.setSoTimeout(TIMEOUT_MILLIS);
            udp.send(new DatagramPacket(query, query.length, dns, 53));
            final DatagramPacket received = new DatagramPacket(answer, answer.length);
            udp.receive(received);
            answerLength = received.getLength();
        }
        // The answer's last 4 bytes are the A record's address (one answer, no other section).
        final InetAddress address = InetAddress.getByAddress(Arrays.copyOfRange(answer, answerLength - 4,
            answerLength));
        final byte[] hello = clientHello(name);
        long received = 0;
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.connect(new InetSocketAddress(address, port), TIMEOUT_MILLIS);
            final OutputStream out = socket.getOutputStream();
            out.write(ByteBuffer.allocate(hello.length + 4).put(hello).putInt(bytes).array());
            out.flush();
            final InputStream in = socket.getInputStream();
            final byte[] chunk = new byte[16 * 1024];
            for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                received += n;
            }
        }
        if (received != bytes) {
            throw new IllegalStateException("received " + received + " bytes of " + bytes + " from " + address);
        }
        System.out.println("dnsQuery " + query.length + " dnsAnswer " + answerLength + " address " +
            address.getHostAddress() + " received " + received);
    }

    private static byte[] query(final String name) {
        final ByteBuffer query = ByteBuffer.allocate(12 + name.length() + 2 + 4);
        query.putShort((short) ThreadLocalRandom.current().nextInt(0x10000)).putShort((short) 0x0100)
            .putShort((short) 1).putShort((short) 0).putShort((short) 0).putShort((short) 0);
        for (final String label : name.split("\\.")) {
            query.put((byte) label.length()).put(label.getBytes(StandardCharsets.US_ASCII));
        }
        query.put((byte) 0).putShort((short) 1).putShort((short) 1);
        return query.array();
    }

    /** The first TLS record a JDK client sends to NAME: a real ClientHello carrying the server name. */
    private static byte[] clientHello(final String name) throws Exception {
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        final SSLEngine engine = context.createSSLEngine(name, 443);
        engine.setUseClientMode(true);
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(name)));
        engine.setSSLParameters(parameters);
        engine.beginHandshake();
        final ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        final byte[] hello = new byte[out.remaining()];
        out.get(hello);
        return hello;
    }

    private static void daemon(final Runnable task) {
        final Thread thread = new Thread(task);
        thread.setDaemon(true);
        thread.start();
    }
}
