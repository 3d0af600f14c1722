package org.esimmeter.agent.capture;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.lang.reflect.Field;
import org.esimmeter.agent.decode.Bytes;
import org.pcap4j.core.PcapHandle;

/**
 * The few libpcap and libc calls the per-packet path makes, bound with JNA direct mapping: a JNI call with
 * primitive arguments, no proxy, no argument conversion and no allocation. Everything else (finding devices,
 * opening, filters, statistics, closing) stays with pcap4j.
 * <p>
 * Pointers travel as {@code long}; out-parameters are preallocated by the caller and read in place.
 */
final class PcapNative {
    /** {@code sizeof(struct timeval)} with glibc: two C longs. Offsets of caplen and len follow it. */
    static final int TIMEVAL_SIZE = 2 * Native.LONG_SIZE;
    static final int CAPLEN_OFFSET = TIMEVAL_SIZE;
    static final int LEN_OFFSET = TIMEVAL_SIZE + 4;

    static final int NEXT_OK = 1;
    static final int NEXT_TIMEOUT = 0;
    static final int NEXT_ERROR = -1;
    static final int NEXT_EOF = -2;

    private static final Field HANDLE_FIELD;

    static {
        // Same library name and lookup as pcap4j, so both bind the one libpcap the process loaded.
        final String name = System.getProperty("org.pcap4j.core.pcapLibName", Platform.isWindows() ? "wpcap" : "pcap");
        Native.register(PcapNative.class, NativeLibrary.getInstance(name));
        try {
            HANDLE_FIELD = PcapHandle.class.getDeclaredField("handle");
            HANDLE_FIELD.setAccessible(true);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("pcap4j PcapHandle has no accessible 'handle' field (expected pcap4j 1.8.2)",
                e);
        }
    }

    private PcapNative() {
    }

    static native int pcap_next_ex(long pcap, long headerOut, long dataOut);

    static native int pcap_get_selectable_fd(long pcap);

    static native Pointer pcap_geterr(long pcap);

    /** The {@code pcap_t*} that pcap4j opened and owns; valid until pcap4j closes the handle. */
    static long pcapPointer(final PcapHandle handle) {
        try {
            return Pointer.nativeValue((Pointer) HANDLE_FIELD.get(handle));
        } catch (final IllegalAccessException e) {
            throw new IllegalStateException("cannot read pcap4j's pcap_t", e);
        }
    }

    static String lastError(final long pcap) {
        final Pointer message = pcap_geterr(pcap);
        return message == null ? "unknown libpcap error" : message.getString(0);
    }

    /** {@code struct pcap_pkthdr.ts.tv_sec}. */
    static long timestampSeconds(final long header) {
        return Native.LONG_SIZE == 8 ? Bytes.nativeLong(header) : Bytes.nativeInt(header) & 0xFFFF_FFFFL;
    }

    /** {@code struct pcap_pkthdr.ts} in microseconds since the epoch (pcap4j opens handles with microsecond stamps). */
    static long timestampMicros(final long header) {
        final long micros = Native.LONG_SIZE == 8 ? Bytes.nativeLong(header + 8) : Bytes.nativeInt(header + 4);
        return timestampSeconds(header) * 1_000_000L + micros;
    }
}
