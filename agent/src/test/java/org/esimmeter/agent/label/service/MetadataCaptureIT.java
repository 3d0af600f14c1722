package org.esimmeter.agent.label.service;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.frames.Frames.cat;
import static org.esimmeter.agent.label.service.Messages.A;
import static org.esimmeter.agent.label.service.Messages.AAAA;
import static org.esimmeter.agent.label.service.Messages.CNAME;
import static org.esimmeter.agent.label.service.Messages.address;
import static org.esimmeter.agent.label.service.Messages.name;
import static org.esimmeter.agent.label.service.Messages.pointer;
import static org.esimmeter.agent.label.service.Messages.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.wire.Addresses;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metadata capture on the loopback interface with real libpcap: a DNS responder in the test answers a real
 * query from port 53, the JDK's TLS client sends its ClientHello with a server name to a local port, and a DHCPREQUEST
 * goes to port 67. Every name is unique to this run (other tests may use loopback meanwhile), so the names learned
 * can be compared exactly. Only addresses in 127.0.0.0/8 are used. Needs root (capture, port 53).
 */
class MetadataCaptureIT {
    private static final Duration LEARN_TIMEOUT = Duration.ofSeconds(10);
    private static final String RUN = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFFL);
    /** A loopback address of this run's own, so no other process's port 53 or 67 is in the way. */
    private static final String SERVER = "127.77." + ThreadLocalRandom.current().nextInt(1, 255) + "." +
        ThreadLocalRandom.current().nextInt(1, 255);
    private static final Queue<String> dhcp = new ConcurrentLinkedQueue<>();
    private static ServiceNames names;
    private static MetadataCapture capture;

    @BeforeAll
    static void startCapture() throws Exception {
        LiveNetwork.requireRoot("MetadataCaptureIT");
        names = new ServiceNames(1024, 3600);
        capture = MetadataCapture.start(List.of("lo"), 1500, names, (mac, ipv4, hostname) ->
            dhcp.add(String.format("%012x %s %s", mac, Addresses.format(4, 0,
                Addresses.IPV4_MAPPED_PREFIX | (ipv4 & 0xFFFF_FFFFL)), hostname)));
    }

    @AfterAll
    static void stopCapture() {
        if (capture != null) {
            // The threads see the stop within one read timeout (200 ms) even on an idle link, and close their handles.
            final long startNs = System.nanoTime();
            capture.close();
            final long elapsedMillis = (System.nanoTime() - startNs) / 1_000_000;
            assertTrue(elapsedMillis < 1000, "close took " + elapsedMillis + " ms");
        }
    }

    private static long v4(final String literal) {
        final byte[] b = address(literal);
        return Addresses.IPV4_MAPPED_PREFIX | ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) |
            (b[3] & 0xFFL);
    }

    private static long hi(final String literal) {
        final byte[] b = address(literal);
        return java.nio.ByteBuffer.wrap(b).getLong(0);
    }

    private static long lo(final String literal) {
        final byte[] b = address(literal);
        return java.nio.ByteBuffer.wrap(b).getLong(8);
    }

    @Test
    void shouldLearnTheAskedNameFromARealDnsAnswer() throws Exception {
        final String asked = "www-" + RUN + ".Shop.Test";
        final String expected = asked.toLowerCase(java.util.Locale.ROOT);
        final String edge = "edge-" + RUN + ".cdn.test";
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(SERVER, 53));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            server.setSoTimeout(5000);
            final byte[] query = cat(Messages.name(asked), new byte[] {0, 1, 0, 1});
            client.send(new DatagramPacket(cat(new byte[] {0x42, 0x42, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, query), 12 +
                query.length, new InetSocketAddress(SERVER, 53)));
            final DatagramPacket received = new DatagramPacket(new byte[512], 512);
            server.receive(received);
            // Answer the query's id: www -> CNAME edge -> A and AAAA, as a CDN answers.
            final byte[] answer = Messages.response(0, asked, List.of(
                record(pointer(12), CNAME, 30, name(edge)),
                record(name(edge), A, 30, address("198.51.100.77")),
                record(name(edge), AAAA, 30, address("2001:db8::77"))), List.of(), List.of());
            answer[0] = received.getData()[0];
            answer[1] = received.getData()[1];
            server.send(new DatagramPacket(answer, answer.length, received.getSocketAddress()));
        }
        final long now = System.currentTimeMillis();
        await("the A record's name", LEARN_TIMEOUT,
            () -> names.byAddress(0, v4("198.51.100.77"), System.currentTimeMillis()) != null,
            () -> "metadata packets " + capture.packets());
        assertEquals(expected, names.byAddress(0, v4("198.51.100.77"), now));
        await("the AAAA record's name", LEARN_TIMEOUT,
            () -> names.byAddress(hi("2001:db8::77"), lo("2001:db8::77"), System.currentTimeMillis()) != null,
            () -> "metadata packets " + capture.packets());
        assertEquals(expected, names.byAddress(hi("2001:db8::77"), lo("2001:db8::77"), now));
        assertTrue(capture.learnedFrom(NameLearner.DNS) >= 1);
    }

    @Test
    void shouldLearnTheServerNameOfARealTlsClientHello() throws Exception {
        final String sni = "api-" + RUN + ".example.test";
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(SERVER, 0));
            final Thread acceptor = new Thread(() -> {
                try (Socket accepted = server.accept()) {
                    accepted.getInputStream().read(new byte[4096]); // the ClientHello; then close: no handshake
                } catch (final IOException ignored) {
                    // the client gave up first
                }
            });
            acceptor.start();
            final SSLSocket client = (SSLSocket) SSLSocketFactory.getDefault().createSocket();
            client.bind(new InetSocketAddress("127.0.0.1", 0));
            final int clientPort = client.getLocalPort();
            try (client) {
                final SSLParameters parameters = client.getSSLParameters();
                parameters.setServerNames(List.of(new SNIHostName(sni)));
                client.setSSLParameters(parameters);
                client.connect(new InetSocketAddress(SERVER, server.getLocalPort()), 5000);
                client.setSoTimeout(5000);
                client.startHandshake();
            } catch (final IOException expected) {
                // The server closes after reading the ClientHello.
            }
            acceptor.join(5000);
            final long serverAddress = v4(SERVER);
            final int serverPort = server.getLocalPort();
            await("the server name", LEARN_TIMEOUT, () -> names.byConnection(6, 0, v4("127.0.0.1"), clientPort, 0,
                serverAddress, serverPort, System.currentTimeMillis()) != null,
                () -> "metadata packets " + capture.packets());
            final long now = System.currentTimeMillis();
            assertEquals(sni, names.byConnection(6, 0, v4("127.0.0.1"), clientPort, 0, serverAddress, serverPort,
                now));
            assertEquals(sni, names.byConnection(6, 0, serverAddress, serverPort, 0, v4("127.0.0.1"), clientPort,
                now));
            assertEquals(sni, names.byAddress(0, serverAddress, now));
        }
    }

    @Test
    void shouldTellTheDeviceTableAboutADhcpRequest() throws Exception {
        final long mac = 0x02_00_5E_00_00_00L | (Long.parseLong(RUN, 16) & 0xFF_FFFFL);
        final String hostname = "tablet-" + RUN;
        final byte[] request = Messages.dhcp(1, mac, "0.0.0.0", "0.0.0.0", cat(
            Messages.option(53, new byte[] {3}), Messages.option(50, address("192.168.8.23")),
            Messages.option(12, hostname.getBytes(StandardCharsets.US_ASCII))));
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.send(new DatagramPacket(request, request.length, InetAddress.getByName(SERVER), 67));
        }
        final String expected = String.format("%012x 192.168.8.23 %s", mac, hostname);
        await("the DHCP sighting", LEARN_TIMEOUT, () -> dhcp.contains(expected), dhcp::toString);
        assertEquals(1, dhcp.stream().filter(expected::equals).count(), dhcp::toString);
    }
}
