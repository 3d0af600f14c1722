package org.esimmeter.agent.label.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.corpus.PcapWalk;
import org.esimmeter.agent.corpus.SharedPcaps;
import org.esimmeter.wire.Addresses;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names learned from real captures, frame by frame as the metadata capture sees them, against what tshark reads in
 * the same files (its JSON dissection, computed here): for DNS, each (address, asked name) of the answer section
 * reached from the question through CNAMEs; for TLS, the server name of each ClientHello and its connection; for
 * DHCP, the (MAC, hostname) of each client message. tshark runs with IP and TCP reassembly off, as the metadata
 * capture has none.
 */
class CorpusNamesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"ndpi__KakaoTalk_chat.pcap", "ndpi__dns_fragmented.pcap", "pcpp__DnsPackets.pcap",
        "pcpp__raw_ip.pcap", "suricata__linktype-228_flow-test-01.pcap"})
    void shouldLearnWhatTsharkReads(final String name) throws Exception {
        final Path directory = SharedPcaps.directory().orElse(null);
        Assumptions.assumeTrue(directory != null, SharedPcaps.ABSENT);
        final Path file = directory.resolve(name);

        final TreeSet<String> dnsLearned = new TreeSet<>();
        final TreeSet<String> tlsLearned = new TreeSet<>();
        final TreeSet<String> dhcpLearned = new TreeSet<>();
        final PcapWalk walk = PcapWalk.read(file);
        final NameLearner learner = new NameLearner(new NameLearner.Names() {
            @Override
            public void learnAddress(final long hi, final long lo, final String asked, final long ttl,
                final long now) {
                dnsLearned.add(Addresses.format(hi == 0 && (lo >>> 32) == 0xFFFF ? 4 : 6, hi, lo) + " " + asked);
            }

            @Override
            public void learnServerName(final long clientHi, final long clientLo, final int clientPort,
                final long serverHi, final long serverLo, final int serverPort, final String serverName,
                final long now) {
                tlsLearned.add(serverName);
            }
        }, (mac, ipv4, hostname) -> dhcpLearned.add(String.format("%012x %s", mac, hostname)), 1 << 17);
        for (final PcapWalk.Record frame : walk.records()) {
            learner.onFrame(walk.linkType(), frame.data(), frame.capturedLength(), 0);
        }

        final TreeSet<String> dnsTruth = new TreeSet<>();
        final TreeSet<String> tlsTruth = new TreeSet<>();
        final TreeSet<String> dhcpTruth = new TreeSet<>();
        for (final JsonNode packet : tshark(file)) {
            final JsonNode layers = packet.path("_source").path("layers");
            dns(layers.path("dns"), dnsTruth);
            tls(layers, tlsTruth);
        }
        dhcp(file, dhcpTruth);
        assertEquals(dnsTruth, dnsLearned, "DNS (address, asked name)");
        assertEquals(tlsTruth, tlsLearned, "TLS server names");
        assertEquals(dhcpTruth, dhcpLearned, "DHCP (MAC, hostname)");
        assertFalse(dnsTruth.isEmpty() && tlsTruth.isEmpty() && dhcpTruth.isEmpty(), name + " teaches no name");
    }

    private static List<JsonNode> tshark(final Path file) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-T", "json",
            "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE",
            "-Y", "dns.flags.response == 1 or tls.handshake.type == 1")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final byte[] out = process.getInputStream().readAllBytes();
        process.waitFor(60, TimeUnit.SECONDS);
        final List<JsonNode> packets = new ArrayList<>();
        JSON.readTree(new String(out, StandardCharsets.UTF_8)).forEach(packets::add);
        return packets;
    }

    private static void dns(final JsonNode dns, final TreeSet<String> truth) throws IOException {
        if (dns.isMissingNode() || !"0".equals(dns.path("dns.flags_tree").path("dns.flags.rcode").asText()) ||
            !"1".equals(dns.path("dns.count.queries").asText())) {
            return;
        }
        final Iterator<JsonNode> queries = dns.path("Queries").elements();
        if (!queries.hasNext()) {
            return;
        }
        final String asked = queries.next().path("dns.qry.name").asText().toLowerCase(Locale.ROOT);
        final List<JsonNode> answers = new ArrayList<>();
        dns.path("Answers").elements().forEachRemaining(answers::add);
        final List<String> chain = new ArrayList<>(List.of(asked));
        for (boolean extended = true; extended; ) {
            extended = false;
            for (final JsonNode answer : answers) {
                if ("5".equals(answer.path("dns.resp.type").asText()) &&
                    answer.path("dns.resp.name").asText().equalsIgnoreCase(chain.get(chain.size() - 1))) {
                    final String target = answer.path("dns.cname").asText().toLowerCase(Locale.ROOT);
                    if (!chain.contains(target)) {
                        chain.add(target);
                        extended = true;
                    }
                    break;
                }
            }
        }
        for (final JsonNode answer : answers) {
            final String owner = answer.path("dns.resp.name").asText().toLowerCase(Locale.ROOT);
            if (!chain.contains(owner)) {
                continue;
            }
            final String a = answer.path("dns.a").asText(null);
            final String aaaa = answer.path("dns.aaaa").asText(null);
            final String literal = a != null ? a : aaaa;
            if (literal != null) {
                final byte[] bytes = InetAddress.getByName(literal).getAddress();
                final String formatted = bytes.length == 4 ?
                    Addresses.format(4, 0, Addresses.IPV4_MAPPED_PREFIX | (ByteBuffer.wrap(bytes).getInt() & 0xFFFF_FFFFL)) :
                    Addresses.format(6, ByteBuffer.wrap(bytes).getLong(0), ByteBuffer.wrap(bytes).getLong(8));
                truth.add(formatted + " " + asked);
            }
        }
    }

    private static void tls(final JsonNode layers, final TreeSet<String> truth) {
        final String text = layers.path("tls").toString();
        final int at = text.indexOf("\"tls.handshake.extensions_server_name\":\"");
        if (at >= 0 && layers.has("tcp")) {
            final int start = at + "\"tls.handshake.extensions_server_name\":\"".length();
            truth.add(text.substring(start, text.indexOf('"', start)).toLowerCase(Locale.ROOT));
        }
    }

    /**
     * DHCP from tshark's fields (its JSON repeats the key of every option, so a JSON reader keeps only the last):
     * MAC, message type, hostname of each message a device table is told about.
     */
    private static void dhcp(final Path file, final TreeSet<String> truth) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-T", "fields",
            "-e", "dhcp.hw.mac_addr", "-e", "dhcp.option.dhcp", "-e", "dhcp.option.hostname", "-Y", "dhcp")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(60, TimeUnit.SECONDS);
        for (final String line : out.split("\n")) {
            final String[] fields = line.split("\t", -1);
            if (fields.length == 3 && List.of("1", "3", "5", "8").contains(fields[1])) {
                // The client identifier (option 61) repeats the MAC in the same field: chaddr is the first.
                truth.add(fields[0].split(",")[0].replace(":", "") + " " + (fields[2].isEmpty() ? null : fields[2]));
            }
        }
    }
}
