package org.esimmeter.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a configuration record from YAML and turns every failure into a one-line {@link ConfigException} naming
 * the file and the key: unknown keys, wrong types, keys given twice, values the record's constructor refuses.
 * Keys and kinds of values are checked against the record's shape ({@link ConfigShape}) before any record is
 * built, so an unknown key is reported as itself rather than as the required key it was meant to be.
 * A value that is exactly {@code ${NAME}} is replaced by the environment variable NAME (an unset or empty variable
 * is an error naming the key), so tokens can come from a systemd credential or an EnvironmentFile.
 */
public final class YamlConfigLoader {
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private YamlConfigLoader() {
    }

    public static <T> T load(final Path file, final Class<T> type) {
        return load(file, type, System::getenv);
    }

    /** As {@link #load(Path, Class)}, with {@code environment} answering variable names (null = unset). */
    public static <T> T load(final Path file, final Class<T> type, final UnaryOperator<String> environment) {
        if (!Files.exists(file)) {
            throw new ConfigException(file + " : cannot read (no such file)");
        }
        if (Files.isDirectory(file)) {
            throw new ConfigException(file + " : cannot read (a directory, expected: a file)");
        }
        if (!Files.isReadable(file)) {
            throw new ConfigException(file + " : cannot read (permission denied)");
        }
        final ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        try {
            final JsonNode tree;
            try (JsonParser parser = mapper.getFactory().createParser(file.toFile())) {
                tree = parser.nextToken() == null ? null : read(parser, mapper, "");
            }
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                throw new ConfigException(file + " : empty configuration");
            }
            if (!tree.isObject()) {
                throw new ConfigException(file + " : (top level) : expected a mapping of keys to values");
            }
            new ConfigShape(mapper, true).check(tree, type);
            expand(tree, "", environment);
            new ConfigShape(mapper, false).check(tree, type);
            return mapper.treeToValue(tree, type);
        } catch (final ConfigException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new ConfigException(file + " : " + e.getMessage(), e);
        } catch (final JsonMappingException e) {
            final Throwable cause = rootCause(e);
            if (cause instanceof ConfigException) {
                throw new ConfigException(file + " : " + withIndexes(cause.getMessage(), e), e);
            }
            throw new ConfigException(file + " : " + path(e) + " : " + e.getOriginalMessage().split("\n")[0], e);
        } catch (final JsonProcessingException e) {
            if (rootCause(e) instanceof MarkedYAMLException) {
                // SnakeYAML's first line names the construct it was in ("while parsing a block mapping"); the
                // problem and where it was found are what the operator can act on.
                final MarkedYAMLException yaml = (MarkedYAMLException) rootCause(e);
                final Mark mark = yaml.getProblemMark() != null ? yaml.getProblemMark() : yaml.getContextMark();
                throw new ConfigException(file + " : " + (mark == null ? "" : "line " + (mark.getLine() + 1) +
                    " : ") + oneLine(yaml.getProblem() != null ? yaml.getProblem() : yaml.getContext()) +
                    " (not valid YAML)", e);
            }
            throw new ConfigException(file + " : " + e.getOriginalMessage().split("\n")[0] + location(e), e);
        } catch (final IOException e) {
            throw new ConfigException(file + " : " + e.getMessage(), e);
        }
    }

    /**
     * The document as a tree, refusing a key given twice in one mapping (YAML parsers keep the last one silently,
     * and Jackson's own duplicate check does not say where).
     */
    private static JsonNode read(final JsonParser parser, final ObjectMapper mapper, final String path)
        throws IOException {
        if (parser.currentToken() == JsonToken.START_OBJECT) {
            final ObjectNode object = mapper.createObjectNode();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String name = parser.currentName();
                final String key = path.isEmpty() ? name : path + "." + name;
                if (object.has(name)) {
                    throw new ConfigException(key + " : key given twice (line " +
                        parser.currentLocation().getLineNr() + ")");
                }
                parser.nextToken();
                object.set(name, read(parser, mapper, key));
            }
            return object;
        }
        if (parser.currentToken() == JsonToken.START_ARRAY) {
            final ArrayNode array = mapper.createArrayNode();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                array.add(read(parser, mapper, path + "[" + array.size() + "]"));
            }
            return array;
        }
        return mapper.readTree(parser);
    }

    private static void expand(final JsonNode node, final String path, final UnaryOperator<String> environment) {
        if (node instanceof ObjectNode) {
            final ObjectNode object = (ObjectNode) node;
            for (final Map.Entry<String, JsonNode> field : List.copyOf(object.properties())) {
                final String key = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                final JsonNode value = field.getValue();
                if (value.isTextual()) {
                    object.set(field.getKey(), new TextNode(resolve(key, value.textValue(), environment)));
                } else {
                    expand(value, key, environment);
                }
            }
        } else if (node instanceof ArrayNode) {
            final ArrayNode array = (ArrayNode) node;
            for (int i = 0; i < array.size(); i++) {
                final String key = path + "[" + i + "]";
                if (array.get(i).isTextual()) {
                    array.set(i, new TextNode(resolve(key, array.get(i).textValue(), environment)));
                } else {
                    expand(array.get(i), key, environment);
                }
            }
        }
    }

    private static String resolve(final String key, final String value, final UnaryOperator<String> environment) {
        final Matcher matcher = ENV_REFERENCE.matcher(value.trim());
        if (!matcher.matches()) {
            return value;
        }
        final String resolved = environment.apply(matcher.group(1));
        if (resolved == null || resolved.isEmpty()) {
            throw new ConfigException(key + " : environment variable " + matcher.group(1) + " is not set");
        }
        return resolved;
    }

    private static String path(final JsonMappingException e) {
        final StringBuilder path = new StringBuilder();
        for (final JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                if (path.length() > 0) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? "(top level)" : path.toString();
    }

    /**
     * A record names its keys without knowing its place in a list ({@code interfaces[].name : missing}); the
     * mapping path knows it: {@code interfaces[1].name : missing}.
     */
    private static String withIndexes(final String message, final JsonMappingException e) {
        final int keyEnd = message.indexOf(" : ");
        if (keyEnd < 0 || !message.substring(0, keyEnd).contains("[]")) {
            return message;
        }
        final StringBuilder key = new StringBuilder(message.substring(0, keyEnd));
        for (final JsonMappingException.Reference reference : e.getPath()) {
            final int open = key.indexOf("[]");
            if (open < 0) {
                break;
            }
            if (reference.getFieldName() == null && reference.getIndex() >= 0) {
                key.insert(open + 1, reference.getIndex());
            }
        }
        return key + message.substring(keyEnd);
    }

    private static String oneLine(final String text) {
        return text == null ? "syntax error" : text.replaceAll("\\s+", " ").trim();
    }

    private static String location(final JsonProcessingException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
    }

    private static Throwable rootCause(final Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }
}
