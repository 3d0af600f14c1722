package org.esimmeter.agent.corpus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An independent reader of capture files for test truths: plain java.nio over the file format (pcap savefile
 * format, pcapng section and interface blocks), no libpcap and none of the agent's code. It reads the link type
 * of any file and the records of classic pcap files, stopping where a record runs past the end of the file.
 */
public final class PcapWalk {
    private static final int PCAPNG_SECTION_HEADER = 0x0A0D0D0A;
    private static final int PCAPNG_INTERFACE_DESCRIPTION = 1;

    /** One record: seconds of its timestamp, captured and original length, and the captured bytes. */
    public record Record(long epochSecond, int capturedLength, int wireLength, byte[] data) {
    }

    private final int linkType;
    private final boolean pcapng;
    private final List<Record> records;

    private PcapWalk(final int linkType, final boolean pcapng, final List<Record> records) {
        this.linkType = linkType;
        this.pcapng = pcapng;
        this.records = records;
    }

    public static PcapWalk read(final Path file) throws IOException {
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        if (bytes.remaining() < 24) {
            throw new IOException(file + " : too short for a capture");
        }
        final int magic = bytes.order(ByteOrder.BIG_ENDIAN).getInt(0);
        if (magic == PCAPNG_SECTION_HEADER) {
            return readPcapngLinkType(bytes);
        }
        switch (magic) {
            case 0xA1B2C3D4, 0xA1B23C4D -> bytes.order(ByteOrder.BIG_ENDIAN);
            case 0xD4C3B2A1, 0x4D3CB2A1 -> bytes.order(ByteOrder.LITTLE_ENDIAN);
            default -> throw new IOException(file + " : magic " + Integer.toHexString(magic) + " is not pcap");
        }
        // The link type is the low 16 bits; the upper bits may carry FCS information.
        final int linkType = bytes.getInt(20) & 0xFFFF;
        final List<Record> records = new ArrayList<>();
        int offset = 24;
        while (offset + 16 <= bytes.limit()) {
            final long seconds = bytes.getInt(offset) & 0xFFFF_FFFFL;
            final long captured = bytes.getInt(offset + 8) & 0xFFFF_FFFFL;
            final long original = bytes.getInt(offset + 12) & 0xFFFF_FFFFL;
            if (offset + 16 + captured > bytes.limit()) {
                break;
            }
            final byte[] data = new byte[(int) captured];
            bytes.get(offset + 16, data);
            records.add(new Record(seconds, (int) captured, (int) original, data));
            offset += 16 + (int) captured;
        }
        return new PcapWalk(linkType, false, Collections.unmodifiableList(records));
    }

    /** The link type of the first interface of the first section; records of pcapng files are not read. */
    private static PcapWalk readPcapngLinkType(final ByteBuffer bytes) throws IOException {
        final int byteOrderMagic = bytes.order(ByteOrder.BIG_ENDIAN).getInt(8);
        bytes.order(byteOrderMagic == 0x1A2B3C4D ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int offset = 0;
        while (offset + 12 <= bytes.limit()) {
            final int type = bytes.getInt(offset);
            final int length = bytes.getInt(offset + 4);
            if (type == PCAPNG_INTERFACE_DESCRIPTION) {
                return new PcapWalk(bytes.getShort(offset + 8) & 0xFFFF, true, List.of());
            }
            if (length < 12) {
                break;
            }
            offset += length;
        }
        throw new IOException("pcapng without an interface description block");
    }

    public int linkType() {
        return linkType;
    }

    public boolean pcapng() {
        return pcapng;
    }

    public List<Record> records() {
        return records;
    }

    /** The name libpcap gives a link type (pcap_datalink_val_to_name), for those the corpus holds. */
    public static String linkTypeName(final int linkType) {
        return switch (linkType) {
            case 0 -> "NULL";
            case 1 -> "EN10MB";
            case 9 -> "PPP";
            case 12, 14, 101 -> "RAW";
            case 113 -> "LINUX_SLL";
            case 228 -> "IPV4";
            case 229 -> "IPV6";
            case 276 -> "LINUX_SLL2";
            default -> "DLT_" + linkType;
        };
    }
}
