package org.esimmeter.agent.decode;

import io.netty.util.internal.PlatformDependent;

/**
 * Network-byte-order reads at raw addresses: the packet bytes stay where libpcap put them.
 * <p>
 * netty's {@link PlatformDependent} wraps {@code sun.misc.Unsafe}; the JIT turns these into plain loads, so a
 * header field costs what it would in C. Callers check bounds against the captured length before reading.
 */
public final class Bytes {
    private static final boolean NATIVE_BIG_ENDIAN = PlatformDependent.BIG_ENDIAN_NATIVE_ORDER;
    private static final boolean UNALIGNED = PlatformDependent.isUnaligned();

    private Bytes() {
    }

    /** True where raw-address access is possible; without it the agent cannot run its hot loop. */
    public static boolean available() {
        return PlatformDependent.hasUnsafe();
    }

    public static int u8(final long address) {
        return PlatformDependent.getByte(address) & 0xFF;
    }

    public static int u16(final long address) {
        return (u8(address) << 8) | u8(address + 1);
    }

    /** Little-endian 16 bits, for the few fields that libpcap writes in the capturing host's order. */
    public static int u16le(final long address) {
        return u8(address) | (u8(address + 1) << 8);
    }

    public static int i32(final long address) {
        if (UNALIGNED) {
            final int value = PlatformDependent.getInt(address);
            return NATIVE_BIG_ENDIAN ? value : Integer.reverseBytes(value);
        }
        return (u8(address) << 24) | (u8(address + 1) << 16) | (u8(address + 2) << 8) | u8(address + 3);
    }

    public static long u32(final long address) {
        return i32(address) & 0xFFFF_FFFFL;
    }

    public static long i64(final long address) {
        if (UNALIGNED) {
            final long value = PlatformDependent.getLong(address);
            return NATIVE_BIG_ENDIAN ? value : Long.reverseBytes(value);
        }
        return (u32(address) << 32) | u32(address + 4);
    }

    /** 48-bit MAC address as the low bits of a long. */
    public static long mac(final long address) {
        return ((long) u16(address) << 32) | u32(address + 2);
    }

    /** Host-order int, as libpcap writes {@code struct pcap_pkthdr} fields. */
    public static int nativeInt(final long address) {
        return PlatformDependent.getInt(address);
    }

    /** Host-order long (pointers, 64-bit time_t). */
    public static long nativeLong(final long address) {
        return PlatformDependent.getLong(address);
    }
}
