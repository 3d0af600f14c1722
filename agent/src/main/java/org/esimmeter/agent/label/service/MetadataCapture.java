package org.esimmeter.agent.label.service;

import java.io.EOFException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.esimmeter.agent.capture.CaptureException;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.label.DhcpListener;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata capture: a second libpcap handle per watched interface, with its own snaplen (up to
 * {@code services.snaplen}, where the meter's handle keeps 128 bytes) and a BPF filter that passes only what names
 * a service — DNS responses, TLS ClientHellos, DHCP — to a thread of its own that learns names from them.
 * It counts no byte: the meter's handle sees the same packets and is the only one that bills them.
 * <p>
 * Each handle is opened here, then owned by its thread alone (libpcap handles are not thread-safe): read in blocking
 * mode with a {@value #TIMEOUT_MILLIS} ms timeout, statistics read once a second, closed by the thread as it ends.
 * On an idle link libpcap (TPACKET_V3, immediate mode) may wait past that timeout, so {@link #close()} also calls
 * {@code pcap_breakloop}, the one libpcap call meant for another thread, which wakes the read. Metadata packets are few, so pcap4j's copy of each into a {@code byte[]}
 * (the allocation the meter's hot loop avoids) is what the parsers want here: bounds-checked arrays.
 */
public final class MetadataCapture implements AutoCloseable {
    /**
     * DNS responses over UDP and TCP; DHCP; TCP segments whose payload opens a TLS handshake record (0x16) with a
     * ClientHello (type 1), on any port, computed from the TCP data offset. libpcap indexes {@code tcp[]} over IPv4
     * only, so IPv6 (without extension headers) is matched on its fixed 40-byte header.
     */
    public static final String FILTER = "(udp src port 53) or (tcp src port 53) or (udp and (port 67 or port 68)) or " +
        "(tcp and tcp[((tcp[12] & 0xf0) >> 2)] = 0x16 and tcp[((tcp[12] & 0xf0) >> 2) + 5] = 1) or " +
        "(ip6 and ip6[6] = 6 and ip6[40 + ((ip6[52] & 0xf0) >> 2)] = 0x16 and " +
        "ip6[45 + ((ip6[52] & 0xf0) >> 2)] = 1)";
    static final int TIMEOUT_MILLIS = 200;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final long STATISTICS_INTERVAL_MILLIS = 1000;
    private static final long JOIN_MILLIS = 2000;
    private static final Logger LOG = LoggerFactory.getLogger(MetadataCapture.class);

    private final List<Watcher> watchers;
    private volatile boolean running = true;

    /** One interface's handle, its thread and its counters (written by that thread, read by metrics). */
    private final class Watcher implements Runnable {
        final String name;
        final PcapHandle handle;
        final int linkType;
        final NameLearner learner;
        final Thread thread;
        volatile long packets;
        volatile long dns;
        volatile long tls;
        volatile long dhcp;
        volatile long received;
        volatile long dropped;

        Watcher(final String name, final PcapHandle handle, final int linkType, final NameLearner learner) {
            this.name = name;
            this.handle = handle;
            this.linkType = linkType;
            this.learner = learner;
            this.thread = new Thread(this, "names-" + name);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            long nextStatisticsMillis = 0;
            try {
                while (running) {
                    final byte[] frame = next();
                    final long nowMillis = System.currentTimeMillis();
                    if (frame != null) {
                        packets++;
                        switch (learner.onFrame(linkType, frame, frame.length, nowMillis)) {
                            case NameLearner.DNS -> dns++;
                            case NameLearner.TLS -> tls++;
                            case NameLearner.DHCP -> dhcp++;
                            default -> {
                            }
                        }
                    }
                    if (nowMillis >= nextStatisticsMillis) {
                        statistics();
                        nextStatisticsMillis = nowMillis + STATISTICS_INTERVAL_MILLIS;
                    }
                }
            } catch (final EOFException e) {
                // pcap_breakloop from close(): libpcap's PCAP_ERROR_BREAK, which pcap4j reports as the end.
                if (running) {
                    LOG.warn("{} : metadata capture ended, no more service names learned on it", name);
                }
            } catch (final PcapNativeException | RuntimeException e) {
                // Names stop being learned here; metering goes on. Flows keep the names already learned.
                LOG.warn("{} : metadata capture failed, no more service names learned on it: {}", name,
                    e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' '));
            } finally {
                statistics();
                handle.close();
            }
        }

        /** The next frame, or null when the timeout passed without one. */
        private byte[] next() throws PcapNativeException, EOFException {
            try {
                return handle.getNextRawPacketEx();
            } catch (final TimeoutException e) {
                return null;
            } catch (final org.pcap4j.core.NotOpenException e) {
                throw new IllegalStateException("handle closed", e);
            }
        }

        private void statistics() {
            try {
                if (handle.isOpen()) {
                    final PcapStat stat = handle.getStats();
                    received = stat.getNumPacketsReceived();
                    final long nowDropped = stat.getNumPacketsDropped() + stat.getNumPacketsDroppedByIf();
                    if (nowDropped > dropped) {
                        LOG.warn("{} : metadata capture dropped {} packets so far: some names were not learned " +
                            "(metering is not affected)", name, nowDropped);
                    }
                    dropped = nowDropped;
                }
            } catch (final PcapNativeException | org.pcap4j.core.NotOpenException | RuntimeException e) {
                LOG.debug("{} : cannot read metadata capture statistics: {}", name, e.getMessage());
            }
        }
    }

    private MetadataCapture(final List<Watcher> watchers) {
        this.watchers = watchers;
    }

    /**
     * Opens a metadata handle on every interface (closing what it opened if one fails) and starts their threads.
     *
     * @param interfaces the interfaces to watch (metered ones and LAN ones)
     * @param snaplen    bytes captured per packet, at most {@code AgentConfig.Services.MAX_SNAPLEN}
     * @param dhcp       told about every DHCP message seen
     */
    public static MetadataCapture start(final List<String> interfaces, final int snaplen, final ServiceNames names,
        final DhcpListener dhcp) throws CaptureException {
        final List<Watcher> watchers = new ArrayList<>();
        final MetadataCapture capture = new MetadataCapture(watchers);
        try {
            for (final String name : interfaces) {
                final PcapHandle handle = open(name, snaplen);
                final int linkType = handle.getDlt().value();
                if (!LinkType.isSupported(linkType)) {
                    handle.close();
                    throw new CaptureException(name + " : link type " + LinkType.name(linkType) + " is not supported " +
                        "for service names (expected: Ethernet, raw IP, PPP, Linux cooked or BSD loopback)");
                }
                watchers.add(capture.new Watcher(name, handle, linkType, new NameLearner(names, dhcp, snaplen)));
            }
        } catch (final CaptureException | RuntimeException e) {
            watchers.forEach(watcher -> watcher.handle.close());
            throw e;
        }
        for (final Watcher watcher : watchers) {
            // Thread.start() publishes the handle to its thread; from here only that thread touches it.
            watcher.thread.start();
        }
        LOG.info("learning service names on {} (snaplen {}, DNS responses, TLS ClientHello, DHCP)",
            String.join(", ", interfaces), snaplen);
        return capture;
    }

    private static PcapHandle open(final String name, final int snaplen) throws CaptureException {
        final PcapHandle handle;
        try {
            handle = new PcapHandle.Builder(name)
                .snaplen(snaplen)
                .bufferSize(BUFFER_BYTES)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .immediateMode(true)
                .timeoutMillis(TIMEOUT_MILLIS)
                .build();
        } catch (final PcapNativeException e) {
            throw new CaptureException(name + " : cannot open for service names: " + e.getMessage(), e);
        }
        try {
            handle.setFilter(FILTER, BpfProgram.BpfCompileMode.OPTIMIZE);
            return handle;
        } catch (final Exception e) {
            handle.close();
            throw new CaptureException(name + " : service names filter : " + e.getMessage(), e);
        }
    }

    /** Metadata packets read on all interfaces since start. */
    public long packets() {
        long sum = 0;
        for (final Watcher watcher : watchers) {
            sum += watcher.packets;
        }
        return sum;
    }

    /** Frames that taught a name, by what they were: {@link NameLearner#DNS}, {@code TLS} or {@code DHCP}. */
    public long learnedFrom(final int kind) {
        long sum = 0;
        for (final Watcher watcher : watchers) {
            sum += kind == NameLearner.DNS ? watcher.dns : kind == NameLearner.TLS ? watcher.tls :
                kind == NameLearner.DHCP ? watcher.dhcp : 0;
        }
        return sum;
    }

    /** libpcap's drops (buffer full, driver) on the metadata handles, as of their last statistics. */
    public long dropped() {
        long sum = 0;
        for (final Watcher watcher : watchers) {
            sum += watcher.dropped;
        }
        return sum;
    }

    /** Packets libpcap's filter passed on the metadata handles, as of their last statistics. */
    public long received() {
        long sum = 0;
        for (final Watcher watcher : watchers) {
            sum += watcher.received;
        }
        return sum;
    }

    public List<String> interfaceNames() {
        return watchers.stream().map(watcher -> watcher.name).toList();
    }

    /** Stops the threads (each within the read timeout), which close their handles. Safe from any thread. */
    @Override
    public void close() {
        running = false;
        for (final Watcher watcher : watchers) {
            try {
                if (watcher.handle.isOpen()) {
                    watcher.handle.breakLoop();
                }
            } catch (final org.pcap4j.core.NotOpenException | RuntimeException e) {
                // The thread closed it meanwhile: nothing to wake.
            }
        }
        for (final Watcher watcher : watchers) {
            try {
                watcher.thread.join(JOIN_MILLIS);
                if (watcher.thread.isAlive()) {
                    LOG.warn("{} : metadata capture thread did not stop within {} ms", watcher.name, JOIN_MILLIS);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
