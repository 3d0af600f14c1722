package org.esimmeter.agent;

import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.cli.UsageException;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.logging.LogLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code check-config FILE}: the validation {@code run} does before it captures — the file, every key, every
 * interface on this machine, the token's environment variable — and nothing else; one summary line if it passes.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
    description = "Check a configuration file as run would (keys, values, interfaces of this machine, token " +
        "variable) and print a summary; exit 2 with one line naming the file and key if wrong.")
final class CheckConfigCommand implements Callable<Integer> {
    @ParentCommand
    AgentMain parent;

    @Parameters(index = "0", paramLabel = "FILE", description = "agent configuration (YAML)")
    Path config;

    @Override
    public Integer call() throws UsageException {
        final AgentConfig loaded = AgentMain.loadConfig(config);
        if (loaded.collector() != null) {
            try {
                loaded.collector().resolveToken(System.getenv());
            } catch (final ConfigException e) {
                throw new UsageException(config + " : " + e.getMessage(), e);
            }
        }
        parent.out().println(config + " : ok (" + summary(loaded) + ")");
        return 0;
    }

    /** The settings that matter, on one line, secrets left out; also logged at debug when {@code run} starts. */
    static String summary(final AgentConfig config) {
        final StringJoiner interfaces = new StringJoiner(", ");
        for (final AgentConfig.Interface iface : config.interfaces()) {
            interfaces.add(iface.name() + " -> " + (iface.profileFrom() == null ? iface.profile() :
                "ICCID from " + (iface.profileFrom().file() != null ? iface.profileFrom().file() :
                    String.join(" ", iface.profileFrom().command())) + " every " +
                    iface.profileFrom().intervalSeconds() + " s (until then " + iface.profile() + ")") +
                (iface.filter().isEmpty() ? "" : " (filter '" + iface.filter() + "')"));
        }
        final AgentConfig.Capture capture = config.capture();
        final AgentConfig.Collector collector = config.collector();
        final LogLevel level = config.logging().threshold();
        return config.interfaces().size() + (config.interfaces().size() == 1 ? " interface: " : " interfaces: ") +
            interfaces + "; snaplen " + capture.snaplen() + ", buffer " + capture.bufferBytes() + " bytes, filter " +
            (capture.filter().isEmpty() ? "none" : "'" + capture.filter() + "'") + "; " +
            (collector == null ? "no collector" : "collector " + collector.url() + " as " + collector.agentId() +
                ", token " + (collector.tokenEnv() == null ? "in the file" : "from $" + collector.tokenEnv()) +
                ", spool " + collector.resolveSpoolDirectory(System.getenv()) +
                (collector.spoolDirectory() == null ? " (default)" : "") +
                " (cap " + collector.spoolMaxBytes() + " bytes)") +
            "; service names " + (config.services().enabled() ? "on " + String.join(", ",
                config.serviceInterfaces()) + " (snaplen " + config.services().snaplen() + ")" : "off") +
            "; JSON lines " + (config.output().enabled() ? config.output().jsonLines() : "none") +
            "; log level " + (level == null ? "info (default)" : level.label());
    }
}
