package org.esimmeter.collector.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import org.esimmeter.collector.CollectorMain;
import org.esimmeter.collector.plan.PlanConfig;
import org.esimmeter.collector.plan.ProfileConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code profiles:} section: the documented example, defaults, and one-line refusals naming the key. */
class ProfileConfigTest {
    private static final String AGENTS = "agents:\n  router-a:\n    token: token-of-router-a-0123456789\n";
    private static final String MONTHLY = "{type: monthly, capBytes: 5000, resetDay: 31, timeZone: Europe/Berlin";

    @TempDir
    Path directory;

    @Test
    void shouldLoadTheProfilesDocumentedInTheExampleOnceUncommented() throws Exception {
        final List<String> lines = Files.readAllLines(ConfigLoaderTest.repositoryRoot().resolve("config/collector.yaml"));
        final StringBuilder yaml = new StringBuilder(AGENTS);
        boolean inProfiles = false;
        for (final String line : lines) {
            inProfiles |= line.equals("# profiles:");
            if (inProfiles) {
                yaml.append(line.substring(2)).append('\n');
            }
        }

        final List<ProfileConfig> profiles = load(yaml.toString()).profiles();

        assertEquals(List.of("esim-eu", "travel-jp", "prepaid"), profiles.stream().map(ProfileConfig::id).toList());
        final PlanConfig monthly = profiles.get(0).plan();
        assertEquals("Travel EU 5 GB", profiles.get(0).label());
        assertEquals("8949000000000000001", profiles.get(0).iccid());
        assertEquals(5_000_000_000L, monthly.capBytes());
        assertEquals(31, monthly.resetDay());
        assertEquals(LocalTime.MIDNIGHT, monthly.resetLocalTime());
        assertEquals(true, profiles.get(1).plan().startsOnFirstUse());
        assertEquals(7, profiles.get(1).plan().days());
        assertEquals(2, profiles.get(2).plan().packs().size());
        assertEquals(Instant.parse("2026-05-10T12:00:00Z").getEpochSecond(),
            profiles.get(2).plan().packs().get(1).purchasedSecond());
    }

