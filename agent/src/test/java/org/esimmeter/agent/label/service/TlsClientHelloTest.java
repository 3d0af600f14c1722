package org.esimmeter.agent.label.service;

import static org.esimmeter.agent.label.service.Messages.clientHello;
import static org.esimmeter.agent.label.service.Messages.jdkClientHello;
import static org.esimmeter.agent.label.service.Messages.serverNameExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TlsClientHelloTest {
    private static String read(final byte[] payload) {
        return TlsClientHello.serverName(payload, 0, payload.length);
    }

    @Test
    void shouldReadTheServerNameTheJdkClientSends() {
        assertEquals("shop.example.com", read(jdkClientHello("Shop.Example.COM")));
    }

    @Test
    void shouldFindTheServerNameAfterOtherExtensions() {
        final byte[] hello = clientHello(new int[] {0x000A, 0x002B, 0x0000},
            new byte[][] {new byte[] {0, 2, 0, 0x1D}, new byte[] {2, 3, 4}, serverNameExtension("api.test")});
        assertEquals("api.test", read(hello));
        final byte[] withoutName = clientHello(new int[] {0x000A}, new byte[][] {new byte[] {0, 2, 0, 0x1D}});
        assertNull(read(withoutName));
    }

    @Test
    void shouldReadTheNameOnlyWhenTheFirstSegmentHoldsIt() {
        final byte[] hello = clientHello(new int[] {0x0000, 0x0015},
            new byte[][] {serverNameExtension("first.test"), new byte[600]});
        // Record(5) + handshake header(4) + version(2) + random(32) + session(1) + suites(2+4) + compression(2)
        // + extensions length(2) + extension header(4) + list length(2) + type(1) + length(2) + "first.test"(10).
        final int nameEnd = 5 + 4 + 2 + 32 + 1 + 6 + 2 + 2 + 4 + 2 + 1 + 2 + 10;
        for (int length = 0; length <= hello.length; length++) {
            assertEquals(length >= nameEnd ? "first.test" : null, read(Arrays.copyOf(hello, length)),
                "first " + length + " bytes");
        }
    }

    @Test
    void shouldNotReadAcrossTheRecordItDeclares() {
        final byte[] hello = clientHello(new int[] {0x0000}, new byte[][] {serverNameExtension("split.test")});
        // The record says it ends before the name does: the rest would belong to a second record.
        final byte[] split = hello.clone();
        final int recordLength = hello.length - 5 - 4;
        split[3] = (byte) (recordLength >>> 8);
        split[4] = (byte) recordLength;
        assertNull(read(split));
    }

    @Test
    void shouldRefuseWhatIsNotAClientHelloOrNotAHostName() {
        final byte[] hello = clientHello(new int[] {0x0000}, new byte[][] {serverNameExtension("ok.test")});
        final byte[] serverHello = hello.clone();
        serverHello[5] = 2;
        assertNull(read(serverHello));
        final byte[] applicationData = hello.clone();
        applicationData[0] = 0x17;
        assertNull(read(applicationData));
        assertNull(read(clientHello(new int[] {0x0000}, new byte[][] {serverNameExtension("a b.test")})));
        assertNull(read(clientHello(new int[] {0x0000}, new byte[][] {serverNameExtension("")})));
        assertEquals("dot.test", read(clientHello(new int[] {0x0000},
            new byte[][] {serverNameExtension("dot.test.")})));
    }
}
