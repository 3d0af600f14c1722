package org.esimmeter.agent.capture;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.decode.LinkType;
import org.pcap4j.core.PcapAddress;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.Pcaps;

/**
 * The interfaces of this machine as the agent sees them: what libpcap lists, and for each network interface the
 * link type a live handle reports — opened exactly as {@link LiveCapture} opens it, because the link type of a
 * device is what its handle says (a modem in raw-IP mode, a cooked "any"), not what its name suggests.
 */
public final class CaptureInterfaces {
    /** Where Linux lists network interfaces; libpcap also lists non-network sources (nflog, usbmon, dbus). */
    private static final Path NETWORK_INTERFACES = Path.of("/sys/class/net");
    private static final String ANY = "any";

    /** One interface; {@code linkType} is -1 when it could not be opened ({@code openError} says why). */
    public record Device(String name, boolean up, boolean running, boolean loopback, List<String> addresses,
                         long mac, int linkType, String openError) {

        /** {@code EN10MB (1)}, or {@code ?} if the interface could not be opened. */
        public String linkTypeText() {
            return linkType < 0 ? "?" : LinkType.name(linkType) + " (" + linkType + ")";
        }

        /** How the agent would tell upload from download here; {@code unsupported} if it cannot meter it. */
        public String directionBy() {
            if (linkType < 0) {
                return "?";
            }
            if (!LinkType.isSupported(linkType)) {
                return "unsupported";
            }
            final DirectionSource source = DirectionSource.of(linkType, mac);
            return source == DirectionSource.OWN_MAC ? source.description() + " " + macText() : source.description();
        }

        /** {@code up}, {@code no-carrier} (up, link not running) or {@code down}. */
        public String state() {
            return !up ? "down" : running ? "up" : "no-carrier";
        }

        /** {@code 02:00:00:00:00:01}, or null without one. */
        public String macText() {
            if (mac < 0) {
                return null;
            }
            final StringBuilder text = new StringBuilder(17);
            for (int shift = 40; shift >= 0; shift -= 8) {
                if (text.length() > 0) {
                    text.append(':');
                }
                text.append(String.format("%02x", (mac >>> shift) & 0xFF));
            }
            return text.toString();
        }
    }

    private CaptureInterfaces() {
    }

    /** {@code libpcap version 1.10.3 (with TPACKET_V3)}, or what is missing; never throws. */
    public static String libraryVersion() {
        try {
            return Pcaps.libVersion();
        } catch (final LinkageError e) {
            // No libpcap (or no JNA): --version must still answer, and say so.
            return "libpcap not loaded (" + e.getMessage() + ")";
        }
    }

    /** The name of every device libpcap can open here, in its order. */
    public static List<String> names() throws CaptureException {
        final List<String> names = new ArrayList<>();
        for (final PcapNetworkInterface device : devices()) {
            names.add(device.getName());
        }
        return names;
    }

    /**
     * The network interfaces ({@code /sys/class/net} and "any"; every device where there is no such directory),
     * each opened once with {@code settings} to read its link type.
     */
    public static List<Device> list(final AgentConfig.Capture settings) throws CaptureException {
        final List<Device> list = new ArrayList<>();
        for (final PcapNetworkInterface device : devices()) {
            final String name = device.getName();
            if (!isNetworkInterface(name)) {
                continue;
            }
            int linkType = -1;
            String openError = null;
            try {
                final PcapHandle handle = LiveCapture.openHandle(settings, name);
                try {
                    linkType = handle.getDlt().value();
                } finally {
                    handle.close();
                }
            } catch (final CaptureException e) {
                openError = e.getMessage();
            }
            list.add(new Device(name, device.isUp(), device.isRunning(), device.isLoopBack(), addresses(device),
                LiveCapture.macOf(device), linkType, openError));
        }
        return list;
    }

    /** True for "any" and what /sys/class/net lists (everything where there is no such directory). */
    public static boolean isNetworkInterface(final String name) {
        return ANY.equals(name) || !Files.isDirectory(NETWORK_INTERFACES) ||
            Files.exists(NETWORK_INTERFACES.resolve(name));
    }

    private static List<PcapNetworkInterface> devices() throws CaptureException {
        try {
            return Pcaps.findAllDevs();
        } catch (final PcapNativeException e) {
            throw new CaptureException("cannot list capture interfaces: " + LiveCapture.oneLine(e), e);
        }
    }

    /** {@code 192.0.2.1/24}, {@code 2001:db8::1/64} (RFC 5952 text, no scope). */
    private static List<String> addresses(final PcapNetworkInterface device) {
        final List<String> addresses = new ArrayList<>();
        for (final PcapAddress address : device.getAddresses()) {
            final InetAddress ip = address.getAddress();
            if (ip == null) {
                continue;
            }
            final InetAddress mask = address.getNetmask();
            addresses.add(NetUtil.toAddressString(ip) + (mask == null ? "" : "/" + prefixLength(mask)));
        }
        return addresses;
    }

    private static int prefixLength(final InetAddress mask) {
        int bits = 0;
        for (final byte b : mask.getAddress()) {
            bits += Integer.bitCount(b & 0xFF);
        }
        return bits;
    }
}
