package org.esimmeter.agent.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads {@link AgentConfig} from YAML and turns every failure into a one-line {@link ConfigException}. */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    public static AgentConfig load(final Path file) {
        if (!Files.isReadable(file)) {
            throw new ConfigException(file + " : cannot read (missing or no permission)");
        }
        final ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        try {
            final AgentConfig config = mapper.readValue(file.toFile(), AgentConfig.class);
            if (config == null) {
                throw new ConfigException(file + " : empty configuration");
            }
            return config;
        } catch (final JsonMappingException e) {
            final Throwable cause = rootCause(e);
            if (cause instanceof ConfigException) {
                throw new ConfigException(file + " : " + cause.getMessage(), e);
            }
            throw new ConfigException(file + " : " + path(e) + " : " + e.getOriginalMessage().split("\n")[0], e);
        } catch (final JsonProcessingException e) {
            throw new ConfigException(file + " : " + e.getOriginalMessage().split("\n")[0] + location(e), e);
        } catch (final IOException e) {
            throw new ConfigException(file + " : " + e.getMessage(), e);
        }
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
