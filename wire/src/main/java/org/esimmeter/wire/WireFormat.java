package org.esimmeter.wire;

/**
 * The usage batch frame: what an agent POSTs to {@code /v1/ingest} and the collector stores. Big-endian.
 * <pre>
 *  0       4     5     6       8              12                                  12+N      16+N
 * +-------+-----+-----+-------+--------------+-----------------------------------+---------+
 * | magic | ver | flg | rsvd  | body length N|  body                             | CRC32C  |
 * | ESMB  |  1  |flags|   0   |    u32       |                                   | 0..12+N |
 * +-------+-----+-----+-------+--------------+-----------------------------------+---------+
 *
 * flags  := bit 0 SPANS (0x01), bit 1 CLOCK_STEPS (0x02), bit 2 CONTEXT (0x04); any other bit: refused
 * body   := str8 agentId, u64 sequence, [u32 labelsOffset if CONTEXT], u32 secondCount, second*,
 *           [clockSteps if CLOCK_STEPS], [labels if CONTEXT, starting at labelsOffset from the body's start]
 * second := str8 interface, str8 profile, i64 epochSecond, [varint spanSeconds if SPANS],
 *           counters total, counters nonIp, counters unparsed, counters overflow,
 *           varint pcapReceived, varint pcapDropped, [str8opt network, counters uncaptured if CONTEXT],
 *           u32 flowCount, flow*
 * counters := 9 varints: up {packets, wireBytes, ipBytes}, down {...}, unknown {...}
 * flow   := u8 flags (bits 0-1 direction, bit 2 IPv6, bit 3 device approximate: CONTEXT only),
 *           u8 protocol, u16 srcPort, u16 dstPort, src (4 or 16 bytes), dst (4 or 16 bytes),
 *           varint packets, varint wireBytes, varint ipBytes, [varint device, varint service if CONTEXT]
 * clockSteps := u32 stepCount (>= 1), step*
 * step   := i64 detectedAtMillis, i64 stepMillis (!= 0), i64 affectedFromSecond, i64 affectedToSecond (>= from)
 * labels := u32 deviceCount, device*, u32 serviceCount, str8 service*
 * device := str8 key, str8opt address, str8opt hostname
 * str8   := u8 length, UTF-8 bytes (1..255); str8opt: the same with length 0 allowed (absent)
 * varint := unsigned LEB128, at most 10 bytes, at most Long.MAX_VALUE
 * </pre>
 * Counters are varints because the agent pays for its own reports in plan bytes: a typical IPv4 flow-second
 * costs about 20 bytes instead of 40. The checksum catches corruption that TCP's does not (proxies, flash).
 * Every batch is self-consistent: per direction and metric, flows + overflow + nonIp + unparsed == total,
 * and the reader refuses a batch where that does not hold.
 * <p>
 * SPANS: a second record with span S covers [epochSecond, epochSecond + S). The agent's spool, once it reaches its
 * size cap, merges old seconds into per-minute, -hour or -day records (counters summed, flows merged by key): the
 * totals stay exact while the per-second detail is lost. Without the flag every span is 1, so frames of agents that
 * never merge are byte for byte what they were before the flag existed.
 * <p>
 * CLOCK_STEPS: wall-clock steps the agent detected (its wall clock against its monotonic clock), e.g. NTP setting
 * a router that booted in 1970. {@code stepMillis} is the new wall clock minus what the old one would show;
 * [affectedFromSecond, affectedToSecond] are the second timestamps the agent stamped with the old clock.
 * <p>
 * CONTEXT: what the bytes were used for and where. Per second, the serving network (MCC+MNC, empty when unknown:
 * "used while roaming") and the bytes the kernel counted on the interface that the capture never saw (flow offload,
 * capture drops, a capture filter; outside the sum invariant, since no flow carries them). Per flow, the LAN device
 * and the service (domain) it was attributed to, as 1-based indexes into the batch's label tables (0: unknown), so
 * a device or domain is spelled once per batch however many flows it has. The tables come last (the writer knows
 * them only then) and {@code labelsOffset} says where, so a reader resolves each flow's labels as it reads it.
 */
public final class WireFormat {
    public static final int MAGIC = 0x45534D42; // "ESMB"
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 12;
    public static final int CHECKSUM_LENGTH = 4;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FLAGS_OFFSET = 5;
    public static final int BODY_LENGTH_OFFSET = 8;
    /** Flag: every second carries {@code varint spanSeconds} after its epochSecond. */
    public static final int FLAG_SPANS = 0x01;
    /** Flag: the body ends with the clock steps the agent detected. */
    public static final int FLAG_CLOCK_STEPS = 0x02;
    /** Longest span of a merged record: one day, the coarsest rollup the collector keeps. */
    public static final int MAX_SPAN_SECONDS = 86_400;
    /** Most frames one {@code /v1/ingest} body may carry back to back (an agent's catch-up after an outage). */
    public static final int MAX_FRAMES_PER_REQUEST = 256;
    public static final int MAX_STRING_BYTES = 255;
    /** Default bound on one frame; the collector refuses larger bodies before reading them. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;
    /** HTTP content type of a frame. */
    public static final String CONTENT_TYPE = "application/vnd.esim-meter.batch";

    /**
     * Flag: every second carries its serving network and uncaptured counters, every flow a device and a service
     * label, and the body ends with the label tables.
     */
    public static final int FLAG_CONTEXT = 0x04;

    static final int KNOWN_FLAGS = FLAG_SPANS | FLAG_CLOCK_STEPS | FLAG_CONTEXT;
    /** One clock step: four i64. */
    static final int CLOCK_STEP_BYTES = 4 * 8;
    static final int COUNTER_VALUES = Direction.COUNT * TrafficCounters.METRICS;
    static final int FLAG_DIRECTION_MASK = 0x3;
    static final int FLAG_IPV6 = 0x4;
    /** Flow flag: the device was inferred, not read from connection tracking or the LAN. CONTEXT only. */
    static final int FLAG_DEVICE_APPROXIMATE = 0x8;
    /** Per second under CONTEXT: an empty network and nine one-byte varints. */
    static final int MIN_CONTEXT_SECOND_BYTES = 1 + COUNTER_VALUES;
    /** Per flow under CONTEXT: two one-byte label indexes. */
    static final int MIN_CONTEXT_FLOW_BYTES = 2;
    /** Smallest encoded flow: flags, proto, ports, two IPv4 addresses, three one-byte varints. */
    static final int MIN_FLOW_BYTES = 1 + 1 + 2 + 2 + 4 + 4 + 3;
    /** Smallest encoded second: two 1-byte strings, the second, 36 + 2 one-byte varints, flow count. */
    static final int MIN_SECOND_BYTES = 2 + 2 + 8 + 4 * COUNTER_VALUES + 2 + 4;

    private WireFormat() {
    }
}
