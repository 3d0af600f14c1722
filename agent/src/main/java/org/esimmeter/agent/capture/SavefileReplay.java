package org.esimmeter.agent.capture;

import java.io.File;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * Reads a pcap or pcapng file through the same reader, decoder and meter as live capture. libpcap stops at damage
 * it cannot step over (a record with an impossible length, a pcapng interface of another link type); what it
 * delivered before is kept and the reason is returned as a warning.
 */
public final class SavefileReplay {
    private final File file;
    private int linkType = -1;

    public SavefileReplay(final File file) {
        this.file = file;
    }

    /**
     * Opens the file and reports its link type, so the caller can build the meter before {@link #run}.
     */
    public PcapHandle open() throws CaptureException {
        if (!file.isFile() || !file.canRead()) {
            throw new CaptureException(file + " : cannot read (missing, not a file, or no permission)");
        }
        final PcapHandle handle;
        try {
            handle = Pcaps.openOffline(file.getPath());
        } catch (final PcapNativeException e) {
            throw new CaptureException(file + " : not a capture libpcap can read: " + LiveCapture.oneLine(e), e);
        }
        linkType = handle.getDlt().value();
        if (!LinkType.isSupported(linkType)) {
            handle.close();
            throw new CaptureException(file + " : link type " + LinkType.name(linkType) + " is not supported");
        }
        return handle;
    }

    public int linkType() {
        return linkType;
    }

    /**
     * Meters every packet of the file, seals the last second and closes the handle.
     *
     * @return null when the whole file was read, else libpcap's reason for stopping early
     */
    public String run(final PcapHandle handle, final InterfaceMeter meter, final DirectionRule rule) {
        final PcapReader reader = new PcapReader(handle, linkType, meter, rule);
        try {
            while (true) {
                final int read = reader.read(Integer.MAX_VALUE);
                if (reader.error() != null) {
                    return reader.error();
                }
                if (read == PcapReader.END_OF_FILE) {
                    return null;
                }
            }
        } finally {
            meter.seal();
            handle.close();
        }
    }
}
