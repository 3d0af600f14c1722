package org.esimmeter.agent.profile;

import static org.esimmeter.agent.config.AgentConfig.ProfileFrom.DEFAULT_ICCID_FIELD;
import static org.esimmeter.agent.config.AgentConfig.ProfileFrom.DEFAULT_OPERATOR_CODE_FIELD;
import static org.esimmeter.agent.config.AgentConfig.ProfileFrom.DEFAULT_OPERATOR_NAME_FIELD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Reading the active SIM from ModemManager's JSON (fixtures written from mmcli's documented {@code -J} layout:
 * {@code modem.generic.sim}, {@code modem.3gpp.operator-code}/{@code operator-name}, {@code sim.properties.iccid}),
 * from other JSON through configured paths, and from a bare ICCID.
 */
class ActiveSimTest {
    private static String fixture(final String name) throws IOException {
        try (InputStream in = ActiveSimTest.class.getResourceAsStream("/mmcli/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ActiveSim parse(final String text) {
        return ActiveSim.parse(text, DEFAULT_ICCID_FIELD, DEFAULT_OPERATOR_CODE_FIELD, DEFAULT_OPERATOR_NAME_FIELD);
    }

    private static String refusal(final String text) {
        return assertThrows(IllegalArgumentException.class, () -> parse(text)).getMessage();
    }

    @Test
    void shouldTakeTheIccidFromTheSimAndTheServingNetworkFromTheModem() throws IOException {
        // `mmcli -m any -J; mmcli -i any -J`: two documents, one after the other.
        final ActiveSim sim = parse(fixture("modem.json") + fixture("sim.json"));
        assertEquals(new ActiveSim("8944501234567890123", "26201", "Telekom.de"), sim);
        assertEquals("operator 26201 (Telekom.de)", sim.describeOperator());
    }

    @Test
    void shouldNotDependOnTheOrderOfTheDocuments() throws IOException {
        // The SIM's own operator-code (its home network, 23450) is under sim.properties: never the serving one.
        assertEquals(new ActiveSim("8944501234567890123", "26201", "Telekom.de"),
            parse(fixture("sim.json") + "\n" + fixture("modem.json")));
    }

    @Test
    void shouldReportAModemWithoutSimAsNoIccid() throws IOException {
        assertEquals("no ICCID at sim.properties.iccid (is a SIM present and the modem enabled?)",
            refusal(fixture("modem-no-sim.json")));
        assertEquals("no ICCID at sim.properties.iccid (is a SIM present and the modem enabled?)",
            refusal(fixture("modem.json")));
    }

    @Test
    void shouldTreatMmclisDashesAsUnknown() {
        assertEquals("no ICCID at sim.properties.iccid (is a SIM present and the modem enabled?)",
            refusal("{\"sim\":{\"properties\":{\"iccid\":\"--\"}}}"));
        final ActiveSim sim = parse("{\"sim\":{\"properties\":{\"iccid\":\"89445012345678901234\"}}}" +
            "{\"modem\":{\"3gpp\":{\"operator-code\":\"--\",\"operator-name\":\"--\"}}}");
        assertEquals(new ActiveSim("89445012345678901234", null, null), sim);
        assertEquals("operator unknown", sim.describeOperator());
    }

    @Test
    void shouldReadABareIccidAndDropTheFPadding() {
        assertEquals(new ActiveSim("8901260487759545390", null, null), parse("8901260487759545390F\n"));
        assertEquals(new ActiveSim("894450123456789012", null, null), parse("  894450123456789012  "));
    }

    @Test
    void shouldRefuseWhatIsNotAnIccid() {
        assertEquals("the text : 'SIM busy' is not an ICCID (expected: 18..22 digits)", refusal("SIM busy\n"));
        assertEquals("the text : '12345' is not an ICCID (expected: 18..22 digits)", refusal("12345"));
        assertEquals("sim.properties.iccid : '8944-5012' is not an ICCID (expected: 18..22 digits)",
            refusal("{\"sim\":{\"properties\":{\"iccid\":\"8944-5012\"}}}"));
        assertEquals("empty output (expected: JSON or an ICCID)", refusal(" \n"));
    }

    @Test
    void shouldRefuseTruncatedJsonInOneLine() {
        final String message = refusal("{\"sim\":{\"properties\":{\"iccid\":\"8944501234567890123\"");
        assertTrue(message.startsWith("not JSON: "), message);
        assertTrue(!message.contains("\n"), message);
    }

    @Test
    void shouldFollowConfiguredPaths() {
        // A router's own state file: {"active": {"iccid": ..., "plmn": ...}}; a number is read as its digits.
        assertEquals(new ActiveSim("8944501234567890123", "23450", null),
            ActiveSim.parse("{\"active\":{\"iccid\":8944501234567890123,\"plmn\":\"23450\"}}", "active.iccid",
                "active.plmn", "active.name"));
    }
}
