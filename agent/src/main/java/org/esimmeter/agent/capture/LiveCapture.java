package org.esimmeter.agent.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.meter.CurrentProfile;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.FragmentPorts;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.esimmeter.agent.meter.Reconciler;
import org.esimmeter.agent.meter.SecondSink;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.Pcaps;
import org.pcap4j.util.LinkLayerAddress;
import org.pcap4j.util.MacAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live capture on the configured interfaces, all served by the calling thread: poll(2) on every handle, drain
 * what is ready, seal seconds that the wall clock has passed, read libpcap statistics once a second. libpcap
 * handles are not thread-safe, so open, read, statistics and close all happen on that thread.
 * <p>
 * How a handle learns direction depends on its link type: cooked captures say it per packet; Ethernet frames
 * sent from our own MAC are upload; links with neither (raw-IP modems, TUN, PPP) get two handles that libpcap
 * restricts to outgoing or to incoming packets by the kernel's packet type ({@code pcap_setdirection}).
 * <p>
 * Once a second, right after a drain, the kernel's counters of each interface are read ({@link KernelCounters}) and
 * compared with what its handles captured up to then plus a margin ({@link CaptureTally}), once they have been drained
 * past that margin; the {@link Reconciler} turns the gap into uncaptured traffic of the open second.
 */
