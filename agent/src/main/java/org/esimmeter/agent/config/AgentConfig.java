package org.esimmeter.agent.config;

import static org.esimmeter.common.config.ConfigRanges.between;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.LoggingConfig;
import org.esimmeter.wire.WireFormat;

/**
 * The agent's configuration file (YAML). Missing keys take the defaults below; unknown keys are errors, so a typo
 * never silently turns a setting off. See {@code config/agent.yaml} for the annotated example.
 */
public record AgentConfig(
    @JsonProperty("capture") Capture capture,
    @JsonProperty("interfaces") List<Interface> interfaces,
    @JsonProperty("collector") Collector collector,
    @JsonProperty("output") Output output,
    @JsonProperty("metrics") Metrics metrics,
    @JsonProperty("services") Services services,
    @JsonProperty("logging") LoggingConfig logging,
    @JsonProperty("privacy") Privacy privacy,
    @JsonProperty("devices") Devices devices) {

    public AgentConfig {
        privacy = privacy == null ? Privacy.DEFAULTS : privacy;
        capture = capture == null ? Capture.DEFAULTS : capture;
        services = services == null ? Services.DEFAULTS : services;
        metrics = metrics == null ? Metrics.DEFAULTS : metrics;
        devices = devices == null ? Devices.DEFAULTS : devices;
        logging = logging == null ? LoggingConfig.DEFAULTS : logging;
        // JSON lines go to stdout by default only when they are the sole output; with a collector, only if asked.
        final String jsonLines = output == null ? null : output.jsonLines();
        output = new Output(jsonLines != null ? jsonLines : collector == null ? Output.STDOUT : Output.NONE);
        if (interfaces == null || interfaces.isEmpty()) {
            throw new ConfigException("interfaces : missing (expected: at least one interface to meter)");
        }
        final Set<String> names = new HashSet<>();
        for (final Interface iface : interfaces) {
            if (!names.add(iface.name())) {
                throw new ConfigException("interfaces : " + iface.name() + " is listed twice");
            }
        }
    }

    /**
     * What leaves the agent: flow addresses cut to these prefix lengths in shipped batches and JSON lines (32 and
     * 128, the defaults, keep them whole). Devices and services are named from the whole addresses first.
     */
    public record Privacy(
        @JsonProperty("ipv4PrefixLength") Integer ipv4PrefixLength,
        @JsonProperty("ipv6PrefixLength") Integer ipv6PrefixLength) {

        static final Privacy DEFAULTS = new Privacy(null, null);

        public Privacy {
            ipv4PrefixLength = between("privacy.ipv4PrefixLength", ipv4PrefixLength, 32, 0, 32);
            ipv6PrefixLength = between("privacy.ipv6PrefixLength", ipv6PrefixLength, 128, 0, 128);
        }
    }

    /** Capture settings shared by all interfaces. */
    public record Capture(
        @JsonProperty("snaplen") Integer snaplen,
        @JsonProperty("bufferBytes") Integer bufferBytes,
        @JsonProperty("pollMillis") Integer pollMillis,
        @JsonProperty("sealGraceMillis") Integer sealGraceMillis,
        @JsonProperty("maxFlowsPerSecond") Integer maxFlowsPerSecond,
        @JsonProperty("filter") String filter) {

        public static final int MIN_SNAPLEN = 64;
        public static final int MAX_SNAPLEN = 512;
        static final Capture DEFAULTS = new Capture(null, null, null, null, null, null);

        public Capture {
            // 128 bytes hold Ethernet + QinQ + PPPoE + IPv6 with extension headers + TCP ports; never payload.
            // At most 512: the decoder never reads past the transport header, so more would only copy payload.
            snaplen = between("capture.snaplen", snaplen, 128, MIN_SNAPLEN, MAX_SNAPLEN);
            bufferBytes = between("capture.bufferBytes", bufferBytes, 4 << 20, 64 << 10, 1 << 30);
            pollMillis = between("capture.pollMillis", pollMillis, 100, 1, 1000);
            sealGraceMillis = between("capture.sealGraceMillis", sealGraceMillis, 250, 0, 10_000);
            maxFlowsPerSecond = between("capture.maxFlowsPerSecond", maxFlowsPerSecond, 65_536, 16, 16 << 20);
            filter = filter == null ? "" : filter.trim();
        }
    }

    /**
     * One metered interface and the eSIM profile its bytes belong to: {@code profile} names it statically (default:
     * the interface name), or {@code profileFrom} discovers the active SIM's ICCID while the agent runs; {@code
     * profile} is then the fallback until the first discovery succeeds (default {@value #UNKNOWN_SIM}). {@code
     * reconcile} (default true) compares the capture with the interface's kernel counters every second and bills
     * the gap as uncaptured traffic.
     */
    public record Interface(
        @JsonProperty("name") String name,
        @JsonProperty("profile") String profile,
        @JsonProperty("profileFrom") ProfileFrom profileFrom,
        @JsonProperty("filter") String filter,
        @JsonProperty("reconcile") Boolean reconcile,
        @JsonProperty("role") String role) {

        public static final String UNKNOWN_SIM = "unknown-sim";
        /** The cellular side: bytes through NAT are attributed to LAN devices by connection tracking. */
        public static final String UPLINK = "uplink";
        /** The LAN/hotspot side: the device of a flow is its end that is not the router. */
        public static final String LAN = "lan";

        public Interface {
            if (name == null || name.isBlank()) {
                throw new ConfigException("interfaces[].name : missing");
            }
            profile = profile == null || profile.isBlank() ? profileFrom == null ? name : UNKNOWN_SIM : profile;
            wireString("interfaces[].name", name);
            wireString("interfaces[].profile", profile);
            filter = filter == null ? "" : filter.trim();
            reconcile = reconcile == null ? Boolean.TRUE : reconcile;
            role = role == null || role.isBlank() ? UPLINK : role.trim();
            if (!UPLINK.equals(role) && !LAN.equals(role)) {
                throw new ConfigException("interfaces[].role : " + role + " (expected: uplink or lan)");
            }
        }

        public boolean lan() {
            return LAN.equals(role);
        }
    }

    /**
     * Naming the LAN device behind each flow (README, "Devices"): addresses and MACs from the kernel's neighbour
     * tables ({@code arp}, the {@code ipv6Neighbours} command), names from DHCP and the optional dnsmasq {@code
     * leases} file, and through NAT the router's connection tracking ({@code conntrack}), all re-read every {@code
     * refreshMillis} by a thread of their own. An empty path or command turns that source off.
     */
    public record Devices(
        @JsonProperty("enabled") Boolean enabled,
        @JsonProperty("conntrack") String conntrack,
        @JsonProperty("arp") String arp,
        @JsonProperty("ipv6Neighbours") List<String> ipv6Neighbours,
        @JsonProperty("leases") String leases,
        @JsonProperty("refreshMillis") Integer refreshMillis,
        @JsonProperty("maxDevices") Integer maxDevices,
        @JsonProperty("maxConnections") Integer maxConnections) {

        public static final String DEFAULT_CONNTRACK = "/proc/net/nf_conntrack";
        public static final String DEFAULT_ARP = "/proc/net/arp";
        public static final List<String> DEFAULT_IPV6_NEIGHBOURS = List.of("ip", "-6", "neigh", "show");
        static final Devices DEFAULTS = new Devices(null, null, null, null, null, null, null, null);

        public Devices {
            enabled = enabled == null || enabled;
            conntrack = conntrack == null ? DEFAULT_CONNTRACK : conntrack.trim();
            arp = arp == null ? DEFAULT_ARP : arp.trim();
            leases = leases == null ? "" : leases.trim();
            if (ipv6Neighbours == null) {
                ipv6Neighbours = DEFAULT_IPV6_NEIGHBOURS;
            } else {
                for (final String argument : ipv6Neighbours) {
                    if (argument == null || argument.isEmpty()) {
                        throw new ConfigException("devices.ipv6Neighbours : an empty argument (expected: [program, " +
                            "arguments...], run without a shell, or [] for none)");
                    }
                }
                ipv6Neighbours = List.copyOf(ipv6Neighbours);
            }
            refreshMillis = between("devices.refreshMillis", refreshMillis, 1000, 100, 60_000);
            maxDevices = between("devices.maxDevices", maxDevices, 1024, 1, 65_536);
            maxConnections = between("devices.maxConnections", maxConnections, 65_536, 16, 1 << 20);
        }
    }

    /**
     * Where the active SIM is read from: the output of {@code command} (an argv run without a shell) or the content
     * of {@code file}, every {@code intervalSeconds}. Either holds one or more JSON documents (ModemManager's {@code
     * mmcli -m any -J} and {@code mmcli -i any -J} one after the other, by default) or a bare ICCID. The fields are
     * dotted paths into the documents; the first document that has a value wins. The ICCID becomes the profile of
     * the seconds that follow; the operator (serving network MCC+MNC and name) is logged with each switch.
     */
    public record ProfileFrom(
        @JsonProperty("command") List<String> command,
        @JsonProperty("file") String file,
        @JsonProperty("intervalSeconds") Integer intervalSeconds,
        @JsonProperty("timeoutSeconds") Integer timeoutSeconds,
        @JsonProperty("iccidField") String iccidField,
        @JsonProperty("operatorCodeField") String operatorCodeField,
        @JsonProperty("operatorNameField") String operatorNameField) {

        public static final String DEFAULT_ICCID_FIELD = "sim.properties.iccid";
        public static final String DEFAULT_OPERATOR_CODE_FIELD = "modem.3gpp.operator-code";
        public static final String DEFAULT_OPERATOR_NAME_FIELD = "modem.3gpp.operator-name";

        public ProfileFrom {
            final boolean hasCommand = command != null && !command.isEmpty();
            final boolean hasFile = file != null && !file.isBlank();
            if (hasCommand == hasFile) {
                throw new ConfigException("interfaces[].profileFrom : " + (hasCommand ? "both command and file " +
                    "are set" : "command or file missing") + " (expected: command: [argv...] or file: PATH)");
            }
            if (hasCommand) {
                for (final String argument : command) {
                    if (argument == null || argument.isEmpty()) {
                        throw new ConfigException("interfaces[].profileFrom.command : an empty argument (expected: " +
                            "[program, arguments...], run without a shell)");
                    }
                }
                command = List.copyOf(command);
            } else {
                command = null;
            }
            file = hasFile ? file.trim() : null;
            intervalSeconds = between("interfaces[].profileFrom.intervalSeconds", intervalSeconds, 5, 1, 3600);
            timeoutSeconds = between("interfaces[].profileFrom.timeoutSeconds", timeoutSeconds, 10, 1, 300);
            iccidField = field("interfaces[].profileFrom.iccidField", iccidField, DEFAULT_ICCID_FIELD);
            operatorCodeField = field("interfaces[].profileFrom.operatorCodeField", operatorCodeField,
                DEFAULT_OPERATOR_CODE_FIELD);
            operatorNameField = field("interfaces[].profileFrom.operatorNameField", operatorNameField,
                DEFAULT_OPERATOR_NAME_FIELD);
        }

        private static String field(final String key, final String value, final String otherwise) {
            if (value == null) {
                return otherwise;
            }
            final String path = value.trim();
            if (path.isEmpty() || path.startsWith(".") || path.endsWith(".") || path.contains("..")) {
                throw new ConfigException(key + " : '" + value + "' (expected: a dotted path such as " + otherwise +
                    ")");
            }
            return path;
        }
    }

    /**
     * Sealed seconds as JSON lines: a file path (appended), "-" for stdout, or "none". Unset, it is "-" without a
     * collector and "none" with one (the lines then only duplicate what the collector stores).
     */
    public record Output(@JsonProperty("jsonLines") String jsonLines) {
        public static final String STDOUT = "-";
        public static final String NONE = "none";

        public Output {
            jsonLines = jsonLines == null || jsonLines.isBlank() ? null : jsonLines.trim();
        }

        public boolean enabled() {
            return jsonLines != null && !NONE.equals(jsonLines);
        }
    }

    /**
     * The collector this agent ships every second to ({@code POST {url}/v1/ingest}). The token is given inline or,
     * better for secrets, as the name of an environment variable ({@code tokenEnv}); exactly one of the two.
     */
    public record Collector(
        @JsonProperty("url") String url,
        @JsonProperty("agentId") String agentId,
        @JsonProperty("token") String token,
        @JsonProperty("tokenEnv") String tokenEnv,
        @JsonProperty("batchMaxBytes") Integer batchMaxBytes,
        @JsonProperty("spoolMaxBytes") Integer spoolMaxBytes,
        @JsonProperty("spoolDirectory") String spoolDirectory,
        @JsonProperty("spoolFlushSeconds") Integer spoolFlushSeconds,
        @JsonProperty("spoolMemoryBytes") Integer spoolMemoryBytes) {

        public Collector {
            url = collectorUrl("collector.url", url).toString();
            if (agentId == null || agentId.isBlank()) {
                throw new ConfigException("collector.agentId : missing (expected: this router's name at the collector)");
            }
            agentId = agentId.trim();
            wireString("collector.agentId", agentId);
            final boolean hasToken = token != null && !token.isBlank();
            final boolean hasTokenEnv = tokenEnv != null && !tokenEnv.isBlank();
            if (hasToken == hasTokenEnv) {
                throw new ConfigException("collector : " + (hasToken ? "both token and tokenEnv are set" :
                    "token missing") + " (expected: token, or tokenEnv naming an environment variable that holds it)");
            }
            token = hasToken ? token.trim() : null;
            tokenEnv = hasTokenEnv ? tokenEnv.trim() : null;
            if (token != null) {
                headerSafe("collector.token", token);
            }
            // One second of 65,536 IPv6 flows is about 4 MB: it is shipped whole whatever this bound, and the
            // collector's default frame limit is 16 MiB.
            batchMaxBytes = between("collector.batchMaxBytes", batchMaxBytes, 1 << 20, 4 << 10, 8 << 20);
            spoolMaxBytes = between("collector.spoolMaxBytes", spoolMaxBytes, 32 << 20, 64 << 10, 1 << 30);
            if (spoolMaxBytes < batchMaxBytes) {
                throw new ConfigException("collector.spoolMaxBytes : " + spoolMaxBytes + " (expected: >= " +
                    "collector.batchMaxBytes, " + batchMaxBytes + ")");
            }
            // Null: the default, resolved at start (see defaultSpoolDirectory).
            spoolDirectory = spoolDirectory == null || spoolDirectory.isBlank() ? null : spoolDirectory.trim();
            // Null: the default, resolved at start from the spool's file system (see resolveSpoolFlushSeconds).
            spoolFlushSeconds = spoolFlushSeconds == null ? null :
                between("collector.spoolFlushSeconds", spoolFlushSeconds, 60, 1, 3600);
            spoolMemoryBytes = between("collector.spoolMemoryBytes", spoolMemoryBytes,
                Math.min(4 << 20, spoolMaxBytes), 256 << 10, spoolMaxBytes);
        }

        /**
         * The configured flush interval, or the default: every second on a RAM file system (tmpfs, the default
         * /run/esim-meter: writing costs nothing there, and a kill -9 then loses at most a second even during an
         * outage), once a minute anywhere else (flash wears).
         */
        public int resolveSpoolFlushSeconds(final String fileSystemType) {
            if (spoolFlushSeconds != null) {
                return spoolFlushSeconds;
            }
            return "tmpfs".equals(fileSystemType) || "ramfs".equals(fileSystemType) ? 1 : 60;
        }

        /**
         * The configured spool directory, or the default: {@code $RUNTIME_DIRECTORY} when systemd sets it (the
         * service's {@code RuntimeDirectory=esim-meter}, i.e. /run/esim-meter), else /run/esim-meter when /run is
         * writable (root), else {@code esim-meter-spool} under java.io.tmpdir.
         */
        public String resolveSpoolDirectory(final Map<String, String> environment) {
            if (spoolDirectory != null) {
                return spoolDirectory;
            }
            final String runtime = environment.get("RUNTIME_DIRECTORY");
            if (runtime != null && !runtime.isBlank()) {
                // systemd passes a colon-separated list when several are configured: the first is ours.
                return runtime.split(":", 2)[0];
            }
            final java.nio.file.Path run = java.nio.file.Path.of("/run");
            if (java.nio.file.Files.isWritable(run)) {
                return "/run/esim-meter";
            }
            return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "esim-meter-spool").toString();
        }

        /**
         * Where the sequence lease is also kept: {@code $STATE_DIRECTORY} when systemd sets it (the service's
         * {@code StateDirectory=}, on persistent storage); else, when the spool is the default /run/esim-meter of an
         * agent started by hand as root, /var/lib/esim-meter/agent; else the spool directory alone (one the operator
         * chose). A lease only on tmpfs restarts at 1 after a reboot, and the collector would take every batch up to
         * the old numbers for a duplicate.
         */
        public String resolveLeaseDirectory(final Map<String, String> environment) {
            final String state = environment.get("STATE_DIRECTORY");
            if (state != null && !state.isBlank()) {
                return state.split(":", 2)[0];
            }
            final String spool = resolveSpoolDirectory(environment);
            final String runtime = environment.get("RUNTIME_DIRECTORY");
            if ((runtime == null || runtime.isBlank()) && spoolDirectory == null && "/run/esim-meter".equals(spool) &&
                java.nio.file.Files.isWritable(java.nio.file.Path.of("/var/lib"))) {
                return "/var/lib/esim-meter/agent";
            }
            return spool;
        }

        /** The token, read from the environment when {@code tokenEnv} names it. */
        public String resolveToken(final Map<String, String> environment) {
            if (token != null) {
                return token;
            }
            final String value = environment.get(tokenEnv);
            if (value == null || value.isBlank()) {
                throw new ConfigException("collector.tokenEnv : " + tokenEnv + " is not set in the environment");
            }
            headerSafe("collector.tokenEnv : " + tokenEnv, value.trim());
            return value.trim();
        }
    }

    /**
     * Self-metrics over HTTP: {@code GET /metrics} in Prometheus text on {@code listen}, {@code HOST:PORT} (an IPv6
     * address in brackets; port 0 takes a free one). Loopback by default: the endpoint has no authentication and
     * names interfaces and profiles, so exposing it beyond the router is a decision, not an accident.
     */
    public record Metrics(@JsonProperty("enabled") Boolean enabled, @JsonProperty("listen") String listen) {
        public static final String DEFAULT_LISTEN = "127.0.0.1:9471";
        static final Metrics DEFAULTS = new Metrics(null, null);

        public Metrics {
            enabled = enabled == null || enabled;
            listen = listen == null || listen.isBlank() ? DEFAULT_LISTEN : listen.trim();
            address(listen);
        }

        /** Where to listen; a host name is resolved when the endpoint binds, not here. */
        public InetSocketAddress address() {
            return address(listen);
        }

        private static InetSocketAddress address(final String listen) {
            final int colon = listen.lastIndexOf(':');
            final String host = colon < 0 ? "" : listen.startsWith("[") && listen.charAt(colon - 1) == ']' ?
                listen.substring(1, colon - 1) : listen.substring(0, colon);
            final String port = colon < 0 ? "" : listen.substring(colon + 1);
            // An unbracketed IPv6 address would be ambiguous ("::1:9471"): its colons are refused as a host name's.
            if (host.isEmpty() || !port.matches("\\d{1,5}") || Integer.parseInt(port) > 65_535 ||
                !host.matches(listen.startsWith("[") ? "[0-9A-Fa-f:.]+(%\\w+)?" : "[\\w.-]+")) {
                throw new ConfigException("metrics.listen : " + listen + " (expected: HOST:PORT with PORT 0..65535, " +
                    "e.g. 127.0.0.1:9471 or [::1]:9471)");
            }
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(port));
        }
    }

    /**
     * Which service (domain) used the data: a second capture handle per interface, whose filter passes only DNS
     * responses, TLS ClientHellos and DHCP, learns names from them (names only, never payload) and labels flows
     * with them. {@code enabled: false} opens no such handle at all. {@code interfaces} adds interfaces that are only
     * watched for names, not metered (the LAN bridge, where DHCP and the router's DNS answers to devices travel).
     */
    public record Services(
        @JsonProperty("enabled") Boolean enabled,
        @JsonProperty("snaplen") Integer snaplen,
        @JsonProperty("cacheEntries") Integer cacheEntries,
        @JsonProperty("maxTtlSeconds") Integer maxTtlSeconds,
        @JsonProperty("interfaces") List<String> interfaces) {

        public static final int MAX_SNAPLEN = 4096;
        static final Services DEFAULTS = new Services(null, null, null, null, null);

        public Services {
            enabled = enabled == null || enabled;
            // 1500 holds an MTU-sized segment: a DNS answer or the first segment of a ClientHello.
            snaplen = between("services.snaplen", snaplen, 1500, 256, MAX_SNAPLEN);
            cacheEntries = between("services.cacheEntries", cacheEntries, 8192, 256, 1 << 20);
            maxTtlSeconds = between("services.maxTtlSeconds", maxTtlSeconds, 3600, 60, 86_400);
            if (interfaces == null) {
                interfaces = List.of();
            } else {
                for (final String name : interfaces) {
                    if (name == null || name.isBlank()) {
                        throw new ConfigException("services.interfaces : an empty name (expected: interface names " +
                            "as `esim-meter-agent interfaces` lists them)");
                    }
                }
                interfaces = interfaces.stream().map(String::trim).distinct().toList();
            }
        }
    }

    /**
     * The interfaces the metadata capture watches: the metered ones, then {@code services.interfaces} not among
     * them; none when services are off.
     */
    public List<String> serviceInterfaces() {
        if (!services.enabled()) {
            return List.of();
        }
        final java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        for (final Interface iface : interfaces) {
            names.add(iface.name());
        }
        names.addAll(services.interfaces());
        return List.copyOf(names);
    }

    /** An http(s) base URL without query or fragment; the agent appends /v1/ingest. */
    public static URI collectorUrl(final String key, final String url) {
        if (url == null || url.isBlank()) {
            throw new ConfigException(key + " : missing (expected: http(s)://host:port of the collector)");
        }
        final URI uri;
        try {
            uri = new URI(url.trim());
        } catch (final URISyntaxException e) {
            throw new ConfigException(key + " : " + url + " (expected: http(s)://host:port; " + e.getReason() + ")",
                e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null ||
            uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException(key + " : " + url + " (expected: http(s)://host:port, no query)");
        }
        final String text = uri.toString();
        return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    /** What the wire format can carry: 1..255 UTF-8 bytes. */
    private static void wireString(final String key, final String value) {
        final int length = value.getBytes(StandardCharsets.UTF_8).length;
        if (length > WireFormat.MAX_STRING_BYTES) {
            throw new ConfigException(key + " : " + length + " UTF-8 bytes (expected: 1.." +
                WireFormat.MAX_STRING_BYTES + ")");
        }
    }

    /** A token goes into an HTTP header: printable ASCII only, so it can neither break nor inject a header. */
    private static void headerSafe(final String key, final String token) {
        for (int i = 0; i < token.length(); i++) {
            final char c = token.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new ConfigException(key + " : contains a character that is not printable ASCII");
            }
        }
    }
}
