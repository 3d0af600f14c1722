package org.esimmeter.agent.capture;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.esimmeter.agent.decode.Bytes;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.pcap4j.core.PcapHandle;

/**
 * The hot loop of one libpcap handle: {@code pcap_next_ex} into preallocated out-parameters, header fields read
 * in place from libpcap's buffer, decode, attribute. Nothing is copied and nothing is allocated per packet; the
 * packet pointer is valid only until the next read, so nothing about a packet outlives {@link #read}.
 */
public final class PcapReader {
    /** {@link #read} result: the savefile is exhausted. */
    public static final int END_OF_FILE = -2;
    /** {@link #read} result: libpcap reported an error; see {@link #error()}. */
    public static final int ERROR = -1;

    private final PcapHandle handle;
    private final long pcap;
    private final int linkType;
    private final InterfaceMeter meter;
    private final DirectionRule directionRule;
    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();
    private final Memory outParameters = new Memory(16);
    private final long headerOut;
    private final long dataOut;
    private String error;
    /** Where a live handle tallies what it read for the comparison with the kernel's counters; null if none. */
    private CaptureTally tally;

    public PcapReader(final PcapHandle handle, final int linkType, final InterfaceMeter meter,
        final DirectionRule directionRule) {
        this.handle = handle;
        this.pcap = PcapNative.pcapPointer(handle);
        this.linkType = linkType;
        this.meter = meter;
        this.directionRule = directionRule;
        this.headerOut = Pointer.nativeValue(outParameters);
        this.dataOut = headerOut + 8;
    }

    /**
     * Reads up to {@code limit} packets, returning early when none is waiting (live, non-blocking) .
     *
     * @return packets read, or {@link #END_OF_FILE} / {@link #ERROR} when reading stopped for good before any
     */
    public int read(final int limit) {
        int count = 0;
        while (count < limit) {
            final int result = PcapNative.pcap_next_ex(pcap, headerOut, dataOut);
            if (result == PcapNative.NEXT_OK) {
                onPacket(Bytes.nativeLong(headerOut), Bytes.nativeLong(dataOut));
                count++;
            } else if (result == PcapNative.NEXT_TIMEOUT) {
                return count;
            } else {
                if (result == PcapNative.NEXT_EOF) {
                    return count == 0 ? END_OF_FILE : count;
                }
                error = PcapNative.lastError(pcap);
                return count == 0 ? ERROR : count;
            }
        }
        return count;
    }

    private void onPacket(final long header, final long data) {
        final int capturedLength = Bytes.nativeInt(header + PcapNative.CAPLEN_OFFSET);
        // Bill the original length: the snaplen truncates what libpcap copies, not what the carrier counts.
        final int wireLength = Bytes.nativeInt(header + PcapNative.LEN_OFFSET);
        final int status = decoder.decode(linkType, data, capturedLength, packet);
        final int direction = directionRule.resolve(packet);
        meter.account(PcapNative.timestampSeconds(header), wireLength, status, packet, direction);
        if (tally != null) {
            tally.add(PcapNative.timestampMicros(header), direction, wireLength);
        }
    }

    void tally(final CaptureTally tally) {
        this.tally = tally;
    }

    /** libpcap's message for the last {@link #ERROR}, or null. */
    public String error() {
        return error;
    }

    public PcapHandle handle() {
        return handle;
    }

    public DirectionRule directionRule() {
        return directionRule;
    }

    public InterfaceMeter meter() {
        return meter;
    }

    int selectableFd() {
        return PcapNative.pcap_get_selectable_fd(pcap);
    }
}
