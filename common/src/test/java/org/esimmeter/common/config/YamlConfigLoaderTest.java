package org.esimmeter.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.esimmeter.common.logging.LogLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every way a configuration file can be wrong gives one line: the file, the key, what is wrong. */
class YamlConfigLoaderTest {
    /** A configuration with each shape the daemons use: sections, a list of sections, a map of sections. */
    public record Sample(
        @JsonProperty("server") Server server,
        @JsonProperty("items") List<Item> items,
        @JsonProperty("users") Map<String, User> users,
        @JsonProperty("logging") LoggingConfig logging) {
    }

    public record Server(
        @JsonProperty("url") String url,
        @JsonProperty("port") Integer port,
        @JsonProperty("verbose") Boolean verbose) {

        public Server {
            if (url == null) {
                throw new ConfigException("server.url : missing");
            }
        }
    }

    public record Item(@JsonProperty("name") String name) {
        public Item {
            if (name == null) {
                throw new ConfigException("items[].name : missing");
            }
        }
    }

    public record User(@JsonProperty("token") String token) {
    }

    @TempDir
    Path directory;

    private Path write(final String yaml) throws IOException {
        return Files.writeString(directory.resolve("sample.yaml"), yaml);
    }

    private String refusal(final String yaml, final Map<String, String> environment) throws IOException {
        final Path file = write(yaml);
        final String message = assertThrows(ConfigException.class,
            () -> YamlConfigLoader.load(file, Sample.class, environment::get)).getMessage();
        final String prefix = file + " : ";
        assertEquals(prefix, message.substring(0, Math.min(prefix.length(), message.length())), message);
        return message.substring(prefix.length());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // The typo wins over the key it was meant to be (server.url is required, and missing because of it).
        "server:\\n  urll: http://h\\n|server.urll : unknown key (did you mean url?)",
        "server:\\n  port: 1\\n  URL: http://h\\n|server.URL : unknown key (did you mean url?)",
        "servr:\\n  url: http://h\\n|servr : unknown key (did you mean server?)",
        "frobnicate: 1\\n|frobnicate : unknown key (expected one of: server, items, users, logging)",
        "items:\\n  - name: a\\n  - nmae: b\\n|items[1].nmae : unknown key (did you mean name?)",
        "users:\\n  alice:\\n    tokn: t\\n|users.alice.tokn : unknown key (did you mean token?)",
        "server:\\n  url: http://h\\n  port: soon\\n|server.port : \"soon\" (expected: a whole number)",
        "server:\\n  url: http://h\\n  port: 3.5\\n|server.port : 3.5 (expected: a whole number)",
        "server:\\n  url: http://h\\n  port: [1]\\n|server.port : a list (expected: a whole number)",
        "server:\\n  url: http://h\\n  port: 99999999999\\n|server.port : 99999999999 (expected: a whole number from -2147483648 to 2147483647)",
        "server:\\n  url: http://h\\n  verbose: 1\\n|server.verbose : 1 (expected: true or false)",
        "server:\\n  url:\\n    a: 1\\n|server.url : a mapping (expected: a single value)",
        "server: 5\\n|server : 5 (expected: a mapping of keys to values)",
        "items: lo\\n|items : \"lo\" (expected: a list)",
        "users:\\n  - alice\\n|users : a list (expected: a mapping of keys to values)",
        "items:\\n  - name: a\\n  - {}\\n|items[1].name : missing",
        "logging:\\n  level: loud\\n|logging.level : loud (expected: error, warn, info, debug or trace)",
        "server:\\n  url: http://h\\nserver:\\n  url: http://i\\n|server : key given twice (line 3)",
        "server:\\n  url: http://h\\n  url: http://i\\n|server.url : key given twice (line 3)",
    })
    void shouldNameTheKeyAndTheProblem(final String yaml, final String expected) throws IOException {
        assertEquals(expected, refusal(yaml.replace("\\n", "\n"), Map.of()));
    }

    @Test
    void shouldReportAnUnknownKeyBeforeAnUnsetVariableBelowIt() throws IOException {
        assertEquals("servr : unknown key (did you mean server?)",
            refusal("servr:\n  url: ${UNSET_VARIABLE}\n", Map.of()));
        assertEquals("server.url : environment variable UNSET_VARIABLE is not set",
            refusal("server:\n  url: ${UNSET_VARIABLE}\n", Map.of()));
    }

    @Test
    void shouldCheckAVariableAgainstTheTypeOfItsKey() throws IOException {
        assertEquals("server.port : \"eighty\" (expected: a whole number)",
            refusal("server:\n  url: http://h\n  port: ${PORT}\n", Map.of("PORT", "eighty")));
        final Sample sample = YamlConfigLoader.load(write("server:\n  url: http://h\n  port: ${PORT}\n"), Sample.class,
            Map.of("PORT", "8080")::get);
        assertEquals(8080, sample.server().port());
    }

    @Test
    void shouldLoadAGoodFile() throws IOException {
        final Sample sample = YamlConfigLoader.load(write("server:\n  url: http://h\n  port: \"7470\"\n" +
            "  verbose: true\nitems:\n  - name: a\nusers:\n  alice:\n    token: t\nlogging:\n  level: DEBUG\n"),
            Sample.class, Map.<String, String>of()::get);
        assertEquals(new Server("http://h", 7470, true), sample.server());
        assertEquals(List.of(new Item("a")), sample.items());
        assertEquals(Map.of("alice", new User("t")), sample.users());
        assertEquals(LogLevel.DEBUG, sample.logging().threshold());
    }

    @Test
    void shouldRefuseAFileThatCannotBeRead() throws IOException {
        final Path missing = directory.resolve("missing.yaml");
        assertEquals(missing + " : cannot read (no such file)",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(missing, Sample.class)).getMessage());
        assertEquals(directory + " : cannot read (a directory, expected: a file)",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(directory, Sample.class)).getMessage());
        final Path empty = write("");
        assertEquals(empty + " : empty configuration",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(empty, Sample.class)).getMessage());
        final Path list = write("- a\n- b\n");
        assertEquals(list + " : (top level) : expected a mapping of keys to values",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(list, Sample.class)).getMessage());
    }

    @Test
    void shouldRefuseBrokenYamlNamingTheLineAndTheProblem() throws IOException {
        final Path indented = write("server:\n  url: http://h\n port: 1\n");
        assertEquals(indented + " : line 3 : expected <block end>, but found '<block mapping start>' (not valid YAML)",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(indented, Sample.class)).getMessage());
        final Path tab = write("server:\n\turl: http://h\n");
        assertEquals(tab + " : line 2 : found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) " +
            "for indentation) (not valid YAML)",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(tab, Sample.class)).getMessage());
    }
}
