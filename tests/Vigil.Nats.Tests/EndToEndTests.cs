using Vigil.Detection;
using Vigil.Rules;

namespace Vigil.Nats.Tests;

/// <summary>Publish, consume, alert against a real nats-server.</summary>
public sealed class EndToEndTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static LiveDetector BuiltIn() => new(BuiltInRules.Load().Rules.Select(r => r.Rule));

    [Fact]
    public async Task PublishEngineTail_SampleEventsGiveTheThirteenExpectedAlertsOnce()
    {
        using var server = NatsServer.Start();
        var dir = NatsServer.TempDir("e2e");
        var expected = Workload.ExpectedAlertIds(File.ReadAllLines(Workload.SamplePath));
        Assert.Equal(13, expected.Count);

        using (var publish = VigilProcess.Start("publish", "--nats", server.Url, Workload.SamplePath))
        {
            Assert.Equal(0, publish.Wait(Patience));
            Assert.Contains("111 events acknowledged by VIGIL_EVENTS", publish.Stderr, StringComparison.Ordinal);
        }

        await using var bus = await VigilBus.ConnectAsync(new BusOptions { Url = server.Url }, TextWriter.Null);
        var storePath = Path.Combine(dir, "alerts.db");
        var log = new StringWriter();
        using var cts = new CancellationTokenSource();
        Task run;
        using (var store = new DurableAlertStore(AlertStore.Open(storePath)))
        {
            var worker = new EngineWorker(bus, new EngineWorkerOptions { WorkerId = "w1", StatsInterval = TimeSpan.FromMilliseconds(500) }, BuiltIn(), store, log);
            run = worker.RunAsync(cts.Token);
            await using var probe = new BusProbe(server.Url);
            await BusProbe.WaitAsync(async () => await probe.MessagesAsync("VIGIL_ALERTS") >= 13 && await probe.BacklogAsync() == 0,
                Patience, () => $"13 alerts and an empty backlog; worker log:\n{log}");

            // The same file again: the events stream drops every line by message id, so no event is seen twice.
            using (var again = VigilProcess.Start("publish", "--nats", server.Url, Workload.SamplePath))
            {
                Assert.Equal(0, again.Wait(Patience));
                Assert.Contains("111 already there", again.Stderr, StringComparison.Ordinal);
            }
            Assert.Equal(111, await probe.MessagesAsync("VIGIL_EVENTS"));

            using (var tail = VigilProcess.Start("alerts", "tail", "--nats", server.Url, "--all", "--idle-exit", "1", "--format", "ndjson"))
            {
                Assert.Equal(0, tail.Wait(Patience));
                var tailed = tail.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("kibana.alert.uuid").GetString()!)
                    .ToList();
                Assert.Equal(expected.Order(), tailed.Order());
            }
            using (var table = VigilProcess.Start("alerts", "tail", "--nats", server.Url, "--all", "--idle-exit", "1", "--format", "table"))
            {
                Assert.Equal(0, table.Wait(Patience));
                Assert.Contains("apt-get install -y curl", table.Stdout, StringComparison.Ordinal);
                Assert.Equal(14, table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            }

            var alerts = await probe.AlertsAsync();
            Assert.Equal(13, alerts.Count);
            Assert.All(alerts, a => Assert.Equal(a.MsgId, a.Uuid));
            Assert.Equal(expected.Order(), alerts.Select(a => a.Uuid!).Order());
            await cts.CancelAsync();
            await run;
        }
        using (var stored = AlertStore.Open(storePath))
        {
            Assert.Equal(expected.Order(), stored.List(new AlertQuery()).Select(a => a.Uuid).Order());
        }
        var text = log.ToString();
        Assert.Contains("lag 0 waiting, 0 unacknowledged", text, StringComparison.Ordinal);
        Assert.Contains("events (", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_StoppedWhileItsStatsReportIsInFlight_StopsCleanly()
    {
        // The stats report asks the server about each held consumer; a stop that lands during such a request once ended
        // RunAsync with a TaskCanceledException instead of a clean stop. A 1 ms interval keeps a report in flight.
        using var server = NatsServer.Start();
        await using var bus = await VigilBus.ConnectAsync(new BusOptions { Url = server.Url }, TextWriter.Null);
        for (var round = 0; round < 8; round++)
        {
            var log = new StringWriter();
            var worker = new EngineWorker(bus, new EngineWorkerOptions { WorkerId = "w" + round, StatsInterval = TimeSpan.FromMilliseconds(1) }, BuiltIn(), null, TextWriter.Synchronized(log));
            using var cts = new CancellationTokenSource();
            var run = worker.RunAsync(cts.Token);
            await BusProbe.WaitAsync(() => Task.FromResult(log.ToString().Contains("took partition", StringComparison.Ordinal)),
                Patience, () => $"the worker holding partitions; log:\n{log}");
            // Let a few reports start, then stop at some point inside one.
            await Task.Delay(20 + (round * 7));
            await cts.CancelAsync();
            await run;
            Assert.Contains("stopped;", log.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Publish_WithoutAServer_SaysSoAndFails()
    {
        var port = NatsServer.FreePort();
        using var publish = VigilProcess.Start("publish", "--nats", $"nats://127.0.0.1:{port}", Workload.SamplePath);
        Assert.Equal(1, publish.Wait(Patience));
        Assert.Contains($"cannot connect to NATS at nats://127.0.0.1:{port}", publish.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_RidesOutAServerRestart_AndAlertsStayExactlyOnce()
    {
        using var server = NatsServer.Start();
        var lines = Workload.Lines(444);
        var expected = Workload.ExpectedAlertIds(lines);
        var log = new StringWriter();
        await using var bus = await VigilBus.ConnectAsync(new BusOptions { Url = server.Url }, log);
        var worker = new EngineWorker(bus, new EngineWorkerOptions { WorkerId = "w1", StatsInterval = TimeSpan.Zero, LeaseTtl = TimeSpan.FromSeconds(6) }, BuiltIn(), null, log);
        using var cts = new CancellationTokenSource();
        var run = worker.RunAsync(cts.Token);
        await using var probe = new BusProbe(server.Url);

        await PublishAsync(server.Url, lines.Take(lines.Count / 2));
        await BusProbe.WaitAsync(async () => await probe.BacklogAsync() == 0 && await probe.MessagesAsync("VIGIL_ALERTS") > 0, Patience, () => $"first half processed; log:\n{log}");

        server.Restart();

        await PublishAsync(server.Url, lines.Skip(lines.Count / 2));
        await BusProbe.WaitAsync(async () => await probe.MessagesAsync("VIGIL_ALERTS") >= expected.Count && await probe.BacklogAsync() == 0,
            Patience, () => $"{expected.Count} alerts after the restart; log:\n{log}");
        var alerts = await probe.AlertsAsync();
        Assert.Equal(expected.Order(), alerts.Select(a => a.Uuid!).Order());
        await cts.CancelAsync();
        await run;
        Assert.Contains("NATS connection lost", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("NATS connection restored", log.ToString(), StringComparison.Ordinal);
    }

    private static async Task PublishAsync(string url, IEnumerable<string> lines)
    {
        await using var bus = await VigilBus.ConnectAsync(new BusOptions { Url = url }, TextWriter.Null);
        var publisher = await EventPublisher.CreateAsync(bus, null, TextWriter.Null);
        foreach (var line in lines)
        {
            await publisher.PublishAsync(System.Text.Encoding.UTF8.GetBytes(line));
        }
        await publisher.FlushAsync();
    }
}

/// <summary>A publisher that loses its server mid-stream fails loudly and counts only what was acknowledged.</summary>
public sealed class PublisherFailureTests
{
    [Fact]
    public async Task Publisher_ServerGoneMidStream_ThrowsAfterItsDeadline_AndNeverCountsUnacknowledgedEvents()
    {
        using var server = NatsServer.Start();
        var lines = Workload.Lines(5_000);
        await using var bus = await VigilBus.ConnectAsync(new BusOptions { Url = server.Url }, TextWriter.Null);
        var publisher = await EventPublisher.CreateAsync(bus, new PublisherOptions { GiveUpAfter = TimeSpan.FromSeconds(2) }, TextWriter.Null);
        var failure = await Assert.ThrowsAsync<BusUnavailableException>(async () =>
        {
            for (var i = 0; i < lines.Count; i++)
            {
                if (i == 1000)
                {
                    server.Kill();
                }
                await publisher.PublishAsync(System.Text.Encoding.UTF8.GetBytes(lines[i]));
            }
            await publisher.FlushAsync();
        });
        Assert.Contains("not acknowledged", failure.Message, StringComparison.Ordinal);
        Assert.InRange(publisher.Published, 1, 1000);
    }
}
