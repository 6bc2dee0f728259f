using System.CommandLine;
using Vigil.Detection;
using Vigil.Events;
using Vigil.Sensor;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil sensor</c> and <c>vigil watch</c>: live process telemetry from this host's kernel.</summary>
internal static class SensorCommand
{
    public static Command CreateSensor(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string?>("--out") { Description = "Append events to this NDJSON file instead of standard output." };
        var nats = new Option<string?>("--nats") { Description = "Publish events to this NATS JetStream server (URL, or comma-separated cluster URLs) instead of writing them." };
        var natsStream = new Option<string?>("--stream") { Description = "Events stream for --nats (default VIGIL_EVENTS)." };
        var command = new Command("sensor", "Capture process events (fork, exec, end) from the kernel and write them as NDJSON shaped like Defend for Containers.")
        {
            output, nats, natsStream,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(output);
            await using var sensor = StartSensor(stderr);
            if (sensor is null)
            {
                return Program.Errors;
            }
            if (parse.GetValue(nats) is { } natsUrl)
            {
                return await NatsCommands.PublishSensorAsync(sensor, natsUrl, parse.GetValue(natsStream), stderr, ct).ConfigureAwait(false);
            }
            await using var stream = path is null ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stderr.WriteLine(path is null ? "vigil sensor: capturing; Ctrl+C to stop." : $"vigil sensor: capturing to {path}; Ctrl+C to stop.");
            long written = 0;
            try
            {
                await foreach (var e in sensor.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    await stream.WriteAsync(e.Json, ct).ConfigureAwait(false);
                    stream.WriteByte((byte)'\n');
                    if (sensor.Events.Count == 0)
                    {
                        await stream.FlushAsync(ct).ConfigureAwait(false);
                    }
                    written++;
                }
            }
            catch (OperationCanceledException)
            {
            }
            stderr.WriteLine($"vigil sensor: {written} events written; {Describe(sensor.Stats)}");
            return Program.Ok;
        });
        return command;
    }

    public static Command CreateWatch(TextWriter stdout, TextWriter stderr)
    {
        var rules = new Option<string[]>("--rules")
        {
            Description = "Rule file or directory (repeatable). Default: the built-in rule pack.",
            Arity = ArgumentArity.OneOrMore,
        };
        var format = new Option<string?>("--format") { Description = "Output format: table (default on a terminal) or ndjson." };
        format.AcceptOnlyFromAmong("table", "ndjson");
        var exceptions = ExceptionSources.CreateOption();
        var command = new Command("watch", "Run the sensor and the detection engine together and print alerts as they happen.")
        {
            rules, format, exceptions,
        };
        var storeOptions = new StoreOptions();
        storeOptions.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var loaded = RuleSources.Load(parse.GetValue(rules), stderr);
            // Exceptions that fail to load are reported and skipped: a watcher starts with what was accepted.
            var exceptionSet = ExceptionSources.Load(parse.GetValue(exceptions), parse.GetValue(rules), stderr);
            var detector = new LiveDetector(loaded.Rules.Select(r => r.Rule), new DetectionOptions { Exceptions = exceptionSet });
            ExceptionSources.Report(exceptionSet, detector.Engine, loaded.Rules.Select(r => r.Rule), stderr);
            if (detector.Engine.Rules.Count + detector.Engine.SequenceRules.Count == 0)
            {
                stderr.WriteLine("vigil watch: no executable rules loaded.");
                return Task.FromResult(Program.Errors);
            }
            if (!storeOptions.TryOpen(parse, stderr, out var store))
            {
                return Task.FromResult(Program.Errors);
            }
            var sensor = StartSensor(stderr);
            if (sensor is null)
            {
                store?.Dispose();
                return Task.FromResult(Program.Errors);
            }
            var fmt = parse.GetValue(format) ?? (Console.IsOutputRedirected ? "ndjson" : "table");
            IAlertSink console = fmt == "ndjson" ? new NdjsonAlertSink(Console.OpenStandardOutput(), ownsStream: false) : new TableAlertSink(stdout);
            // The console shows an alert at once; the store commits on its own timer (AlertStoreOptions.MaxCommitDelay), so
            // the consumer thread never waits for a disk sync between events.
            using IAlertSink sink = store is null ? console : new TeeAlertSink(console, store);
            stderr.WriteLine($"vigil watch: {detector.Engine.Rules.Count + detector.Engine.SequenceRules.Count} rules running; Ctrl+C to stop.");
            long alertCount = 0;
            AlertStoreException? storeError = null;
            // A dedicated thread, not async continuations: an alert should follow its exec within milliseconds even when
            // the machine is busy (see docs/SENSOR.md on scheduling).
            var worker = new Thread(() =>
            {
                SensorScheduling.ApplyToCurrentThread(SensorThreadScheduling.Realtime);
                var alerts = new List<Alert>();
                try
                {
                    try
                    {
                        while (sensor.WaitForEvents(ct))
                        {
                            while (sensor.Events.TryRead(out var e))
                            {
                                alerts.Clear();
                                detector.Process(e.Json.Span, alerts, "sensor");
                                foreach (var alert in alerts)
                                {
                                    sink.Write(alert);
                                    alertCount++;
                                }
                                if (alerts.Count > 0)
                                {
                                    console.Flush();
                                }
                            }
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    alerts.Clear();
                    detector.Complete(alerts);
                    foreach (var alert in alerts)
                    {
                        sink.Write(alert);
                        alertCount++;
                    }
                    sink.Flush();
                }
                catch (AlertStoreException ex)
                {
                    // A store that cannot be written (disk full, file removed) stops the watch rather than losing alerts silently.
                    storeError = ex;
                }
            })
            { IsBackground = true, Name = "vigil-watch" };
            worker.Start();
            worker.Join();
            if (storeError is not null)
            {
                stderr.WriteLine($"vigil watch: alert store {storeError.Message}; stopped");
            }
            stderr.WriteLine($"vigil watch: {detector.Events} events, {alertCount} alerts{(store is null ? string.Empty : "; " + StoreOptions.Summary(store))}; {Describe(sensor.Stats)}");
            ExceptionSources.ReportExcepted(detector.Engine, stderr);
            sensor.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return Task.FromResult(storeError is null ? Program.Ok : Program.Errors);
        });
        return command;
    }

    private static ProcessSensor? StartSensor(TextWriter stderr)
    {
        if (!OperatingSystem.IsLinux())
        {
            stderr.WriteLine("vigil: the sensor needs Linux (the kernel's netlink process connector).");
            return null;
        }
        var sensor = new ProcessSensor(new SensorOptions());
        sensor.DataLoss += (_, loss) => stderr.WriteLine($"vigil: warning: {loss.Message}");
        try
        {
            sensor.Start();
            return sensor;
        }
        catch (SensorPrivilegeException ex)
        {
            stderr.WriteLine($"vigil: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            stderr.WriteLine($"vigil: cannot start the sensor: {ex.Message}");
        }
        sensor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return null;
    }

    private static string Describe(SensorStats s) =>
        $"kernel messages {s.MessagesReceived}, emitted {s.EventsEmitted}, overruns {s.KernelOverruns}, lost {s.LostMessages}, " +
        $"dropped {s.ConsumerDrops}, resyncs {s.Resyncs}, enrichment failures {s.EnrichmentFailures}" +
        (s.Complete ? "; capture complete" : "; CAPTURE INCOMPLETE: events were lost (see warnings above)");
}
