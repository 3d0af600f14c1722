package org.esimmeter.common.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a configuration tree against the shape of the record it will become — every key known, every value of
 * the right kind — before Jackson builds anything. Jackson builds a record only once its section is read, so a
 * section with a misspelt key failed first in the record's constructor ("collector.url : missing") and the typo
 * ("urll") was never named; checked here, in document order, the unknown key is what the operator reads.
 */
final class ConfigShape {
    private static final Pattern INTEGER_TEXT = Pattern.compile("[+-]?\\d{1,19}");

    private static final Pattern ENV_REFERENCE = Pattern.compile("\\s*\\$\\{[A-Za-z_][A-Za-z0-9_]*}\\s*");
    private static final int MAX_QUOTED = 60;

    private final ObjectMapper mapper;
    private final boolean referencesPending;

    /**
     * @param referencesPending true before {@code ${NAME}} values are replaced: such a value then stands for any
     *                          single value, and is checked again once replaced
     */
    ConfigShape(final ObjectMapper mapper, final boolean referencesPending) {
        this.mapper = mapper;
        this.referencesPending = referencesPending;
    }

    /** @throws ConfigException naming the first key that is unknown or holds the wrong kind of value */
    void check(final JsonNode node, final Class<?> type) {
        check(node, mapper.constructType(type), "");
    }

    private void check(final JsonNode node, final JavaType type, final String path) {
        if (node == null || node.isNull()) {
            return; // absent: the record's default applies
        }
        final Class<?> raw = type.getRawClass();
        if (referencesPending && node.isTextual() && ENV_REFERENCE.matcher(node.textValue()).matches()) {
            return;
        }
        if (type.isCollectionLikeType()) {
            if (!node.isArray()) {
                throw wrong(path, node, "a list");
            }
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), type.getContentType(), path + "[" + i + "]");
            }
        } else if (type.isMapLikeType()) {
            if (!node.isObject()) {
                throw wrong(path, node, "a mapping of keys to values");
            }
            for (final Map.Entry<String, JsonNode> field : node.properties()) {
                check(field.getValue(), type.getContentType(), join(path, field.getKey()));
            }
        } else if (raw.isRecord()) {
            checkRecord(node, type, path);
        } else if (raw == Integer.class || raw == int.class) {
            checkInteger(node, path, BigInteger.valueOf(Integer.MIN_VALUE), BigInteger.valueOf(Integer.MAX_VALUE));
        } else if (raw == Long.class || raw == long.class) {
            checkInteger(node, path, BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE));
        } else if (raw == Boolean.class || raw == boolean.class) {
            if (!node.isBoolean()) {
                throw wrong(path, node, "true or false");
            }
        } else if (raw == String.class) {
            if (!node.isValueNode()) {
                throw wrong(path, node, "a single value");
            }
        }
        // Anything else is left to Jackson, whose message the loader reduces to one line.
    }

    private void checkRecord(final JsonNode node, final JavaType type, final String path) {
        if (!node.isObject()) {
            throw wrong(path, node, "a mapping of keys to values");
        }
        final BeanDescription description = mapper.getDeserializationConfig().introspect(type);
        final List<String> known = new ArrayList<>();
        for (final BeanPropertyDefinition property : description.findProperties()) {
            known.add(property.getName());
        }
        for (final Map.Entry<String, JsonNode> field : node.properties()) {
            final String key = join(path, field.getKey());
            BeanPropertyDefinition property = null;
            for (final BeanPropertyDefinition candidate : description.findProperties()) {
                if (candidate.getName().equals(field.getKey())) {
                    property = candidate;
                }
            }
            if (property == null) {
                throw new ConfigException(key + " : unknown key " + suggestion(field.getKey(), known));
            }
            check(field.getValue(), property.getPrimaryType(), key);
        }
    }

    private static void checkInteger(final JsonNode node, final String path, final BigInteger min,
        final BigInteger max) {
        final BigInteger value;
        if (node.isIntegralNumber()) {
            value = node.bigIntegerValue();
        } else if (node.isTextual() && INTEGER_TEXT.matcher(node.textValue().trim()).matches()) {
            // "128" is meant as a number, and ${ENV} values are always text.
            value = new BigInteger(node.textValue().trim());
        } else {
            throw wrong(path, node, "a whole number");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new ConfigException(path + " : " + value + " (expected: a whole number from " + min + " to " +
                max + ")");
        }
    }

    /** {@code (did you mean agentId?)} for a near miss, else the keys this section knows. */
    static String suggestion(final String key, final List<String> known) {
        String closest = null;
        int closestDistance = Integer.MAX_VALUE;
        for (final String candidate : known) {
            final int distance = distance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < closestDistance) {
                closest = candidate;
                closestDistance = distance;
            }
        }
        if (closest != null && closestDistance <= Math.max(1, Math.min(2, key.length() / 4))) {
            return "(did you mean " + closest + "?)";
        }
        return "(expected one of: " + String.join(", ", known) + ")";
    }

    /** Edit distance counting a swap of neighbours as one edit (optimal string alignment); keys are short. */
    static int distance(final String a, final String b) {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static ConfigException wrong(final String path, final JsonNode node, final String expected) {
        return new ConfigException((path.isEmpty() ? "(top level)" : path) + " : " + describe(node) +
            " (expected: " + expected + ")");
    }

    private static String describe(final JsonNode node) {
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isTextual()) {
            final String text = node.textValue();
            return "\"" + (text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "..." : text) + "\"";
        }
        return node.asText();
    }

    private static String join(final String path, final String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
