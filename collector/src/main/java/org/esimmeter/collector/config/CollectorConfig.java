package org.esimmeter.collector.config;

import static org.esimmeter.common.config.ConfigRanges.between;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.plan.ProfileConfig;
import org.esimmeter.collector.plan.alert.AlertDefaultsConfig;
import org.esimmeter.collector.plan.alert.WebhookConfig;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.LoggingConfig;
import org.esimmeter.wire.WireFormat;

/**
 * The collector's configuration file (YAML). Missing keys take the defaults below; unknown keys are errors, so a typo
 * never silently turns a setting off. See {@code config/collector.yaml} for the annotated example. Secrets (tokens)
 * may be written as {@code ${ENV_NAME}}: {@link ConfigLoader} replaces such a whole value by that environment
 * variable before this record sees it, so the file itself can be world-readable.
 */
public record CollectorConfig(
    @JsonProperty("listen") Listen listen,
    @JsonProperty("dataDirectory") String dataDirectory,
    @JsonProperty("maxBatchBytes") Integer maxBatchBytes,
    @JsonProperty("retention") Retention retention,
    @JsonProperty("agents") Map<String, Agent> agents,
    @JsonProperty("readToken") String readToken,
    @JsonProperty("live") Live live,
    @JsonProperty("workerThreads") Integer workerThreads,
    @JsonProperty("logging") LoggingConfig logging,
    @JsonProperty("profiles") List<ProfileConfig> profiles,
    @JsonProperty("alerts") AlertDefaultsConfig alerts,
    @JsonProperty("webhook") WebhookConfig webhook) {

    /**
     * Where the database goes when the file names no {@code dataDirectory}: {@code $STATE_DIRECTORY} when systemd
     * sets it (the unit's {@code StateDirectory=esim-meter}, i.e. /var/lib/esim-meter), else {@code ./data}.
     */
    public static String defaultDataDirectory(final Map<String, String> environment) {
        final String state = environment.get("STATE_DIRECTORY");
        if (state != null && !state.isBlank()) {
            // systemd passes a colon-separated list when several are configured: the first is ours.
            return state.split(":", 2)[0];
        }
        return "./data";
    }

    /** Shortest token accepted: guessing 16 random characters is not a practical attack, fewer may be. */
    public static final int MIN_TOKEN_LENGTH = 16;

    public CollectorConfig {
        listen = listen == null ? Listen.DEFAULTS : listen;
        dataDirectory = dataDirectory == null || dataDirectory.isBlank() ? defaultDataDirectory(System.getenv()) :
            dataDirectory;
        maxBatchBytes = between("maxBatchBytes", maxBatchBytes, WireFormat.DEFAULT_MAX_FRAME_BYTES, 1024, 1 << 30);
        retention = retention == null ? Retention.DEFAULTS : retention;
        live = live == null ? Live.DEFAULTS : live;
        workerThreads = between("workerThreads", workerThreads, 4, 1, 256);
        logging = logging == null ? LoggingConfig.DEFAULTS : logging;
        if (agents == null || agents.isEmpty()) {
            throw new ConfigException("agents : missing (expected: at least one agent id with its token)");
        }
        final Map<String, String> owners = new HashMap<>();
        for (final Map.Entry<String, Agent> entry : agents.entrySet()) {
            final String agentId = entry.getKey();
            final int length = agentId.getBytes(StandardCharsets.UTF_8).length;
            if (length < 1 || length > WireFormat.MAX_STRING_BYTES) {
                throw new ConfigException("agents : id '" + agentId + "' has " + length + " UTF-8 bytes (expected: 1.." +
                    WireFormat.MAX_STRING_BYTES + ")");
            }
            if (entry.getValue() == null || entry.getValue().token() == null) {
                throw new ConfigException("agents." + agentId + ".token : missing");
            }
            final String token = entry.getValue().token();
            requireToken("agents." + agentId + ".token", token);
            final String other = owners.put(token, agentId);
            if (other != null) {
                throw new ConfigException("agents." + agentId + ".token : same as agents." + other +
                    ".token (expected: one token per agent, so a leaked token names its router)");
            }
        }
        agents = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(agents));
        if (readToken != null) {
            requireToken("readToken", readToken);
        }
        profiles = profiles == null ? List.of() : List.copyOf(profiles);
        alerts = alerts == null ? AlertDefaultsConfig.DEFAULTS : alerts;
        final Map<String, String> names = new HashMap<>();
        for (int i = 0; i < profiles.size(); i++) {
            // An id or ICCID naming two profiles would count the same bytes against both plans.
            claim(names, profiles.get(i).id(), "profiles[" + i + "].id");
            if (profiles.get(i).iccid() != null) {
                claim(names, profiles.get(i).iccid(), "profiles[" + i + "].iccid");
            }
        }
    }

    private static void claim(final Map<String, String> names, final String name, final String key) {
        final String other = names.put(name, key);
        if (other != null) {
            throw new ConfigException(key + " : " + name + " is also " + other + " (expected: each id and ICCID " +
                "names one profile)");
        }
    }

    /** Agent id to its ingest token. */
    public Map<String, String> agentTokens() {
        final Map<String, String> tokens = new LinkedHashMap<>();
        agents.forEach((id, agent) -> tokens.put(id, agent.token()));
        return tokens;
    }

    private static void requireToken(final String key, final String token) {
        if (token.length() < MIN_TOKEN_LENGTH) {
            throw new ConfigException(key + " : " + token.length() + " characters (expected: >= " + MIN_TOKEN_LENGTH +
                ")");
        }
        for (int i = 0; i < token.length(); i++) {
            final char c = token.charAt(i);
            // A token travels in an HTTP header: visible ASCII only, no spaces.
            if (c <= ' ' || c >= 127) {
                throw new ConfigException(key + " : character " + (i + 1) +
                    " is not printable ASCII (expected: visible ASCII, no spaces)");
            }
        }
    }

    /** Where the HTTP server binds. Loopback by default: exposing it is a decision, not an accident. */
    public record Listen(@JsonProperty("address") String address, @JsonProperty("port") Integer port) {
        static final Listen DEFAULTS = new Listen(null, null);

        public Listen {
            address = address == null || address.isBlank() ? "127.0.0.1" : address.trim();
            port = between("listen.port", port, 7470, 0, 65_535);
        }
    }

    /** How long rows of each resolution are kept. */
    public record Retention(
        @JsonProperty("1s") String second,
        @JsonProperty("1m") String minute,
        @JsonProperty("1h") String hour,
        @JsonProperty("1d") String day) {

        static final Retention DEFAULTS = new Retention(null, null, null, null);

        public Retention {
            second = second == null ? "7d" : second;
            minute = minute == null ? "90d" : minute;
            hour = hour == null ? "forever" : hour;
            day = day == null ? "forever" : day;
            policy(second, minute, hour, day);
        }

        public RetentionPolicy policy() {
            return policy(second, minute, hour, day);
        }

        private static RetentionPolicy policy(final String second, final String minute, final String hour,
            final String day) {
            final Map<Resolution, Long> keep = new EnumMap<>(Resolution.class);
            put(keep, Resolution.SECOND, second);
            put(keep, Resolution.MINUTE, minute);
            put(keep, Resolution.HOUR, hour);
            put(keep, Resolution.DAY, day);
            long finer = 0;
            for (final Resolution resolution : Resolution.values()) {
                final Long seconds = keep.get(resolution);
                final long value = seconds == null ? Long.MAX_VALUE : seconds;
                // Coarser rows outliving finer ones is what makes old ranges answerable at all.
                if (value < finer) {
                    throw new ConfigException("retention." + resolution.label() + " : shorter than a finer " +
                        "resolution's (expected: 1s <= 1m <= 1h <= 1d)");
                }
                finer = value;
            }
            return new RetentionPolicy(keep);
        }

        private static void put(final Map<Resolution, Long> keep, final Resolution resolution, final String text) {
            final long seconds = Durations.parseSeconds("retention." + resolution.label(), text);
            if (seconds != Durations.FOREVER) {
                if (seconds < resolution.seconds()) {
                    throw new ConfigException("retention." + resolution.label() + " : " + text +
                        " (expected: at least one " + resolution.label() + " bucket)");
                }
                keep.put(resolution, seconds);
            }
        }
    }

    /** One agent allowed to send batches, and the token it must present. */
    public record Agent(@JsonProperty("token") String token) {
    }

    /** The live stream ({@code GET /v1/live}). */
    public record Live(
        @JsonProperty("heartbeatSeconds") Integer heartbeatSeconds,
        @JsonProperty("maxViewers") Integer maxViewers,
        @JsonProperty("viewerBufferBytes") Integer viewerBufferBytes) {

        static final Live DEFAULTS = new Live(null, null, null);

        public Live {
            heartbeatSeconds = between("live.heartbeatSeconds", heartbeatSeconds, 15, 1, 3_600);
            maxViewers = between("live.maxViewers", maxViewers, 10_000, 1, 1_000_000);
            viewerBufferBytes = between("live.viewerBufferBytes", viewerBufferBytes, 1 << 20, 4096, 64 << 20);
        }
    }
}