    @Test
    void shouldDefaultLabelResetTimeAndUploadCounts() throws Exception {
        final ProfileConfig profile = load(AGENTS + "profiles:\n  - id: p\n    plan: " + MONTHLY + "}\n")
            .profiles().get(0);

        assertEquals("p", profile.label());
        assertEquals("00:00", profile.plan().resetTime());
        assertEquals(true, profile.plan().uploadCounts());
        assertEquals(false, profile.plan().unlimited());
        assertEquals(List.of(), load(AGENTS).profiles());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "plan: " + MONTHLY + ", resetday: 2}" +
            "| profiles[0].plan.resetday : unknown key (did you mean resetDay?)",
        "plan: " + MONTHLY + ", timeZone: Europe/Berln}" +
            "| profiles[0].plan.timeZone : key given twice (line 5)",
        "plan: {type: monthly, capBytes: 5000, resetDay: 1, timeZone: Europe/Berln}" +
            "| profiles[0].plan.timeZone : Europe/Berln (expected: an IANA time zone, e.g. Europe/Berlin)",
        "plan: {type: monthly, capBytes: 5000, resetDay: 1, timeZone: '+02:00'}" +
            "| profiles[0].plan.timeZone : +02:00 (expected: an IANA time zone, e.g. Europe/Berlin)",
        "plan: {type: monthly, capBytes: 5000, resetDay: 1}" +
            "| profiles[0].plan.timeZone : missing (expected: an IANA time zone, e.g. Europe/Berlin)",
        "plan: {type: monthly, capBytes: 5000, resetDay: 32, timeZone: UTC}" +
            "| profiles[0].plan.resetDay : 32 (expected: 1..31; a day past the month's end means its last day)",
        "plan: {type: monthly, capBytes: 5000, resetDay: 0, timeZone: UTC}" +
            "| profiles[0].plan.resetDay : 0 (expected: 1..31; a day past the month's end means its last day)",
        "plan: {type: monthly, capBytes: -5, resetDay: 1, timeZone: UTC}" +
            "| profiles[0].plan.capBytes : -5 (expected: > 0)",
        "plan: {type: monthly, resetDay: 1, timeZone: UTC}" +
            "| profiles[0].plan.capBytes : missing (expected: bytes of the plan, or unlimited: true)",
        "plan: {type: monthly, capBytes: 5, unlimited: true, resetDay: 1, timeZone: UTC}" +
            "| profiles[0].plan.capBytes : given with unlimited: true (expected: one of them)",
        "plan: {type: monthly, capBytes: 5000, resetDay: 1, resetTime: '25:00', timeZone: UTC}" +
            "| profiles[0].plan.resetTime : 25:00 (expected: HH:MM, e.g. 00:00 or 06:30)",
        "plan: " + MONTHLY + ", days: 7}" +
            "| profiles[0].plan.days : not a key of a monthly plan",
        "plan: {type: weekly}" +
            "| profiles[0].plan.type : weekly (expected: monthly, pass or packs)",
        "plan: {type: pass, days: 7, capBytes: 5000, timeZone: UTC}" +
            "| profiles[0].plan.activatedAt : missing (expected: activatedAt, or startsOnFirstUse: true)",
        "plan: {type: pass, days: 0, capBytes: 5000, startsOnFirstUse: true, timeZone: UTC}" +
            "| profiles[0].plan.days : 0 (expected: 1..1000)",
        "plan: {type: pass, days: 7, capBytes: 5000, activatedAt: 'May 1st', timeZone: UTC}" +
            "| profiles[0].plan.activatedAt : May 1st (expected: an ISO-8601 instant with offset, e.g. " +
            "2026-05-01T08:00:00Z)",
        "plan: {type: packs, packs: [{bytes: 5, purchasedAt: '2026-05-01T00:00:00Z', expiresAt: " +
            "'2026-06-01T00:00:00Z'}, {bytes: 5, purchasedAt: '2026-05-01T00:00:00Z', expiresAt: " +
            "'2026-04-01T00:00:00Z'}]}" +
            "| profiles[0].plan.packs[1].expiresAt : 2026-04-01T00:00:00Z (expected: after purchasedAt " +
            "2026-05-01T00:00:00Z)",
        "plan: {type: packs, packs: [{bytes: 0, purchasedAt: '2026-05-01T00:00:00Z', expiresAt: " +
            "'2026-06-01T00:00:00Z'}]}" +
            "| profiles[0].plan.packs[0].bytes : 0 (expected: > 0)",
        "plan: {type: packs, capBytes: 5, packs: []}" +
            "| profiles[0].plan.capBytes : not a key of a packs plan",
        "iccid: '12345', plan: " + MONTHLY + "}" +
            "| profiles[0].iccid : '12345' (expected: 18..22 digits)",
    })
    void shouldRefuseABadProfileInOneLineNamingTheKey(final String entry, final String message) throws Exception {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> load(AGENTS + "profiles:\n  - {id: p, " + entry + "}\n"));

        assertEquals(file() + " : " + message, e.getMessage());
    }

    @Test
    void shouldRefuseAnIdOrIccidNamingTwoProfiles() {
        final ConfigException sameId = assertThrows(ConfigException.class, () -> load(AGENTS + "profiles:\n" +
            "  - {id: p, plan: " + MONTHLY + "}}\n  - {id: p, plan: " + MONTHLY + "}}\n"));
        assertEquals(file() + " : profiles[1].id : p is also profiles[0].id (expected: each id and ICCID names one " +
            "profile)", sameId.getMessage());

        final ConfigException idIsIccid = assertThrows(ConfigException.class, () -> load(AGENTS + "profiles:\n" +
            "  - {id: p, iccid: '894900000000000000001', plan: " + MONTHLY + "}}\n" +
            "  - {id: '894900000000000000001', plan: " + MONTHLY + "}}\n"));
        assertEquals(file() + " : profiles[1].id : 894900000000000000001 is also profiles[0].iccid (expected: each " +
            "id and ICCID names one profile)", idIsIccid.getMessage());
    }

    @Test
    void checkConfigShouldExitTwoWithTheOneLine() throws Exception {
        Files.writeString(file(), AGENTS + "profiles:\n  - id: p\n    plan: {type: monthly, capBytes: 5, resetDay: " +
            "40, timeZone: UTC}\n");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(2, CollectorMain.execute(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), "check-config",
            file().toString()));
        assertEquals("esim-meter-collector: " + file() + " : profiles[0].plan.resetDay : 40 (expected: 1..31; a day " +
            "past the month's end means its last day)\n", err.toString(StandardCharsets.UTF_8));
    }

    private Path file() {
        return directory.resolve("collector.yaml");
    }

    private CollectorConfig load(final String yaml) throws Exception {
        Files.writeString(file(), yaml);
        return YamlConfigLoader.load(file(), CollectorConfig.class, name -> null);
    }
}
