package org.esimmeter.agent.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The SIM a modem uses now, as its status output tells: the ICCID (the profile key) and the serving network.
 * <p>
 * The text is either a bare ICCID or one or more JSON documents one after the other, e.g. ModemManager's
 * <pre>
 * mmcli -m any -J   {"modem": {"generic": {"sim": "/org/freedesktop/ModemManager1/SIM/0", ...},
 *                              "3gpp": {"operator-code": "23415", "operator-name": "vodafone UK", ...}, ...}}
 * mmcli -i any -J   {"sim": {"dbus-path": "...", "properties": {"iccid": "8944...", "imsi": "...", ...}}}
 * </pre>
 * Fields are dotted paths; the first document holding a value wins. mmcli writes "--" for a value it does not
 * know: that counts as absent.
 *
 * @param operatorCode the serving network's MCC+MNC, null when not reported
 * @param operatorName its name, null when not reported
 */
public record ActiveSim(String iccid, String operatorCode, String operatorName) {
    // ITU-T E.118: up to 19 digits plus a check digit (some cards report 18 or 22); modems pad with a trailing F.
    private static final Pattern ICCID = Pattern.compile("\\d{18,22}");
    private static final Pattern MCC_MNC = Pattern.compile("\\d{5,6}");
    private static final ObjectReader JSON = new ObjectMapper().readerFor(JsonNode.class);

    /**
     * @throws IllegalArgumentException with a one-line reason when the text holds no valid ICCID at {@code
     *                                  iccidField}
     */
    public static ActiveSim parse(final String text, final String iccidField, final String operatorCodeField,
        final String operatorNameField) {
        final String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("empty output (expected: JSON or an ICCID)");
        }
        if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
            return new ActiveSim(iccid(trimmed, "the text"), null, null);
        }
        final List<JsonNode> documents = new ArrayList<>(2);
        try (MappingIterator<JsonNode> values = JSON.readValues(trimmed)) {
            while (values.hasNextValue()) {
                documents.add(values.nextValue());
            }
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage().replace('\n', ' '), e);
        } catch (final java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("not JSON: " + String.valueOf(e.getMessage()).replace('\n', ' '), e);
        }
        final String iccid = find(documents, iccidField);
        if (iccid == null) {
            throw new IllegalArgumentException("no ICCID at " + iccidField + " (is a SIM present and the modem " +
                "enabled?)");
        }
        return new ActiveSim(iccid(iccid, iccidField), find(documents, operatorCodeField),
            find(documents, operatorNameField));
    }

    private static String iccid(final String value, final String where) {
        String digits = value.trim();
        if (digits.endsWith("F") || digits.endsWith("f")) {
            digits = digits.substring(0, digits.length() - 1);
        }
        if (!ICCID.matcher(digits).matches()) {
            final String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
            throw new IllegalArgumentException(where + " : '" + shown.replace('\n', ' ') +
                "' is not an ICCID (expected: 18..22 digits)");
        }
        return digits;
    }

    /** The scalar text at a dotted path in the first document that has one; null when none does. */
    private static String find(final List<JsonNode> documents, final String path) {
        final String[] keys = path.split("\\.");
        for (final JsonNode document : documents) {
            JsonNode node = document;
            for (final String key : keys) {
                node = node.path(key);
            }
            if (node.isValueNode() && !node.isNull()) {
                final String value = node.asText().trim();
                if (!value.isEmpty() && !"--".equals(value)) {
                    return value;
                }
            }
        }
        return null;
    }

    /**
     * The serving network as the counters carry it: MCC+MNC (5 or 6 digits), "" when unknown or not a network code
     * (some modems report the operator name in the code field).
     */
    public String network() {
        return operatorCode != null && MCC_MNC.matcher(operatorCode).matches() ? operatorCode : "";
    }

    /** For the log: "operator 23415 (vodafone UK)", or what part of it is known. */
    public String describeOperator() {
        if (operatorCode == null && operatorName == null) {
            return "operator unknown";
        }
        return "operator " + (operatorCode == null ? "?" : operatorCode) +
            (operatorName == null ? "" : " (" + operatorName + ")");
    }
}
