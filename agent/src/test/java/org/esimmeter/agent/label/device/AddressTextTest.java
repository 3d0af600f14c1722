package org.esimmeter.agent.label.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressTextTest {
    @Test
    void shouldReadAddressesAsTheJdkDoes() throws Exception {
        for (final String text : List.of("::", "::1", "fe80::", "fe80::1", "2001:db8::8:800:200c:417a",
            "fd00:0000:0000:0000:0000:0000:0000:0002", "2001:db8:0:0:1:0:0:1", "1::", "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2a00:1450:4001:82a::200e")) {
            final AddressText address = new AddressText();
            assertTrue(address.parseIp(text), text);
            final ByteBuffer expected = ByteBuffer.wrap(InetAddress.getByName(text).getAddress());
            assertEquals(expected.getLong(0), address.hi, text + " high half");
            assertEquals(expected.getLong(8), address.lo, text + " low half");
        }
    }

    @Test
    void shouldMapIpv4AsTheDecoderDoes() {
        final AddressText address = new AddressText();
        assertTrue(address.parseIp("192.168.8.23"));
        assertEquals(0, address.hi);
        assertEquals(0x0000_FFFF_C0A8_0817L, address.lo);
        assertEquals("192.168.8.23", AddressText.formatIp(address.hi, address.lo));
    }

    @Test
    void shouldRefuseWhatIsNotAnAddress() {
        for (final String text : List.of("", ".", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4.", "a.b.c.d",
            ":", ":::", "1:::2", "::1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", ":1::", "1:",
            "::ffff:1.2.3.4", "1.2.3.-4", "01234567890.1.1.1")) {
            assertFalse(new AddressText().parseIp(text), text);
        }
    }

    @Test
    void shouldReadAndWriteMacs() {
        final byte[] text = "aa:BB:0c:dd:ee:0F".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xAABB_0CDD_EE0FL, AddressText.parseMac(text, 0, text.length));
        assertEquals("aa:bb:0c:dd:ee:0f", AddressText.formatMac(0xAABB_0CDD_EE0FL));
        for (final String bad : List.of("aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:fg", "aa-bb-cc-dd-ee-ff", "aabbccddeeff00000")) {
            final byte[] bytes = bad.getBytes(StandardCharsets.US_ASCII);
            assertEquals(-1, AddressText.parseMac(bytes, 0, bytes.length), bad);
        }
    }
}
