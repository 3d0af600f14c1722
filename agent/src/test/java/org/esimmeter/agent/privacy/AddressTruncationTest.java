package org.esimmeter.agent.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.util.NetUtil;
import org.esimmeter.wire.Addresses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressTruncationTest {
    private static String v4(final AddressTruncation truncation, final String address) {
        final long lo = Addresses.IPV4_MAPPED_PREFIX | (NetUtil.ipv4AddressToInt(
            (java.net.Inet4Address) NetUtil.createInetAddressFromIpAddressString(address)) & 0xFFFF_FFFFL);
        return Addresses.format(4, truncation.hi(4, 0), truncation.lo(4, lo));
    }

    private static String v6(final AddressTruncation truncation, final String address) {
        final byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (bytes[i] & 0xFF);
            lo = (lo << 8) | (bytes[8 + i] & 0xFF);
        }
        return Addresses.format(6, truncation.hi(6, hi), truncation.lo(6, lo));
    }

    @ParameterizedTest
    @CsvSource({
        "24, 93.184.216.34, 93.184.216.0",
        "16, 93.184.216.34, 93.184.0.0",
        "32, 93.184.216.34, 93.184.216.34",
        "0, 93.184.216.34, 0.0.0.0",
        "20, 10.1.255.77, 10.1.240.0"})
    void shouldKeepTheIpv4Prefix(final int bits, final String address, final String expected) {
        assertEquals(expected, v4(new AddressTruncation(bits, 128), address));
    }

    @ParameterizedTest
    @CsvSource({
        "48, 2001:db8:1234:5678:9abc:def0:1234:5678, 2001:db8:1234::",
        "64, 2001:db8:1234:5678:9abc:def0:1234:5678, 2001:db8:1234:5678::",
        "56, 2001:db8:1234:56ff:9abc:def0:1234:5678, 2001:db8:1234:5600::",
        "96, 2001:db8:1234:5678:9abc:def0:1234:5678, 2001:db8:1234:5678:9abc:def0::",
        "128, 2001:db8:1234:5678:9abc:def0:1234:5678, 2001:db8:1234:5678:9abc:def0:1234:5678",
        "0, 2001:db8::1, ::"})
    void shouldKeepTheIpv6Prefix(final int bits, final String address, final String expected) {
        assertEquals(expected, v6(new AddressTruncation(32, bits), address));
    }

    @Test
    void shouldSayWhetherItTruncatesAndRefuseImpossiblePrefixes() {
        assertFalse(AddressTruncation.NONE.truncates());
        assertEquals("ipv4PrefixLength : 33 (expected: 0..32)",
            assertThrows(IllegalArgumentException.class, () -> new AddressTruncation(33, 48)).getMessage());
        assertEquals("ipv6PrefixLength : -1 (expected: 0..128)",
            assertThrows(IllegalArgumentException.class, () -> new AddressTruncation(24, -1)).getMessage());
    }
}
