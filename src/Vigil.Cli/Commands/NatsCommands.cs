using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Vigil.Detection;
using Vigil.Eql;
using Vigil.Events;
using Vigil.Nats;
using Vigil.Sensor;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil publish</c> and <c>vigil engine</c>: events into NATS JetStream, and engine workers consuming them.</summary>
internal static class NatsCommands
{
    public static Command CreatePublish(TextWriter stdout, TextWriter stderr)
    {
        var bus = new BusCliOptions(eventsStream: true);
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "NDJSON event files (.gz accepted); '-' reads standard input.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("publish", "Publish NDJSON events to the NATS JetStream events stream, each acknowledged by the server.") { inputs };
        bus.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = bus.Build(parse, "vigil-publish");
            await using var connection = await ConnectAsync(options, "publish", stderr, ct).ConfigureAwait(false);
            if (connection is null)
            {
                return Program.Errors;
            }
            EventPublisher publisher;
            try
            {
                publisher = await EventPublisher.CreateAsync(connection, null, stderr, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BusUnavailableException or NATS.Client.Core.NatsException)
            {
                stderr.WriteLine($"vigil publish: cannot use stream {options.EventsStream}: {ex.Message}");
                return Program.Errors;
            }
            var table = new FieldTable();
            var reader = new NdjsonReader(new FieldProjection(table), e => stderr.WriteLine(e.Render()));
            try
            {
                foreach (var path in parse.GetValue(inputs)!)
                {
                    foreach (var e in reader.ReadPath(path))
                    {
                        await publisher.PublishAsync(e.Raw, ct).ConfigureAwait(false);
                    }
                }
                await publisher.FlushAsync().ConfigureAwait(false);
            }
            catch (BusUnavailableException ex)
            {
                stderr.WriteLine($"vigil publish: {ex.Message}; {publisher.Published} events were acknowledged before this, later ones were not published");
                return Program.Errors;
            }
            catch (OperationCanceledException)
            {
                stderr.WriteLine($"vigil publish: interrupted; {publisher.Published} events acknowledged");
                return Program.Errors;
            }
            stderr.WriteLine($"vigil publish: {publisher.Published} events acknowledged by {options.EventsStream} " +
                $"({publisher.Duplicates} already there, {publisher.Retries} retries, {reader.BadLines} bad lines)");
            return reader.BadLines > 0 || reader.FailedInputs > 0 ? Program.Errors : Program.Ok;
        });
        return command;
    }

    public static Command CreateEngine(TextWriter stdout, TextWriter stderr)
    {
        var bus = new BusCliOptions(eventsStream: true);
        var rules = new Option<string[]>("--rules")
        {
            Description = "Rule file or directory (repeatable). Default: the built-in rule pack.",
            Arity = ArgumentArity.OneOrMore,
        };
        var store = new Option<string?>("--store") { Description = "This worker's SQLite alert store (one file per worker); alerts are committed to it before their events are acknowledged. Default: none (the alerts stream only)." };
        var workerId = new Option<string?>("--worker-id") { Description = "Name of this worker in leases and logs (default: host name and process id)." };
        var leaseSeconds = new Option<double?>("--lease-seconds") { Description = "Partition lease time: a dead worker's partitions move after at most this long (default 10)." };
        var ackWaitSeconds = new Option<double?>("--ack-wait-seconds") { Description = "Redelivery delay of unacknowledged events (default 30)." };
        var statsSeconds = new Option<double?>("--stats-seconds") { Description = "Interval of the lag and throughput report on standard error (default 10; 0 turns it off)." };
        var batch = new Option<int?>("--batch") { Description = "Events per commit (default 256)." };
        var command = new Command("engine", "Run an engine worker: consume events from NATS JetStream (partitioned by host, shared with other workers), run the rules, publish alerts.")
        {
            rules, store, workerId, leaseSeconds, ackWaitSeconds, statsSeconds, batch,
        };
        bus.AddTo(command);
        command.SetAction(async (parse, outer) =>
        {
            using var termination = new Termination(outer);
            var ct = termination.Token;
            var loaded = RuleSources.Load(parse.GetValue(rules), stderr);
            var detector = new LiveDetector(loaded.Rules.Select(r => r.Rule));
            if (detector.Engine.Rules.Count + detector.Engine.SequenceRules.Count == 0)
            {
                stderr.WriteLine("vigil engine: no executable rules loaded.");
                return Program.Errors;
            }
            var defaults = new EngineWorkerOptions();
            var workerOptions = defaults with
            {
                WorkerId = parse.GetValue(workerId) ?? defaults.WorkerId,
                LeaseTtl = parse.GetValue(leaseSeconds) is { } l ? TimeSpan.FromSeconds(l) : defaults.LeaseTtl,
                AckWait = parse.GetValue(ackWaitSeconds) is { } a ? TimeSpan.FromSeconds(a) : defaults.AckWait,
                StatsInterval = parse.GetValue(statsSeconds) is { } s ? TimeSpan.FromSeconds(s) : defaults.StatsInterval,
                BatchSize = parse.GetValue(batch) ?? defaults.BatchSize,
            };
            var options = bus.Build(parse, "vigil-engine-" + workerOptions.WorkerId);
            await using var connection = await ConnectAsync(options, "engine", stderr, ct).ConfigureAwait(false);
            if (connection is null)
            {
                return Program.Errors;
            }
            using var sink = OpenStore(parse.GetValue(store), stderr);
            if (sink is null && parse.GetValue(store) is not null)
            {
                return Program.Errors;
            }
            var worker = new EngineWorker(connection, workerOptions, detector, sink, stderr);
            try
            {
                await worker.RunAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (BusUnavailableException ex)
            {
                stderr.WriteLine($"vigil engine: {ex.Message}");
                return Program.Errors;
            }
            catch (Exception ex) when (ex is AlertStoreException or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"vigil engine: the alert store failed: {ex.Message}");
                return Program.Errors;
            }
            return Program.Ok;
        });
        return command;
    }

    /// <summary>The worker's alert store (the SQLite store; one file per worker).</summary>
    private static DurableAlertStore? OpenStore(string? path, TextWriter stderr)
    {
        if (path is null)
        {
            return null;
        }
        try
        {
            return new DurableAlertStore(AlertStore.Open(path));
        }
        catch (AlertStoreException ex)
        {
            stderr.WriteLine($"vigil engine: cannot open the alert store {path}: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// Cancels on SIGINT and SIGTERM instead of letting the runtime end the process, so a worker finishes its batch, commits,
    /// acknowledges and hands its leases back (a SIGKILL still ends it at once; redelivery covers that).
    /// </summary>
    internal sealed class Termination : IDisposable
    {
        private readonly CancellationTokenSource _cts;
        private readonly PosixSignalRegistration[] _signals;

        public Termination(CancellationToken ct)
        {
            _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _signals =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            ];
        }

        public CancellationToken Token => _cts.Token;

        private void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            _cts.Cancel();
        }

        public void Dispose()
        {
            foreach (var s in _signals)
            {
                s.Dispose();
            }
            _cts.Dispose();
        }
    }

    internal static async Task<VigilBus?> ConnectAsync(BusOptions options, string verb, TextWriter stderr, CancellationToken ct)
    {
        try
        {
            return await VigilBus.ConnectAsync(options, stderr, ct).ConfigureAwait(false);
        }
        catch (BusUnavailableException ex)
        {
            stderr.WriteLine($"vigil {verb}: {ex.Message}");
            return null;
        }
    }

    /// <summary><c>vigil sensor --nats URL</c>: the sensor's events go to the events stream instead of a file.</summary>
    internal static async Task<int> PublishSensorAsync(ProcessSensor sensor, string url, string? stream, TextWriter stderr, CancellationToken outer)
    {
        using var termination = new Termination(outer);
        var ct = termination.Token;
        var options = new BusOptions { Url = url, ClientName = "vigil-sensor", EventsStream = stream ?? new BusOptions().EventsStream };
        await using var connection = await ConnectAsync(options, "sensor", stderr, ct).ConfigureAwait(false);
        if (connection is null)
        {
            return Program.Errors;
        }
        EventPublisher publisher;
        try
        {
            publisher = await EventPublisher.CreateAsync(connection, null, stderr, ct).ConfigureAwait(false);
        }
        catch (BusUnavailableException ex)
        {
            stderr.WriteLine($"vigil sensor: {ex.Message}");
            return Program.Errors;
        }
        stderr.WriteLine($"vigil sensor: capturing to {options.EventsStream} at {url}; Ctrl+C to stop.");
        try
        {
            await foreach (var e in sensor.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await publisher.PublishAsync(e.Json, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (BusUnavailableException ex)
        {
            stderr.WriteLine($"vigil sensor: {ex.Message}; stopping (events from now on are not captured)");
            return Program.Errors;
        }
        try
        {
            await publisher.FlushAsync().ConfigureAwait(false);
        }
        catch (BusUnavailableException ex)
        {
            stderr.WriteLine($"vigil sensor: {ex.Message}");
            return Program.Errors;
        }
        stderr.WriteLine($"vigil sensor: {publisher.Published.ToString(CultureInfo.InvariantCulture)} events acknowledged by {options.EventsStream}");
        return Program.Ok;
    }
}
