package org.esimmeter.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.esimmeter.agent.capture.CaptureException;
import org.esimmeter.agent.capture.CaptureInterfaces;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.cli.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code interfaces [--config FILE] [--json]}: this machine's network interfaces with the link type the agent would
 * capture, how it would tell direction, state, addresses, and with a configuration the profile each one bills to.
 * Interfaces the configuration names that this machine lacks are listed as {@code absent}.
 */
@Command(name = "interfaces", mixinStandardHelpOptions = true,
    description = "List this machine's network interfaces as the agent would capture them: link type (each is " +
        "opened, which needs root or CAP_NET_RAW), direction, state, addresses, and the profile of each in " +
        "--config FILE.")
final class InterfacesCommand implements Callable<Integer> {
    private static final String NONE = "-";

    @ParentCommand
    AgentMain parent;

    @Option(names = "--config", paramLabel = "FILE",
        description = "agent configuration (YAML): show the profile each interface maps to, and configured " +
            "interfaces that are absent")
    Path config;

    @Option(names = "--json", description = "one JSON array instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        final AgentConfig agentConfig = config == null ? null : AgentMain.loadConfigFile(config);
        final AgentConfig.Capture settings = agentConfig == null ? new AgentConfig.Capture(null, null, null, null,
            null, null) : agentConfig.capture();
        final List<CaptureInterfaces.Device> devices;
        try {
            devices = CaptureInterfaces.list(settings);
        } catch (final CaptureException e) {
            parent.err().println("esim-meter-agent: " + e.getMessage());
            return CommandLines.EXIT_FAILURE;
        }
        final Map<String, String> profiles = new LinkedHashMap<>();
        if (agentConfig != null) {
            agentConfig.interfaces().forEach(iface -> profiles.put(iface.name(),
                iface.profileFrom() == null ? iface.profile() : "discovered (ICCID)"));
        }
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (final CaptureInterfaces.Device device : devices) {
            rows.add(row(device, agentConfig == null ? null : profiles.getOrDefault(device.name(), NONE)));
            profiles.remove(device.name());
        }
        profiles.forEach((name, profile) -> rows.add(absent(name, profile)));
        if (json) {
            printJson(rows);
        } else {
            printTable(rows, agentConfig != null);
        }
        reportUnopened(devices);
        return 0;
    }

    private static Map<String, Object> row(final CaptureInterfaces.Device device, final String profile) {
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", device.name());
        row.put("linkType", device.linkType() < 0 ? null : org.esimmeter.agent.decode.LinkType.name(device.linkType()));
        row.put("linkTypeNumber", device.linkType() < 0 ? null : device.linkType());
        row.put("linkTypeText", device.linkTypeText());
        row.put("directionBy", device.directionBy());
        row.put("state", device.state());
        row.put("loopback", device.loopback());
        row.put("mac", device.macText());
        row.put("addresses", device.addresses());
        if (profile != null) {
            row.put("profile", profile);
        }
        return row;
    }

    private static Map<String, Object> absent(final String name, final String profile) {
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        row.put("linkType", null);
        row.put("linkTypeNumber", null);
        row.put("linkTypeText", NONE);
        row.put("directionBy", NONE);
        row.put("state", "absent");
        row.put("loopback", false);
        row.put("mac", null);
        row.put("addresses", List.of());
        row.put("profile", profile);
        return row;
    }

    private void printJson(final List<Map<String, Object>> rows) throws JsonProcessingException {
        final List<Map<String, Object>> objects = new ArrayList<>();
        for (final Map<String, Object> row : rows) {
            final Map<String, Object> object = new LinkedHashMap<>(row);
            object.remove("linkTypeText");
            objects.add(object);
        }
        parent.out().println(new ObjectMapper().writeValueAsString(objects));
    }

    private void printTable(final List<Map<String, Object>> rows, final boolean withProfiles) {
        final List<String[]> table = new ArrayList<>();
        table.add(withProfiles ?
            new String[] {"INTERFACE", "LINK TYPE", "DIRECTION BY", "STATE", "PROFILE", "ADDRESSES"} :
            new String[] {"INTERFACE", "LINK TYPE", "DIRECTION BY", "STATE", "ADDRESSES"});
        for (final Map<String, Object> row : rows) {
            @SuppressWarnings("unchecked")
            final List<String> addresses = (List<String>) row.get("addresses");
            final String addressText = addresses.isEmpty() ? NONE : String.join(", ", addresses);
            table.add(withProfiles ?
                new String[] {(String) row.get("name"), (String) row.get("linkTypeText"),
                    (String) row.get("directionBy"), (String) row.get("state"), (String) row.get("profile"),
                    addressText} :
                new String[] {(String) row.get("name"), (String) row.get("linkTypeText"),
                    (String) row.get("directionBy"), (String) row.get("state"), addressText});
        }
        final int[] widths = new int[table.get(0).length];
        for (final String[] cells : table) {
            for (int i = 0; i < cells.length; i++) {
                widths[i] = Math.max(widths[i], cells[i].length());
            }
        }
        for (final String[] cells : table) {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < cells.length; i++) {
                line.append(cells[i]);
                if (i < cells.length - 1) {
                    line.append(" ".repeat(widths[i] - cells[i].length() + 2));
                }
            }
            parent.out().println(line);
        }
    }

    /** One stderr line per distinct reason: without CAP_NET_RAW that is one line for every interface. */
    private void reportUnopened(final List<CaptureInterfaces.Device> devices) {
        final Map<String, List<String>> byReason = new LinkedHashMap<>();
        for (final CaptureInterfaces.Device device : devices) {
            if (device.openError() != null) {
                final String reason = device.openError().substring(device.openError().indexOf(" : ") + 3);
                byReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(device.name());
            }
        }
        byReason.forEach((reason, names) -> parent.err().println("esim-meter-agent: link type unknown for " +
            String.join(", ", names) + " : " + reason));
    }
}
