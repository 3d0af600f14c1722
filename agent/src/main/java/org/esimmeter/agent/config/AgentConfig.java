package org.esimmeter.agent.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The agent's configuration file (YAML). Missing keys take the defaults below; unknown keys are errors, so a typo
 * never silently turns a setting off. See {@code config/agent.yaml} for the annotated example.
 */
public record AgentConfig(
    @JsonProperty("capture") Capture capture,
    @JsonProperty("interfaces") List<Interface> interfaces,
    @JsonProperty("output") Output output) {

    public AgentConfig {
        capture = capture == null ? Capture.DEFAULTS : capture;
        output = output == null ? Output.DEFAULTS : output;
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

    /** Capture settings shared by all interfaces. */
    public record Capture(
        @JsonProperty("snaplen") Integer snaplen,
        @JsonProperty("bufferBytes") Integer bufferBytes,
        @JsonProperty("pollMillis") Integer pollMillis,
        @JsonProperty("sealGraceMillis") Integer sealGraceMillis,
        @JsonProperty("maxFlowsPerSecond") Integer maxFlowsPerSecond,
        @JsonProperty("filter") String filter) {

        public static final int MIN_SNAPLEN = 64;
        static final Capture DEFAULTS = new Capture(null, null, null, null, null, null);

        public Capture {
            // 128 bytes hold Ethernet + QinQ + PPPoE + IPv6 with extension headers + TCP ports; never payload.
            snaplen = between("capture.snaplen", snaplen, 128, MIN_SNAPLEN, 262_144);
            bufferBytes = between("capture.bufferBytes", bufferBytes, 4 << 20, 64 << 10, 1 << 30);
            pollMillis = between("capture.pollMillis", pollMillis, 100, 1, 1000);
            sealGraceMillis = between("capture.sealGraceMillis", sealGraceMillis, 250, 0, 10_000);
            maxFlowsPerSecond = between("capture.maxFlowsPerSecond", maxFlowsPerSecond, 65_536, 16, 16 << 20);
            filter = filter == null ? "" : filter.trim();
        }
    }

    /** One metered interface and the eSIM profile its bytes belong to. */
    public record Interface(
        @JsonProperty("name") String name,
        @JsonProperty("profile") String profile,
        @JsonProperty("filter") String filter) {

        public Interface {
            if (name == null || name.isBlank()) {
                throw new ConfigException("interfaces[].name : missing");
            }
            profile = profile == null || profile.isBlank() ? name : profile;
            filter = filter == null ? "" : filter.trim();
        }
    }

    /** Where sealed seconds go until the shipper exists: JSON lines to a file, or "-" for stdout. */
    public record Output(@JsonProperty("jsonLines") String jsonLines) {
        static final Output DEFAULTS = new Output(null);

        public Output {
            jsonLines = jsonLines == null || jsonLines.isBlank() ? "-" : jsonLines;
        }
    }

    private static int between(final String key, final Integer value, final int otherwise, final int min,
        final int max) {
        if (value == null) {
            return otherwise;
        }
        if (value < min || value > max) {
            throw new ConfigException(key + " : " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }
}
