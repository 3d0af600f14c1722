package org.esimmeter.agent.label.service;

import static org.esimmeter.agent.frames.Frames.cat;
import static org.esimmeter.agent.label.service.Messages.address;
import static org.esimmeter.agent.label.service.Messages.dhcp;
import static org.esimmeter.agent.label.service.Messages.option;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DhcpMessageTest {
    private static final long MAC = 0x02_42_AC_11_00_07L;

    private static List<String> parse(final byte[] message) {
        final List<String> seen = new ArrayList<>();
        final boolean reported = DhcpMessage.parse(message, 0, message.length, (mac, ipv4, hostname) ->
            seen.add(String.format("%012x %d.%d.%d.%d %s", mac, ipv4 >>> 24, (ipv4 >>> 16) & 0xFF,
                (ipv4 >>> 8) & 0xFF, ipv4 & 0xFF, hostname)));
        assertEquals(!seen.isEmpty(), reported);
        return seen;
    }

    private static byte[] type(final int messageType) {
        return option(53, new byte[] {(byte) messageType});
    }

    private static byte[] hostname(final String name) {
        return option(12, name.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldReportARequestWithItsRequestedAddressAndHostname() {
        final byte[] request = dhcp(1, MAC, "0.0.0.0", "0.0.0.0", cat(type(3),
            option(50, address("192.168.8.23")), hostname("Annas-iPad")));
        assertEquals(List.of("0242ac110007 192.168.8.23 Annas-iPad"), parse(request));
    }

    @Test
    void shouldReportAnAckWithTheAddressGivenAndADiscoverWithoutAny() {
        assertEquals(List.of("0242ac110007 192.168.8.23 null"),
            parse(dhcp(2, MAC, "0.0.0.0", "192.168.8.23", type(5))));
        assertEquals(List.of("0242ac110007 0.0.0.0 laptop"),
            parse(dhcp(1, MAC, "0.0.0.0", "0.0.0.0", cat(type(1), hostname("laptop")))));
        // A renewal: the client already holds ciaddr.
        assertEquals(List.of("0242ac110007 192.168.8.40 null"),
            parse(dhcp(1, MAC, "192.168.8.40", "0.0.0.0", type(3))));
    }

    @Test
    void shouldIgnoreOffersNaksDeclinesReleasesAndBootpWithoutType() {
        for (final int messageType : new int[] {2, 4, 6, 7}) {
            final int op = messageType == 2 || messageType == 6 ? 2 : 1;
            assertEquals(List.of(), parse(dhcp(op, MAC, "192.168.8.40", "192.168.8.41", type(messageType))),
                "message type " + messageType);
        }
        assertEquals(List.of(), parse(dhcp(1, MAC, "0.0.0.0", "0.0.0.0", new byte[0])));
    }

    @Test
    void shouldDropATrailingNulAndRefuseControlCharactersInTheHostname() {
        assertEquals(List.of("0242ac110007 0.0.0.0 Anna's iPad"), parse(dhcp(1, MAC, "0.0.0.0", "0.0.0.0",
            cat(type(1), option(12, "Anna's iPad\0".getBytes(StandardCharsets.US_ASCII))))));
        assertEquals(List.of("0242ac110007 0.0.0.0 null"), parse(dhcp(1, MAC, "0.0.0.0", "0.0.0.0",
            cat(type(1), option(12, "evil\nname".getBytes(StandardCharsets.US_ASCII))))));
    }

    @Test
    void shouldRefuseMessagesWithoutTheMagicCookieOrCutBeforeTheOptions() {
        final byte[] request = dhcp(1, MAC, "0.0.0.0", "0.0.0.0", cat(type(3), hostname("x")));
        final byte[] noCookie = request.clone();
        noCookie[236] = 0;
        assertEquals(List.of(), parse(noCookie));
        for (int length = 0; length < DhcpMessage.OPTIONS_OFFSET + 3; length++) {
            assertFalse(DhcpMessage.parse(Arrays.copyOf(request, length), 0, length, (mac, ip, name) -> {
            }), "cut to " + length);
        }
        assertTrue(DhcpMessage.parse(request, 0, request.length, (mac, ip, name) -> {
        }));
    }
}
