package org.esimmeter.agent.meter;

import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * Finds the traffic the kernel counted on an interface that no capture handle saw (flow offload, libpcap drops, a
 * capture filter), from samples of the kernel's cumulative counters and of what the handles captured, and hands it
 * out as "uncaptured" increments that never add up to more than the traffic really hidden.
 * <p>
 * Each sample pairs the kernel's counters read at time t with the packets captured with a timestamp up to t plus a
 * margin, read after the handles were drained past that margin (the caller's part, see {@code CaptureTally}). A
 * packet the kernel counted by t has then been captured, unless it was hidden; packets captured within the margin
 * but counted after t only make the gap smaller. So {@code kernel - captured} of a sample is a lower bound of the
 * hidden traffic, never above it, however the two clocks skew by a packet or two:
 * <pre>
 *   bound(t) = hidden(t) - captured in (t, t + margin]  &lt;=  hidden(t)  &lt;=  hidden(now)
 * </pre>
 * The cumulative uncaptured is the running maximum of these bounds, separately for packets, bytes and IP bytes,
 * so a busy second that lowers one bound takes nothing back and a quiet moment later (or the final sample at stop)
 * brings it to the exact figure. Three more guards keep it from over-counting when the assumptions bend:
 * <ul>
 * <li>directions are bounded per direction (the kernel's tx is upload, rx download) and again in total, where the
 *     capture's direction does not matter: frames the capture puts the other way (a bridge port forwarding
 *     foreign MACs) or leaves unknown shift nothing into uncaptured;</li>
 * <li>no bytes without packets: a byte gap while every packet was captured is a counting quirk (a driver that
 *     counts the Ethernet FCS), not hidden traffic;</li>
 * <li>counters that go down (the interface was re-created, or a 32-bit counter wrapped) start a new baseline from
 *     the uncaptured so far: the traffic between the two samples is lost rather than guessed.</li>
 * </ul>
 * Units are the kernel's: bytes as the interface counts them, which differ from libpcap's original length by a
 * cooked header libpcap adds ({@code pseudoHeaderLength}); IP bytes are bytes minus {@code kernelHeaderLength}
 * per packet. Owned by the capture thread; allocates nothing after construction.
 */
public final class Reconciler {
    /** {@link #update} result: nothing new. */
    public static final int NOTHING = 0;
    /** {@link #update} result: {@link #increment()} holds new uncaptured traffic. */
    public static final int UNCAPTURED = 1;
    /** {@link #update} result: a counter went down; the comparison starts again from this sample. */
    public static final int RESET = 2;

    private static final int PACKETS = 0;
    private static final int BYTES = 1;
    private static final int IP = 2;
    private static final int METRICS = 3;
    /** Bound slots: the two directions the kernel counts, then both together. */
    private static final int TOTAL = 2;
    private static final int SLOTS = 3;

    private final int pseudoHeaderLength;
    private final int kernelHeaderLength;

    // The sample being fed: kernel counters by slot (UP = tx, DOWN = rx), captured by Direction (UNKNOWN too).
    private final long[] kernelPackets = new long[2];
    private final long[] kernelBytes = new long[2];
    private final long[] capturedPackets = new long[Direction.COUNT];
    private final long[] capturedBytes = new long[Direction.COUNT];

    private boolean started;
    private final long[] lastKernel = new long[4];
    private final long[] baseKernelPackets = new long[2];
    private final long[] baseKernelBytes = new long[2];
    private final long[] baseCapturedPackets = new long[SLOTS];
    private final long[] baseCapturedBytes = new long[SLOTS];
    /** The uncaptured handed out before the baseline, by metric and slot: where new bounds start. */
    private final long[] carried = new long[METRICS * SLOTS];
    /** Running maximum of the lower bounds, by metric and slot. */
    private final long[] best = new long[METRICS * SLOTS];
    /** Uncaptured handed out so far, by metric and direction (UP, DOWN). */
    private final long[] emitted = new long[METRICS * 2];
    private final TrafficCounters increment = new TrafficCounters();

    /**
     * @param pseudoHeaderLength bytes libpcap adds in front of each captured frame that the kernel never counted
     * @param kernelHeaderLength link header bytes per packet in the kernel's counts, taken off for IP bytes
     */
    public Reconciler(final int pseudoHeaderLength, final int kernelHeaderLength) {
        if (pseudoHeaderLength < 0 || kernelHeaderLength < 0) {
            throw new IllegalArgumentException("header lengths : " + pseudoHeaderLength + ", " + kernelHeaderLength +
                " (expected: >= 0)");
        }
        this.pseudoHeaderLength = pseudoHeaderLength;
        this.kernelHeaderLength = kernelHeaderLength;
    }

    /** The kernel's cumulative counters of the interface, as read from sysfs; the first part of a sample. */
    public Reconciler kernel(final long rxPackets, final long rxBytes, final long txPackets, final long txBytes) {
        kernelPackets[Direction.UP] = txPackets;
        kernelBytes[Direction.UP] = txBytes;
        kernelPackets[Direction.DOWN] = rxPackets;
        kernelBytes[Direction.DOWN] = rxBytes;
        return this;
    }

    /** Cumulative packets and original lengths captured in one direction up to the sample's mark. */
    public Reconciler captured(final int direction, final long packets, final long bytes) {
        capturedPackets[direction] = packets;
        capturedBytes[direction] = bytes;
        return this;
    }

    /**
     * Takes the sample fed through {@link #kernel} and {@link #captured}. The first one is the baseline.
     *
     * @return {@link #UNCAPTURED} when {@link #increment()} holds traffic to add to the open second,
     * {@link #RESET} when a counter went down, else {@link #NOTHING}
     */
    public int update() {
        increment.clear();
        if (!started || wentDown()) {
            final boolean reset = started;
            baseline();
            return reset ? RESET : NOTHING;
        }
        rememberKernel();
        for (int slot = 0; slot < SLOTS; slot++) {
            final long packets = kernel(kernelPackets, baseKernelPackets, slot) - captured(capturedPackets, slot) +
                baseCapturedPackets[slot];
            final long bytes = kernel(kernelBytes, baseKernelBytes, slot) - (captured(capturedBytes, slot) -
                baseCapturedBytes[slot]);
            raise(PACKETS, slot, carried[PACKETS * SLOTS + slot] + packets);
            raise(BYTES, slot, carried[BYTES * SLOTS + slot] + bytes);
            raise(IP, slot, carried[IP * SLOTS + slot] + bytes - kernelHeaderLength * packets);
        }
        boolean any = false;
        for (int metric = 0; metric < METRICS; metric++) {
            any |= handOut(metric);
        }
        return any ? UNCAPTURED : NOTHING;
    }

    /** What the last {@link #update} found: packets, bytes (wire bytes) and IP bytes by direction. Reused. */
    public TrafficCounters increment() {
        return increment;
    }

    /** Uncaptured packets (metric 0), bytes (1) or IP bytes (2) handed out so far in a direction. */
    public long emitted(final int direction, final int metric) {
        return emitted[metric * 2 + direction];
    }

    private long kernel(final long[] values, final long[] base, final int slot) {
        return slot == TOTAL ? values[0] - base[0] + values[1] - base[1] : values[slot] - base[slot];
    }

    /** Captured in kernel units: the cooked header off every packet; the total takes in unknown directions. */
    private long captured(final long[] values, final int slot) {
        final long sum = slot == TOTAL ? values[Direction.UP] + values[Direction.DOWN] + values[Direction.UNKNOWN] :
            values[slot];
        if (values == capturedBytes) {
            return sum - pseudoHeaderLength * (slot == TOTAL ? capturedPackets[Direction.UP] +
                capturedPackets[Direction.DOWN] + capturedPackets[Direction.UNKNOWN] : capturedPackets[slot]);
        }
        return sum;
    }

    private void raise(final int metric, final int slot, final long bound) {
        final int index = metric * SLOTS + slot;
        if (bound > best[index]) {
            best[index] = bound;
        }
    }

    /** What may be handed out in a slot: no bytes without packets, no IP bytes beyond the bytes. */
    private long target(final int metric, final int slot) {
        if (best[PACKETS * SLOTS + slot] <= 0) {
            return 0;
        }
        final long value = best[metric * SLOTS + slot];
        return metric == IP ? Math.min(value, best[BYTES * SLOTS + slot]) : value;
    }

    private boolean handOut(final int metric) {
        final long wantUp = Math.max(0, target(metric, Direction.UP) - emitted[metric * 2 + Direction.UP]);
        final long wantDown = Math.max(0, target(metric, Direction.DOWN) - emitted[metric * 2 + Direction.DOWN]);
        if (wantUp + wantDown == 0) {
            return false;
        }
        final long room = Math.max(0, target(metric, TOTAL) - emitted[metric * 2 + Direction.UP] -
            emitted[metric * 2 + Direction.DOWN]);
        long up = wantUp;
        long down = wantDown;
        if (wantUp + wantDown > room) {
            // The directions claim more than the total allows: share the room in proportion, never more.
            up = Math.min(Math.min(wantUp, room), (long) Math.floor((double) room * wantUp / (wantUp + wantDown)));
            down = Math.min(wantDown, room - up);
        }
        emitted[metric * 2 + Direction.UP] += up;
        emitted[metric * 2 + Direction.DOWN] += down;
        add(metric, Direction.UP, up);
        add(metric, Direction.DOWN, down);
        return up + down > 0;
    }

    private void add(final int metric, final int direction, final long value) {
        switch (metric) {
            case PACKETS -> increment.add(direction, value, 0, 0);
            case BYTES -> increment.add(direction, 0, value, 0);
            default -> increment.add(direction, 0, 0, value);
        }
    }

    private boolean wentDown() {
        return kernelPackets[Direction.DOWN] < lastKernel[0] || kernelBytes[Direction.DOWN] < lastKernel[1] ||
            kernelPackets[Direction.UP] < lastKernel[2] || kernelBytes[Direction.UP] < lastKernel[3];
    }

    private void rememberKernel() {
        lastKernel[0] = kernelPackets[Direction.DOWN];
        lastKernel[1] = kernelBytes[Direction.DOWN];
        lastKernel[2] = kernelPackets[Direction.UP];
        lastKernel[3] = kernelBytes[Direction.UP];
    }

    /** This sample becomes the zero point; what was handed out stays handed out and the bounds go on from it. */
    private void baseline() {
        started = true;
        rememberKernel();
        for (int slot = 0; slot < 2; slot++) {
            baseKernelPackets[slot] = kernelPackets[slot];
            baseKernelBytes[slot] = kernelBytes[slot];
        }
        for (int slot = 0; slot < SLOTS; slot++) {
            baseCapturedPackets[slot] = captured(capturedPackets, slot);
            baseCapturedBytes[slot] = captured(capturedBytes, slot);
            for (int metric = 0; metric < METRICS; metric++) {
                final long handedOut = slot == TOTAL ? emitted[metric * 2] + emitted[metric * 2 + 1] :
                    emitted[metric * 2 + slot];
                carried[metric * SLOTS + slot] = handedOut;
                best[metric * SLOTS + slot] = handedOut;
            }
        }
    }
}
