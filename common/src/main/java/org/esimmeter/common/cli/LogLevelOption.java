package org.esimmeter.common.cli;

import org.esimmeter.common.logging.LogLevel;
import org.esimmeter.common.logging.Logs;
import picocli.CommandLine.Option;

/**
 * The {@code --log-level} option of the daemons' commands (a picocli mixin), and the one rule that picks the level:
 * the option, else the environment variable {@value Logs#LEVEL_ENVIRONMENT}, else the configuration file's
 * {@code logging.level}, else info. The command line wins so that one run can be made verbose without editing the
 * file a service manager reads.
 */
public final class LogLevelOption {
    @Option(names = "--log-level", paramLabel = "LEVEL",
        description = "error, warn, info, debug or trace; overrides " + Logs.LEVEL_ENVIRONMENT +
            " and the configuration's logging.level (default: info)")
    String level;

    /** Picks the level, applies it to every logger and returns it. */
    public LogLevel apply(final LogLevel configured) throws UsageException {
        final LogLevel chosen = resolve(level, System.getenv(Logs.LEVEL_ENVIRONMENT), configured);
        Logs.setLevel(chosen);
        return chosen;
    }

    /** @param configured the file's level, null if it sets none */
    public static LogLevel resolve(final String option, final String environment, final LogLevel configured)
        throws UsageException {
        if (option != null) {
            return parse("--log-level", option);
        }
        if (environment != null && !environment.isBlank()) {
            return parse(Logs.LEVEL_ENVIRONMENT, environment);
        }
        return configured == null ? LogLevel.INFO : configured;
    }

    private static LogLevel parse(final String source, final String text) throws UsageException {
        final LogLevel parsed = LogLevel.parse(text);
        if (parsed == null) {
            throw new UsageException(source + " : " + text + " (expected: " + LogLevel.EXPECTED + ")");
        }
        return parsed;
    }
}
