package org.esimmeter.collector.plan;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.esimmeter.collector.plan.alert.AlertsConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.wire.WireFormat;

/**
 * One eSIM profile of the {@code profiles:} list. Usage belongs to it when the profile string the agent sent with an
 * interface's seconds equals its {@code id} or its {@code iccid}: agents that key profiles on the ICCID keep the
 * history of a SIM whose modem re-created its interface (wwan0 -> wwan1) under one profile. {@code homeNetworks}
 * (optional): the MCC+MNC of the networks the plan calls home; bytes on any other known network are roaming.
 * {@code alerts} (optional) overrides the collector-wide threshold alerts for this profile.
 */
public record ProfileConfig(
    @JsonProperty("id") String id,
    @JsonProperty("label") String label,
    @JsonProperty("iccid") String iccid,
    @JsonProperty("carrier") String carrier,
    @JsonProperty("plan") PlanConfig plan,
    @JsonProperty("alerts") AlertsConfig alerts,
    @JsonProperty("homeNetworks") List<String> homeNetworks) {

    /** ITU-T E.118: up to 22 digits with the check digit; 18 is the shortest seen on issued cards. */
    private static final Pattern ICCID = Pattern.compile("\\d{18,22}");
    /** MCC (3 digits) + MNC (2 or 3 digits). */
    private static final Pattern NETWORK = Pattern.compile("\\d{5,6}");

    public ProfileConfig {
        if (id == null || id.isBlank()) {
            throw new ConfigException("profiles[].id : missing (expected: the profile the agent sends, e.g. esim-eu)");
        }
        final int length = id.getBytes(StandardCharsets.UTF_8).length;
        if (length > WireFormat.MAX_STRING_BYTES || id.indexOf('/') >= 0) {
            throw new ConfigException("profiles[].id : '" + id + "' (expected: 1.." + WireFormat.MAX_STRING_BYTES +
                " UTF-8 bytes, no '/')");
        }
        label = label == null || label.isBlank() ? id : label;
        if (iccid != null && !ICCID.matcher(iccid).matches()) {
            throw new ConfigException("profiles[].iccid : '" + iccid + "' (expected: 18..22 digits)");
        }
        if (plan == null) {
            throw new ConfigException("profiles[].plan : missing (expected: a plan with type monthly, pass or packs)");
        }
        if (homeNetworks != null) {
            for (final String network : homeNetworks) {
                if (network == null || !NETWORK.matcher(network).matches()) {
                    throw new ConfigException("profiles[].homeNetworks : '" + network + "' (expected: MCC+MNC, 5 " +
                        "or 6 digits in quotes, e.g. \"23415\")");
                }
            }
            homeNetworks = List.copyOf(homeNetworks);
        }
    }

    /** True when usage recorded under {@code seriesProfile} belongs to this profile. */
    public boolean matches(final String seriesProfile) {
        return seriesProfile != null && (seriesProfile.equals(id) || seriesProfile.equals(iccid));
    }
}
