package org.esimmeter.bench.ship;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.esimmeter.wire.TrafficCounters;

/** The markdown that scripts/bench-catchup.sh prints: what was measured, on what, and the figures of every run. */
final class CatchUpReport {
    static final double GOAL_SECONDS = 30;

    private CatchUpReport() {
    }

    static void print(final PrintStream out, final BusyRouter router, final int seconds, final SpoolContents backlog,
        final double buildSeconds, final List<CatchUpBench.Run> runs, final String fileSystem) {
        long packets = 0;
        long wireBytes = 0;
        for (int i = 0; i < BusyRouter.INTERFACES.length; i++) {
            packets += router.fed(i).sum(TrafficCounters.PACKETS);
            wireBytes += router.fed(i).sum(TrafficCounters.WIRE_BYTES);
        }
        final double spoolPerSecond = (double) backlog.bytes() / seconds;
        out.println("### Catch-up after an outage (agent spool to collector)\n");
        out.printf("Busy router: %s. Outage: %,d s of packet time (%,d packets, %.2f GB of wire bytes, %.1f Mbit/s " +
            "on average) metered by the agent's decoder and meters into a CollectorSink whose collector does not " +
            "answer, one batch per second, then spooled by close() in %.1f s.%n%n", router.describe(), seconds,
            packets, wireBytes / 1e9, wireBytes * 8 / 1e6 / seconds, buildSeconds);
        out.printf("Backlog: %,d batches, %,d interface-seconds, %,d flow-second records in %d segment file(s), " +
            "%,d bytes (%.1f MiB; %,.0f bytes per second of outage, so the default spoolMaxBytes of 32 MiB holds " +
            "%.1f h of this router).%n%n", backlog.batches(), backlog.interfaceSeconds(), backlog.flowSeconds(),
            backlog.segments(), backlog.bytes(), backlog.bytes() / 1048576.0, spoolPerSecond,
            CatchUpBench.DEFAULT_SPOOL_MAX_BYTES / spoolPerSecond / 3600);
        out.printf("Machine: %s; spool and database on %s. Collector jar with default JVM flags and configuration " +
            "(fresh database per run); the agent side in the benchmark's JVM; both over 127.0.0.1.%n%n",
            machine(), fileSystem);
        out.println("| run | catch-up (s) | of which spool open (s) | batches/s | flow-second records/s | " +
            "failed attempts | collector ingest p50 / p99 (ms) | stored totals = fed |");
        out.println("|---:|---:|---:|---:|---:|---:|---:|---|");
        for (int i = 0; i < runs.size(); i++) {
            final CatchUpBench.Run run = runs.get(i);
            out.printf("| %d | %.2f | %.2f | %,.0f | %,.0f | %d | %.1f / %.1f | %s |%n", i + 1, run.catchUpSeconds(),
                run.openSeconds(), run.batchesPerSecond(), run.recordsPerSecond(), run.attemptsFailed(),
                run.ingestP50Ms(), run.ingestP99Ms(), run.mismatches().isEmpty() ? "yes, exactly" :
                    "**NO**: " + String.join("; ", run.mismatches()));
        }
        final double median = median(runs, CatchUpBench.Run::catchUpSeconds);
        out.printf("%nMedian of %d runs: **%.2f s** to catch up (%.2f..%.2f), %,.0f batches/s (%,.0f..%,.0f), " +
            "%,.0f flow-second records/s (%,.0f..%,.0f). Goal: a 1-hour backlog in under %.0f s: %s.%n",
            runs.size(), median, min(runs, CatchUpBench.Run::catchUpSeconds),
            max(runs, CatchUpBench.Run::catchUpSeconds), median(runs, CatchUpBench.Run::batchesPerSecond),
            min(runs, CatchUpBench.Run::batchesPerSecond), max(runs, CatchUpBench.Run::batchesPerSecond),
            median(runs, CatchUpBench.Run::recordsPerSecond), min(runs, CatchUpBench.Run::recordsPerSecond),
            max(runs, CatchUpBench.Run::recordsPerSecond), GOAL_SECONDS,
            seconds < 3600 ? "not measured (the backlog is shorter than an hour)" :
                runs.stream().anyMatch(r -> !r.mismatches().isEmpty()) ? "not evidence (a run failed its checks)" :
                median < GOAL_SECONDS ? "met" : "missed");
    }

    private static double median(final List<CatchUpBench.Run> runs, final ToDoubleFunction<CatchUpBench.Run> value) {
        final double[] sorted = runs.stream().mapToDouble(value).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] :
            (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static double min(final List<CatchUpBench.Run> runs, final ToDoubleFunction<CatchUpBench.Run> value) {
        return runs.stream().mapToDouble(value).min().orElse(Double.NaN);
    }

    private static double max(final List<CatchUpBench.Run> runs, final ToDoubleFunction<CatchUpBench.Run> value) {
        return runs.stream().mapToDouble(value).max().orElse(Double.NaN);
    }

    /** nproc, CPU model, memory, kernel and JVM: the figures mean nothing without them. */
    static String machine() {
        String cpu = "unknown CPU";
        String memory = "";
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    memory = String.format(", %.1f GiB RAM",
                        Long.parseLong(line.replaceAll("[^0-9]", "")) / 1048576.0);
                    break;
                }
            }
        } catch (final IOException e) {
            // Not Linux: the processor count and JVM still say something.
        }
        return String.format("%d CPUs (%s)%s, %s %s, Java %s (%s)", Runtime.getRuntime().availableProcessors(), cpu,
            memory, System.getProperty("os.name"), System.getProperty("os.version"),
            System.getProperty("java.version"), System.getProperty("java.vm.name"));
    }
}
