using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Vigil.Detection;
using Vigil.Nats;

namespace Vigil.Benchmarks;

/// <summary>
/// Events per second through NATS JetStream: publishing (each event acknowledged by the server), then draining the stream
/// with one and with two engine workers (each worker its own connection, detector and partitions, in this process). A
/// private nats-server is started on a free loopback port with its store in a temporary directory.
/// </summary>
internal static class NatsBenchmark
{
    public static int Run(int events, int[] workerCounts)
    {
        var binary = new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists);
        if (binary is null)
        {
            Console.Error.WriteLine("nats-server not found: apt-get install -y nats-server");
            return 1;
        }
        var port = FreePort();
        var store = Path.Combine(Path.GetTempPath(), $"vigil-bench-nats-{Environment.ProcessId}");
        Directory.CreateDirectory(store);
        using var server = Process.Start(new ProcessStartInfo(binary, ["-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", store])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        server.ErrorDataReceived += (_, _) => { };
        server.OutputDataReceived += (_, _) => { };
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        try
        {
            Thread.Sleep(500);
            return RunAsync($"nats://127.0.0.1:{port}", events, workerCounts).GetAwaiter().GetResult();
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
            Directory.Delete(store, recursive: true);
        }
    }

    private static async Task<int> RunAsync(string url, int events, int[] workerCounts)
    {
        ReadOnlyMemory<byte> lines = ScanWorkload.Build(events);
        var options = new BusOptions { Url = url, Partitions = 8 };
        await using (var bus = await VigilBus.ConnectAsync(options, Console.Error))
        {
            var publisher = await EventPublisher.CreateAsync(bus, null, Console.Error);
            var bytes = 0L;
            var sw = Stopwatch.StartNew();
            var rest = lines;
            while (rest.Length > 0)
            {
                var nl = rest.Span.IndexOf((byte)'\n');
                var line = nl < 0 ? rest : rest[..nl];
                rest = nl < 0 ? ReadOnlyMemory<byte>.Empty : rest[(nl + 1)..];
                if (line.Length > 0)
                {
                    bytes += line.Length;
                    await publisher.PublishAsync(line);
                }
            }
            await publisher.FlushAsync();
            sw.Stop();
            Console.WriteLine($"nats bus: {publisher.Published:N0} events ({bytes / 1048576.0:F0} MiB), 8 partitions, built-in rule");
            Console.WriteLine($"  publish (acknowledged, 256 in flight)   {publisher.Published / sw.Elapsed.TotalSeconds,8:N0} events/s  {bytes / 1048576.0 / sw.Elapsed.TotalSeconds:F1} MiB/s");
        }
        foreach (var n in workerCounts)
        {
            var (rate, alerts) = await DrainAsync(options, n, events);
            Console.WriteLine($"  engine, {n} worker{(n == 1 ? " " : "s")} (ack after alerts published) {rate,8:N0} events/s  ({alerts:N0} alerts)");
        }
        return 0;
    }

    /// <summary>Fresh consumers (a new prefix) read the whole stream; the clock runs until every event is acknowledged.</summary>
    private static async Task<(double Rate, long Alerts)> DrainAsync(BusOptions options, int workers, int events)
    {
        var prefix = $"bench-{workers}-{Environment.TickCount64}";
        var buses = new List<VigilBus>();
        var engines = new List<EngineWorker>();
        for (var i = 0; i < workers; i++)
        {
            var bus = await VigilBus.ConnectAsync(options with { AlertsStream = "BENCH_ALERTS_" + prefix.Replace('-', '_'), AlertsSubjectPrefix = "bench.alerts." + prefix }, Console.Error);
            buses.Add(bus);
            engines.Add(new EngineWorker(bus, new EngineWorkerOptions { WorkerId = $"{prefix}-w{i}", ConsumerPrefix = prefix, StatsInterval = TimeSpan.Zero },
                new LiveDetector(ScanWorkload.BuiltInRules()), null, TextWriter.Null));
        }
        using var cts = new CancellationTokenSource();
        var sw = Stopwatch.StartNew();
        var runs = engines.Select(e => Task.Run(() => e.RunAsync(cts.Token))).ToList();
        while (engines.Sum(e => e.Events) < events)
        {
            await Task.Delay(20);
        }
        sw.Stop();
        await cts.CancelAsync();
        await Task.WhenAll(runs);
        var alerts = engines.Sum(e => e.Alerts);
        foreach (var bus in buses)
        {
            await bus.DisposeAsync();
        }
        return (events / sw.Elapsed.TotalSeconds, alerts);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
