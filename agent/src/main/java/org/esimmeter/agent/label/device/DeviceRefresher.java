package org.esimmeter.agent.label.device;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.wire.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the device sources every {@code refreshMillis} on a thread of its own and publishes an immutable
 * {@link DeviceSnapshot} through a volatile field, which the capture thread reads without a lock. All file and
 * process I/O happens here, never on the capture thread.
 * <p>
 * Reads are aligned to the wall clock, half-way between a second's end and its seal ({@code phaseMillis} past each
 * refresh boundary): a connection opened during a second is in the table the seal of that second reads.
 * <p>
 * A source that cannot be read is logged once (WARN) and again only when its problem changes; the labels then say
 * "approximate" where connection tracking was needed.
 */
public final class DeviceRefresher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceRefresher.class);
    /** IPv6 neighbours come from a process: run at most this often, whatever refreshMillis. */
    private static final long NEIGHBOUR_COMMAND_INTERVAL_MILLIS = 10_000;
    private static final long NEIGHBOUR_COMMAND_TIMEOUT_MILLIS = 2_000;
    /** A connection line is ~150-250 bytes: past this per allowed connection, the rest of the file is not read. */
    private static final int BYTES_PER_CONNECTION = 320;

    private final AgentConfig.Devices config;
    private final DhcpSightings dhcp;
    private final Supplier<List<InetAddress>> routerAddresses;
    private final long phaseMillis;
    private final ConntrackParser conntrackParser = new ConntrackParser();
    private final NeighbourParser neighbourParser;
    private final Set<String> warned = Collections.synchronizedSet(new HashSet<>());
    private byte[] conntrackText = new byte[64 << 10];
    private String ipv6Neighbours = "";
    private long ipv6ReadAtMillis = Long.MIN_VALUE / 2;
    private volatile DeviceSnapshot snapshot = DeviceSnapshot.EMPTY;
    // When the read behind the published snapshot began; written after the snapshot, so a reader that sees it
    // then reads a snapshot at least that fresh.
    private volatile long freshSinceMillis = Long.MIN_VALUE;
    private volatile boolean running = true;
    private Thread thread;

    /**
     * @param routerAddresses the router's own addresses (its public one included); {@link #localAddresses} in
     *                        production
     * @param uplinks         the metered uplinks: their neighbours (the carrier's gateway) are not LAN devices
     * @param phaseMillis     how far past each refresh boundary a read starts (half the seal grace)
     */
    public DeviceRefresher(final AgentConfig.Devices config, final DhcpSightings dhcp,
        final Supplier<List<InetAddress>> routerAddresses, final Set<String> uplinks, final long phaseMillis) {
        this.neighbourParser = new NeighbourParser(uplinks);
        this.config = config;
        this.dhcp = dhcp;
        this.routerAddresses = routerAddresses;
        this.phaseMillis = phaseMillis;
    }

    /** The latest snapshot: a volatile read, no lock. */
    DeviceSnapshot snapshot() {
        return snapshot;
    }

    /** Wall-clock time (ms) at which the read behind the current snapshot began: what it knows is that fresh. */
    long freshSinceMillis() {
        return freshSinceMillis;
    }

    /** Reads every source once and publishes the result; the thread calls this, tests call it directly. */
    public void refresh() {
        final long startedMillis = System.currentTimeMillis();
        final SnapshotBuilder builder = new SnapshotBuilder(config.maxDevices(), config.maxConnections());
        for (final InetAddress address : routerAddresses.get()) {
            final byte[] bytes = address.getAddress();
            if (address instanceof Inet4Address) {
                builder.router(0, Addresses.IPV4_MAPPED_PREFIX | (readInt(bytes, 0) & 0xFFFF_FFFFL));
            } else if (bytes.length == 16) {
                builder.router(readLong(bytes, 0), readLong(bytes, 8));
            }
        }
        // Oldest knowledge first: a later source overrides an earlier one for the same address.
        final String leases = readText("devices.leases", config.leases());
        if (leases != null) {
            neighbourParser.leases(leases, builder::sighting);
            warnMalformed("devices.leases", config.leases());
        }
        dhcp.addTo(builder);
        final String arp = readText("devices.arp", config.arp());
        if (arp != null) {
            neighbourParser.arp(arp, builder::sighting);
            warnMalformed("devices.arp", config.arp());
        }
        final String neighbours = ipv6Neighbours();
        if (!neighbours.isEmpty()) {
            neighbourParser.ipNeigh(neighbours, builder::sighting);
            warnMalformed("devices.ipv6Neighbours", String.join(" ", config.ipv6Neighbours()));
        }
        final int length = readConntrack();
        final SnapshotBuilder.Built built = builder.build(length < 0 ? null : conntrackText, Math.max(0, length),
            conntrackParser);
        if (length >= 0 && conntrackParser.malformed() > 0) {
            warnOnce("devices.conntrack:malformed", "devices.conntrack : " + config.conntrack() + " : " +
                conntrackParser.malformed() + " lines skipped, first " + conntrackParser.firstProblem());
        }
        if (built.connectionsRefused() > 0) {
            warnOnce("devices.maxConnections", "devices.maxConnections : " + config.maxConnections() + " reached (" +
                built.connectionsRefused() + " more): their flows' devices are approximate");
        }
        if (built.devicesRefused() > 0) {
            warnOnce("devices.maxDevices", "devices.maxDevices : " + config.maxDevices() + " reached (" +
                built.devicesRefused() + " more addresses not named)");
        }
        snapshot = built.snapshot();
        freshSinceMillis = startedMillis;
    }

    /** Starts the refresher thread after a first synchronous refresh (the first seconds are labelled too). */
    public void start() {
        refresh();
        LOG.info("devices: {} LAN addresses known, connection tracking {} ({} connections), refreshed every {} ms",
            snapshot.devices.length, snapshot.conntrackRead ? "read" : "unreadable: devices through NAT are " +
            "approximate", snapshot.connectionCount(), config.refreshMillis());
        thread = new Thread(this::loop, "devices");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        final long interval = config.refreshMillis();
        while (running) {
            final long now = System.currentTimeMillis();
            final long next = (Math.floorDiv(now - phaseMillis, interval) + 1) * interval + phaseMillis;
            try {
                Thread.sleep(Math.max(1, next - now));
            } catch (final InterruptedException e) {
                return;
            }
            if (!running) {
                return;
            }
            try {
                refresh();
            } catch (final RuntimeException e) {
                // A bug in a parser must not end device naming for the agent's lifetime.
                warnOnce("refresh:" + e, "devices : refresh failed: " + e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The connection table into {@link #conntrackText}; its length, or -1 when it cannot be read. */
    private int readConntrack() {
        final String file = config.conntrack();
        if (file.isEmpty()) {
            return -1;
        }
        final int limit = (int) Math.min(Integer.MAX_VALUE - 16, (long) config.maxConnections() * BYTES_PER_CONNECTION);
        try (FileChannel channel = FileChannel.open(Path.of(file))) {
            int length = 0;
            while (true) {
                if (length == conntrackText.length) {
                    if (length >= limit) {
                        break;
                    }
                    conntrackText = java.util.Arrays.copyOf(conntrackText, (int) Math.min(limit, length * 2L));
                }
                final int read = channel.read(ByteBuffer.wrap(conntrackText, length, conntrackText.length - length));
                if (read < 0) {
                    break;
                }
                length += read;
            }
            cleared("devices.conntrack");
            if (length >= limit) {
                // Cut at the last whole line: the connections beyond are approximate, and said so once.
                while (length > 0 && conntrackText[length - 1] != '\n') {
                    length--;
                }
                warnOnce("devices.conntrack:size", "devices.conntrack : " + file + " : longer than " + limit +
                    " bytes (devices.maxConnections x " + BYTES_PER_CONNECTION + "): the rest is not read");
            }
            return length;
        } catch (final IOException e) {
            warnOnce("devices.conntrack", "devices.conntrack : " + file + " : " + reason(e) + (e instanceof
                AccessDeniedException ? " (readable by root or group root only: see README, \"Devices\")" : "") +
                "; devices behind NAT are approximate");
            return -1;
        }
    }

    private String readText(final String key, final String file) {
        if (file.isEmpty()) {
            return null;
        }
        try {
            final String text = Files.readString(Path.of(file), StandardCharsets.ISO_8859_1);
            cleared(key);
            return text;
        } catch (final IOException e) {
            warnOnce(key, key + " : " + file + " : " + reason(e));
            return null;
        }
    }

    /** The IPv6 neighbours, from the command's last run (at most every 10 s); empty when none or it failed. */
    private String ipv6Neighbours() {
        final List<String> command = config.ipv6Neighbours();
        final long now = System.currentTimeMillis();
        if (command.isEmpty() || now - ipv6ReadAtMillis < NEIGHBOUR_COMMAND_INTERVAL_MILLIS) {
            return ipv6Neighbours;
        }
        ipv6ReadAtMillis = now;
        final String key = "devices.ipv6Neighbours";
        Process process = null;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(
                ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            // Bounded output: a neighbour table of maxDevices lines.
            final byte[] output = process.getInputStream().readNBytes(config.maxDevices() * 200);
            if (!process.waitFor(NEIGHBOUR_COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                warnOnce(key, key + " : " + String.join(" ", command) + " : still running after " +
                    NEIGHBOUR_COMMAND_TIMEOUT_MILLIS + " ms (killed)");
                return ipv6Neighbours;
            }
            if (process.exitValue() != 0) {
                warnOnce(key, key + " : " + String.join(" ", command) + " : exit status " + process.exitValue() +
                    ": " + new String(output, StandardCharsets.UTF_8).trim().replace('\n', ' '));
                ipv6Neighbours = "";
                return ipv6Neighbours;
            }
            cleared(key);
            ipv6Neighbours = new String(output, StandardCharsets.ISO_8859_1);
        } catch (final IOException e) {
            warnOnce(key, key + " : " + String.join(" ", command) + " : cannot run: " + e.getMessage() +
                " (IPv6 devices are then named by address only)");
            ipv6Neighbours = "";
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
        }
        return ipv6Neighbours;
    }

    private void warnMalformed(final String key, final String source) {
        if (neighbourParser.malformed() > 0) {
            warnOnce(key + ":malformed", key + " : " + source + " : " + neighbourParser.malformed() +
                " lines skipped, first " + neighbourParser.firstProblem());
        }
    }

    /** One WARN line per distinct problem of a source, until the source works again. */
    private void warnOnce(final String key, final String message) {
        synchronized (warned) {
            if (warned.removeIf(k -> k.startsWith(key + "\u0000") && !k.equals(key + "\u0000" + message)) |
                warned.add(key + "\u0000" + message)) {
                LOG.warn(message);
            }
        }
    }

    private void cleared(final String key) {
        warned.removeIf(k -> k.startsWith(key + "\u0000"));
    }

    private static String reason(final IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage();
    }

    /** The addresses of this machine's interfaces, all of them: what "the router's own" means. */
    public static List<InetAddress> localAddresses() {
        final List<InetAddress> addresses = new ArrayList<>();
        try {
            for (final NetworkInterface iface : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                addresses.addAll(Collections.list(iface.getInetAddresses()));
            }
        } catch (final SocketException e) {
            LOG.warn("devices : cannot list this machine's addresses: {}", e.getMessage());
        }
        return addresses;
    }

    private static int readInt(final byte[] bytes, final int at) {
        return (bytes[at] & 0xFF) << 24 | (bytes[at + 1] & 0xFF) << 16 | (bytes[at + 2] & 0xFF) << 8 |
            (bytes[at + 3] & 0xFF);
    }

    private static long readLong(final byte[] bytes, final int at) {
        return (long) readInt(bytes, at) << 32 | (readInt(bytes, at + 4) & 0xFFFF_FFFFL);
    }
}
