package org.esimmeter.agent.label.service;

import static org.esimmeter.agent.frames.Frames.cat;
import static org.esimmeter.agent.frames.Frames.u16;
import static org.esimmeter.agent.label.service.Messages.A;
import static org.esimmeter.agent.label.service.Messages.AAAA;
import static org.esimmeter.agent.label.service.Messages.CNAME;
import static org.esimmeter.agent.label.service.Messages.address;
import static org.esimmeter.agent.label.service.Messages.name;
import static org.esimmeter.agent.label.service.Messages.pointer;
import static org.esimmeter.agent.label.service.Messages.record;
import static org.esimmeter.agent.label.service.Messages.response;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.esimmeter.wire.Addresses;
import org.junit.jupiter.api.Test;

class DnsAnswersTest {
    /** Offset of the question's name in a message: right after the 12-byte header. */
    private static final int QUESTION = 12;

    private static List<String> parse(final byte[] message) {
        final List<String> seen = new ArrayList<>();
        final int reported = DnsAnswers.parse(message, 0, message.length, (version, hi, lo, name, ttl) ->
            seen.add(name + " " + Addresses.format(version, hi, lo) + " " + ttl));
        assertEquals(seen.size(), reported, "the count returned is the count reported");
        return seen;
    }

    @Test
    void shouldReportEachAddressOfTheAskedNameInLowerCaseWithItsTtl() {
        final byte[] message = response(0, "WWW.Example.COM", List.of(
            record(pointer(QUESTION), A, 300, address("93.184.216.34")),
            record(pointer(QUESTION), AAAA, 120, address("2606:2800:220:1:248:1893:25c8:1946"))), List.of(), List.of());
        assertEquals(List.of("www.example.com 93.184.216.34 300",
            "www.example.com 2606:2800:220:1:248:1893:25c8:1946 120"), parse(message));
    }

    @Test
    void shouldFollowTheCnameChainBackToTheAskedName() {
        // www.shop.test -> edge.cdn.test -> e1.cdn.test (A, AAAA); owners as pointers and as plain names.
        final byte[] edge = name("edge.cdn.test");
        final byte[] e1 = name("e1.cdn.test");
        final byte[] message = response(0, "www.shop.test", List.of(
            record(pointer(QUESTION), CNAME, 60, edge),
            record(edge, CNAME, 60, e1),
            record(e1, A, 20, address("203.0.113.7")),
            record(e1, AAAA, 20, address("2001:db8::7"))), List.of(), List.of());
        assertEquals(List.of("www.shop.test 203.0.113.7 20", "www.shop.test 2001:db8::7 20"), parse(message));
    }

    @Test
    void shouldIgnoreAddressesOffTheChainAndInAuthorityOrAdditionalSections() {
        final byte[] message = response(0, "api.app.test", List.of(
            record(name("other.test"), A, 60, address("198.51.100.1")),
            record(pointer(QUESTION), A, 60, address("198.51.100.2"))),
            List.of(record(name("app.test"), Messages.NS, 3600, name("ns1.app.test"))),
            List.of(record(name("ns1.app.test"), A, 3600, address("198.51.100.53"))));
        assertEquals(List.of("api.app.test 198.51.100.2 60"), parse(message));
    }

    @Test
    void shouldLearnNothingFromErrorsQueriesAndEmptyAnswers() {
        assertEquals(List.of(), parse(response(3, "nx.test", List.of(), List.of(), List.of())));
        final byte[] answered = response(0, "a.test", List.of(record(pointer(QUESTION), A, 60,
            address("192.0.2.1"))), List.of(), List.of());
        final byte[] query = answered.clone();
        query[2] &= 0x7F; // QR cleared: a query carrying an answer section is still no answer
        assertEquals(List.of(), parse(query));
        final byte[] refused = response(5, "a.test", List.of(record(pointer(QUESTION), A, 60,
            address("192.0.2.1"))), List.of(), List.of());
        assertEquals(List.of(), parse(refused));
    }

    @Test
    void shouldReportTheCompleteRecordsOfAMessageCutShort() {
        final byte[] message = response(0, "cut.test", List.of(
            record(pointer(QUESTION), A, 60, address("192.0.2.10")),
            record(pointer(QUESTION), A, 60, address("192.0.2.11"))), List.of(), List.of());
        // Each A record with a pointer owner is 16 bytes: the first ends 16 bytes before the second does.
        for (int length = 0; length <= message.length; length++) {
            final List<String> seen = parse(Arrays.copyOf(message, length));
            final List<String> expected = length == message.length ?
                List.of("cut.test 192.0.2.10 60", "cut.test 192.0.2.11 60") :
                length >= message.length - 16 ? List.of("cut.test 192.0.2.10 60") : List.of();
            assertEquals(expected, seen, "message cut to " + length + " bytes");
        }
    }

    @Test
    void shouldRefuseLoopingPointersAndNamesWithControlCharacters() {
        // The answer's owner points at itself: no name, no hang.
        final byte[] header = cat(u16(1), u16(0x8180), u16(1), u16(1), u16(0), u16(0));
        final byte[] question = cat(name("loop.test"), u16(A), u16(1));
        final int answerAt = header.length + question.length;
        final byte[] looping = cat(header, question, record(pointer(answerAt), A, 60, address("192.0.2.1")));
        assertEquals(List.of(), parse(looping));

        final byte[] control = response(0, "bad\u0001name.test", List.of(record(pointer(QUESTION), A, 60,
            address("192.0.2.1"))), List.of(), List.of());
        assertEquals(List.of(), parse(control));
    }

    @Test
    void shouldReadAnRfc2181NegativeTtlAsZero() {
        final byte[] message = response(0, "ttl.test", List.of(record(pointer(QUESTION), A, 0x8000_0000L,
            address("192.0.2.1"))), List.of(), List.of());
        assertEquals(List.of("ttl.test 192.0.2.1 0"), parse(message));
    }
}