public final class LiveCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveCapture.class);
    private static final int BURST = 4096;
    private static final long STATISTICS_INTERVAL_MILLIS = 1000;
    /**
     * How long after reading the kernel's counters a packet they include may still be stamped by the capture: the
     * kernel counts a received packet in the driver and stamps it for capture a moment later in the same softirq
     * (microseconds, a few milliseconds under load). Packets stamped within the margin but counted after the read
     * only lower the estimate, which the next quiet moment corrects.
     */
    static final long RECONCILE_MARGIN_MILLIS = 100;
    private static final Path SYS_CLASS_NET = Path.of("/sys/class/net");

    private final AgentConfig.Capture settings;
    private final List<Metered> interfaces;
    private final List<PcapReader> readers = new ArrayList<>();
    private final Poller poller;
    private volatile boolean running = true;
    /** System.nanoTime() at the end of the loop's last pass; the service manager's watchdog reads it. */
    private final AtomicLong lastPassNanos = new AtomicLong(System.nanoTime());

    /** One interface: its meter, the one or two handles feeding it, and the comparison with its kernel counters. */
    private static final class Metered {
        final String name;
        final InterfaceMeter meter;
        final List<PcapReader> readers = new ArrayList<>(2);
        /** Null when the interface is not reconciled (configured off, loopback, {@code any}, no sysfs counters). */
        KernelCounters kernel;
        final CaptureTally tally = new CaptureTally();
        Reconciler reconciler;
        /** A kernel sample waits for the handles to be drained past its margin. */
        boolean samplePending;
        long sampleNanos;
        /**
         * Whether the last drain emptied every handle of the interface (each read fewer than a burst): only then were
         * all packets stamped before a sample's mark read, however long the loop had stalled.
         */
        boolean drainedAll;
        boolean kernelFailing;
        boolean resetWarned;

        Metered(final String name, final InterfaceMeter meter) {
            this.name = name;
            this.meter = meter;
        }
    }

    private LiveCapture(final AgentConfig.Capture settings, final List<Metered> interfaces) {
        this.settings = settings;
        this.interfaces = interfaces;
        for (final Metered metered : interfaces) {
            readers.addAll(metered.readers);
        }
        final int[] fds = new int[readers.size()];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = readers.get(i).selectableFd();
        }
        poller = new Poller(fds);
    }

    /**
     * Opens every configured interface; on any failure closes what it opened and says which one failed.
     *
     * @param profiles each interface's profile by name: what the meter reads when it opens a second
     */
    public static LiveCapture open(final AgentConfig config, final SecondSink sink,
        final Map<String, CurrentProfile> profiles) throws CaptureException {
        final AgentConfig.Capture settings = config.capture();
        final List<Metered> opened = new ArrayList<>();
        try {
            for (final AgentConfig.Interface iface : config.interfaces()) {
                opened.add(openInterface(settings, iface, profiles.get(iface.name()), sink));
            }
            return new LiveCapture(settings, opened);
        } catch (final CaptureException | RuntimeException e) {
            for (final Metered metered : opened) {
                metered.readers.forEach(reader -> reader.handle().close());
                if (metered.kernel != null) {
                    metered.kernel.close();
                }
            }
            throw e;
        }
    }

    private static Metered openInterface(final AgentConfig.Capture settings, final AgentConfig.Interface iface,
        final CurrentProfile profile, final SecondSink sink) throws CaptureException {
        final PcapNetworkInterface device = device(iface.name());
        final FlowTable flows = new FlowTable(Math.min(4096, settings.maxFlowsPerSecond()),
            settings.maxFlowsPerSecond());
        final InterfaceMeter meter = new InterfaceMeter(iface.name(), profile, flows,
            new FragmentPorts(4096), sink);
        final Metered metered = new Metered(iface.name(), meter);
        final String filter = combine(settings.filter(), iface.filter());

        final PcapHandle first = openHandle(settings, iface.name());
        try {
            final int linkType = first.getDlt().value();
            if (!LinkType.isSupported(linkType)) {
                throw new CaptureException(iface.name() + " : link type " + LinkType.name(linkType) +
                    " is not supported (expected: Ethernet, raw IP, PPP, Linux cooked or BSD loopback)");
            }
            final long ownMac = macOf(device);
            final DirectionSource source = DirectionSource.of(linkType, ownMac);
            if (source == DirectionSource.LINK_HEADER) {
                metered.readers.add(reader(first, iface.name(), filter, linkType, meter,
                    DirectionRule.fromLinkHeader()));
            } else if (source == DirectionSource.OWN_MAC) {
                metered.readers.add(reader(first, iface.name(), filter, linkType, meter, DirectionRule.ownMac(ownMac)));
            } else {
                // No direction in the frames: two handles, each keeping one direction by the kernel's packet type.
                // pcap_setdirection, not the BPF `outbound`/`inbound`: after pcap_setfilter, libpcap (1.10 on
                // Linux) filters the ring's first block in userland, where those primitives match nothing, so the
                // first packet after start was lost in each direction (seen on a TUN against its kernel counters).
                metered.readers.add(directed(reader(first, iface.name(), filter, linkType, meter,
                    DirectionRule.fixed(Direction.UP)), PcapHandle.PcapDirection.OUT));
                final PcapHandle second = openHandle(settings, iface.name());
                metered.readers.add(directed(reader(second, iface.name(), filter, linkType, meter,
                    DirectionRule.fixed(Direction.DOWN)), PcapHandle.PcapDirection.IN));
            }
            final String reconciled = startReconciling(metered, iface, device, linkType, filter);
            LOG.info("capturing on {} ({}, profile {}, direction by {}{}, {})", iface.name(), LinkType.name(linkType),
                iface.profileFrom() == null ? iface.profile() : "discovered (now " + profile.get() + ")",
                metered.readers.get(0).directionRule(),
                filter.isEmpty() ? "" : ", filter '" + filter + "'", reconciled);
            return metered;
        } catch (final CaptureException | RuntimeException e) {
            closeIfOpen(first);
            metered.readers.forEach(reader -> closeIfOpen(reader.handle()));
            if (metered.kernel != null) {
                metered.kernel.close();
            }
            throw e;
        }
    }

    /**
     * Takes the baseline of the interface's kernel counters once its handles capture, or says why it will not: off
     * in the configuration; {@code lo}, where the kernel counts every packet both as sent and as received; {@code
     * any}, which has no counters of its own; no readable counters in sysfs.
     */
    private static String startReconciling(final Metered metered, final AgentConfig.Interface iface,
        final PcapNetworkInterface device, final int linkType, final String filter) {
        if (!iface.reconcile()) {
            return "not reconciled with kernel counters (reconcile: false)";
        }
        if (device.isLoopBack() || "any".equals(iface.name())) {
            return "not reconciled with kernel counters (" + (device.isLoopBack() ? "loopback" : "no counters of its own") +
                ")";
        }
        try {
            metered.kernel = KernelCounters.open(SYS_CLASS_NET, iface.name());
        } catch (final IOException | RuntimeException e) {
            LOG.warn("{} : cannot read the kernel's counters ({}): traffic the capture misses will not be billed as " +
                "uncaptured", iface.name(), oneLine(e));
            return "not reconciled with kernel counters (unreadable)";
        }
        metered.reconciler = new Reconciler(LinkType.pseudoHeaderLength(linkType), LinkType.kernelHeaderLength(linkType));
        for (final PcapReader reader : metered.readers) {
            reader.tally(metered.tally);
        }
        feedKernel(metered);
        feedCaptured(metered);
        metered.reconciler.update(); // the first sample is the baseline
        return "reconciled with kernel counters" + (filter.isEmpty() ? "" :
            ": what the filter leaves out counts as uncaptured");
    }

    private static PcapNetworkInterface device(final String name) throws CaptureException {
        try {
            final PcapNetworkInterface device = Pcaps.getDevByName(name);
            if (device == null) {
                throw new CaptureException(name + " : no such capture interface");
            }
            return device;
        } catch (final PcapNativeException e) {
            throw new CaptureException(name + " : cannot list capture interfaces: " + oneLine(e), e);
        }
    }

    static PcapHandle openHandle(final AgentConfig.Capture settings, final String name)
        throws CaptureException {
        try {
            return new PcapHandle.Builder(name)
                .snaplen(settings.snaplen())
                .bufferSize(settings.bufferBytes())
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS)
                .immediateMode(true)
                .timeoutMillis(settings.pollMillis())
                .build();
        } catch (final PcapNativeException e) {
            final String reason = oneLine(e);
            // libpcap's text for PCAP_ERROR_PERM_DENIED ("socket: Operation not permitted", "You don't have
            // permission ...") and PCAP_ERROR_IFACE_NOT_UP: say what to do; anything else speaks for itself.
            if (reason.contains("not permitted") || reason.contains("permission")) {
                throw new CaptureException(name + " : no permission to capture (" + reason + "): run as root or " +
                    "with the capability CAP_NET_RAW, as esim-meter-agent.service grants it", e);
            }
            final String hint = reason.contains("not up") ? " (the interface is down: ip link set " + name + " up)" : "";
            throw new CaptureException(name + " : cannot open for capture: " + reason + hint, e);
        }
    }

    private static PcapReader reader(final PcapHandle handle, final String name, final String filter,
        final int linkType, final InterfaceMeter meter, final DirectionRule rule) throws CaptureException {
        try {
            if (!filter.isEmpty()) {
                handle.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
            }
            handle.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
            return new PcapReader(handle, linkType, meter, rule);
        } catch (final Exception e) {
            handle.close();
            throw new CaptureException(name + " : filter '" + filter + "' : " + oneLine(e), e);
        }
    }

    private static PcapReader directed(final PcapReader reader, final PcapHandle.PcapDirection direction)
        throws CaptureException {
        try {
            reader.handle().setDirection(direction);
            return reader;
        } catch (final Exception e) {
            reader.handle().close();
            throw new CaptureException(reader.meter().interfaceName() + " : cannot capture direction " + direction +
                " only: " + oneLine(e), e);
        }
    }

    /** Runs until {@link #stop()}: then drains what the kernel already holds, seals every open second, returns. */
    public void run() throws CaptureException {
        long nextStatisticsMillis = 0;
        while (running) {
            poller.await(settings.pollMillis());
            final long drainFromNanos = System.nanoTime();
            for (int m = 0; m < interfaces.size(); m++) {
                final Metered metered = interfaces.get(m);
                boolean backlog = false;
                for (int r = 0; r < metered.readers.size(); r++) {
                    backlog |= drain(metered.readers.get(r)) >= BURST;
                }
                metered.drainedAll = !backlog;
            }
            final long nowMillis = System.currentTimeMillis();
            reconcileDrained(drainFromNanos, nowMillis);
            if (nowMillis >= nextStatisticsMillis) {
                readStatistics();
                sampleKernel();
                // On each wall-clock second boundary: a second is sealed sealGraceMillis later, so it reports
                // statistics read after it ended rather than up to a second before.
                nextStatisticsMillis = (nowMillis / STATISTICS_INTERVAL_MILLIS + 1) * STATISTICS_INTERVAL_MILLIS;
            }
            for (int i = 0; i < interfaces.size(); i++) {
                interfaces.get(i).meter.sealIfDue(nowMillis, settings.sealGraceMillis());
            }
            lastPassNanos.lazySet(System.nanoTime()); // an ordered store: no fence on the loop's path
        }
        drainAll();
        // The final reconciliation: a pending sample, then one taken now, each once the handles were drained past
        // its margin, so that the last seconds carry everything the kernel counted up to the stop.
        settle();
        sampleKernel();
        settle();
        readStatistics();
        for (final Metered metered : interfaces) {
            metered.meter.seal();
        }
    }

    private void drainAll() throws CaptureException {
        for (final PcapReader reader : readers) {
            while (drain(reader) > 0) {
                // Counted bytes already in the ring belong to this run: read them before sealing.
            }
        }
        for (final Metered metered : interfaces) {
            metered.drainedAll = true;
        }
    }

    /** Drains until every pending kernel sample could be compared (at most the margin, at stop only). */
    private void settle() throws CaptureException {
        while (true) {
            long waitNanos = 0;
            for (final Metered metered : interfaces) {
                if (metered.samplePending) {
                    waitNanos = Math.max(waitNanos, metered.sampleNanos + RECONCILE_MARGIN_MILLIS * 1_000_000 -
                        System.nanoTime());
                }
            }
            if (waitNanos <= 0 && !anyPending()) {
                return;
            }
            if (waitNanos > 0) {
                poller.await((int) Math.max(1, Math.min(settings.pollMillis(), waitNanos / 1_000_000 + 1)));
            }
            final long drainFromNanos = System.nanoTime();
            drainAll();
            reconcileDrained(drainFromNanos, System.currentTimeMillis());
        }
    }

    private boolean anyPending() {
        for (final Metered metered : interfaces) {
            if (metered.samplePending) {
                return true;
            }
        }
        return false;
    }

    /** Reads the kernel counters of each reconciled interface right after a drain, and marks the capture tally. */
    private void sampleKernel() {
        for (int i = 0; i < interfaces.size(); i++) {
            final Metered metered = interfaces.get(i);
            if (metered.kernel == null || metered.samplePending) {
                continue;
            }
            if (!readKernel(metered)) {
                continue;
            }
            feedKernel(metered);
            // Every packet drained so far was stamped before now: none lands after the mark by mistake.
            metered.sampleNanos = System.nanoTime();
            metered.tally.mark((System.currentTimeMillis() + RECONCILE_MARGIN_MILLIS) * 1000);
            metered.samplePending = true;
        }
    }

    private static boolean readKernel(final Metered metered) {
        try {
            metered.kernel.read();
        } catch (final IOException first) {
            try {
                // The interface may have been deleted and created again: its files are new ones.
                metered.kernel.reopen();
                metered.kernel.read();
            } catch (final IOException e) {
                if (!metered.kernelFailing) {
                    metered.kernelFailing = true;
                    LOG.warn("{} : cannot read the kernel's counters ({}): no uncaptured traffic is counted until " +
                        "they are readable again", metered.name, oneLine(e));
                }
                return false;
            }
        }
        if (metered.kernelFailing) {
            metered.kernelFailing = false;
            LOG.info("{} : the kernel's counters are readable again", metered.name);
        }
        return true;
    }

    private static void feedKernel(final Metered metered) {
        final KernelCounters kernel = metered.kernel;
        metered.reconciler.kernel(kernel.get(KernelCounters.RX_PACKETS), kernel.get(KernelCounters.RX_BYTES),
            kernel.get(KernelCounters.TX_PACKETS), kernel.get(KernelCounters.TX_BYTES));
    }

    private static void feedCaptured(final Metered metered) {
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            metered.reconciler.captured(direction, metered.tally.packetsUpToMark(direction),
                metered.tally.bytesUpToMark(direction));
        }
    }

    /**
     * Compares each pending kernel sample whose margin had passed when this drain began (by the monotonic clock: a
     * wall-clock step cannot cut it short), on an interface whose handles this drain emptied, with what was captured
     * up to its mark.
     */
    private void reconcileDrained(final long drainFromNanos, final long nowMillis) {
        for (int i = 0; i < interfaces.size(); i++) {
            final Metered metered = interfaces.get(i);
            // A drain that began after the margin is not enough: after a stall (GC, a slow sink) a full burst may have
            // left packets stamped before the mark in the ring, and kernel minus captured would then bill them twice.
            if (!metered.samplePending || !metered.drainedAll ||
                drainFromNanos - metered.sampleNanos < RECONCILE_MARGIN_MILLIS * 1_000_000) {
                continue;
            }
            metered.samplePending = false;
            feedCaptured(metered);
            final int result = metered.reconciler.update();
            if (result == Reconciler.UNCAPTURED) {
                metered.meter.addUncaptured(metered.reconciler.increment(), nowMillis);
            } else if (result == Reconciler.RESET && !metered.resetWarned) {
                metered.resetWarned = true;
                LOG.warn("{} : the kernel's counters went down (interface re-created or counter wrapped): " +
                    "reconciliation starts again from here; traffic the capture missed in the last second is not " +
                    "counted (logged once)", metered.name);
            }
        }
    }

    private static int drain(final PcapReader reader) throws CaptureException {
        final int read = reader.read(BURST);
        if (read == PcapReader.ERROR) {
            throw new CaptureException(reader.meter().interfaceName() + " : capture failed: " + reader.error());
        }
        return read;
    }

    private void readStatistics() {
        for (final Metered metered : interfaces) {
            long received = 0;
            long dropped = 0;
            for (final PcapReader reader : metered.readers) {
                try {
                    final PcapStat stat = reader.handle().getStats();
                    received += stat.getNumPacketsReceived();
                    dropped += stat.getNumPacketsDropped() + stat.getNumPacketsDroppedByIf();
                } catch (final Exception e) {
                    LOG.warn("{} : cannot read capture statistics: {}", metered.name, oneLine(e));
                }
            }
            if (dropped > metered.meter.pcapDropped()) {
                LOG.warn("{} : libpcap dropped {} packets so far; counts for this interface are low by at least that",
                    metered.name, dropped);
            }
            metered.meter.captureStatistics(received, dropped);
        }
    }

    /**
     * Null while the loop completed a pass within {@code withinNanos}, else for how long it has not (a sink that
     * blocks, a libpcap call that hangs). poll(2) returns after {@code pollMillis} at most (1 s), so an idle link
     * still passes. Safe from any thread.
     */
    public String stalled(final long withinNanos) {
        final long idleNanos = System.nanoTime() - lastPassNanos.get();
        return idleNanos <= withinNanos ? null :
            String.format("capture loop made no progress for %.1f s", idleNanos / 1e9);
    }

    /** The configured interfaces, in configuration order. */
    public List<String> interfaceNames() {
        final List<String> names = new ArrayList<>(interfaces.size());
        for (final Metered metered : interfaces) {
            names.add(metered.name);
        }
        return names;
    }

    /** The meters, one per configured interface, in configuration order. */
    public List<InterfaceMeter> meters() {
        final List<InterfaceMeter> meters = new ArrayList<>(interfaces.size());
        for (final Metered metered : interfaces) {
            meters.add(metered.meter);
        }
        return meters;
    }

    /**
     * Holds each sealed second until the flow labels can know its connections ({@link
     * InterfaceMeter#holdForLabels}); call before {@link #run()}.
     */
    public void holdSecondsForLabels(final java.util.function.LongSupplier readyThroughMillis,
        final long maxHoldMillis) {
        for (final Metered metered : interfaces) {
            metered.meter.holdForLabels(readyThroughMillis, maxHoldMillis);
        }
    }

    /** Asks {@link #run()} to finish; safe from any thread (a signal handler, a shutdown hook). */
    public void stop() {
        running = false;
    }

    /** Closes the handles; call on the thread that ran {@link #run()}, after it returned. */
    @Override
    public void close() {
        for (final PcapReader reader : readers) {
            reader.handle().close();
        }
        for (final Metered metered : interfaces) {
            if (metered.kernel != null) {
                metered.kernel.close();
            }
        }
    }

    /** pcap4j warns on a second close; reader() and directed() may already have closed a handle they failed on. */
    private static void closeIfOpen(final PcapHandle handle) {
        if (handle.isOpen()) {
            handle.close();
        }
    }

    /** The interface's MAC as 48 bits, or -1 if it has none. */
    static long macOf(final PcapNetworkInterface device) {
        for (final LinkLayerAddress address : device.getLinkLayerAddresses()) {
            if (address instanceof MacAddress) {
                final byte[] bytes = address.getAddress();
                long mac = 0;
                for (final byte b : bytes) {
                    mac = (mac << 8) | (b & 0xFF);
                }
                return mac;
            }
        }
        return -1;
    }

    private static String combine(final String a, final String b) {
        if (a.isEmpty()) {
            return b;
        }
        if (b.isEmpty()) {
            return a;
        }
        return "(" + a + ") and (" + b + ")";
    }

    static String oneLine(final Throwable e) {
        final String message = e.getMessage() == null ? "" : e.getMessage().replace('\n', ' ').trim();
        return message.isEmpty() ? e.toString() : message;
    }
}
