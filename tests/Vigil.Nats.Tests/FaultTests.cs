using System.Diagnostics;
using Vigil.Detection;
using Xunit.Abstractions;

namespace Vigil.Nats.Tests;

/// <summary>Workers and servers die; no alert is lost and none is doubled.</summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    private static int CountOf(string text, string what) => (text.Length - text.Replace(what, string.Empty, StringComparison.Ordinal).Length) / what.Length;

    [Fact]
    public async Task TwoWorkers_OneKilledMidStreamAndRestarted_EveryAlertExactlyOnce()
    {
        var clock = Stopwatch.StartNew();
        using var server = NatsServer.Start();
        var dir = NatsServer.TempDir("fault");
        var lines = Workload.Lines(20_000);
        var expected = Workload.ExpectedAlertIds(lines);
        var events = Workload.Write(lines, dir);
        output.WriteLine($"{lines.Count} events, {expected.Count} expected alerts");
        Assert.True(expected.Count > 2000);

        string[] Worker(string id) =>
        [
            "engine", "--nats", server.Url, "--worker-id", id, "--store", Path.Combine(dir, id + ".db"),
            "--lease-seconds", "3", "--ack-wait-seconds", "4", "--stats-seconds", "2", "--batch", "64",
        ];
        using var a = VigilProcess.Start(Worker("a"));
        using var b = VigilProcess.Start(Worker("b"));
        await using var probe = new BusProbe(server.Url);
        // Both workers hold partitions before events flow, so the kill takes work away from a worker that had some.
        await BusProbe.WaitAsync(() => Task.FromResult(a.Stderr.Contains("took partition", StringComparison.Ordinal) && b.Stderr.Contains("took partition", StringComparison.Ordinal)),
            Patience, () => $"both workers holding partitions; a:\n{a.Stderr}\nb:\n{b.Stderr}");

        using var publish = VigilProcess.Start("publish", "--nats", server.Url, events);
        await BusProbe.WaitAsync(async () => await probe.MessagesAsync("VIGIL_ALERTS") >= expected.Count / 4,
            Patience, () => $"a quarter of the alerts; a:\n{a.Stderr}\nb:\n{b.Stderr}");
        a.Kill();
        var bBefore = b.Stderr.Length;
        var atKill = await probe.MessagesAsync("VIGIL_ALERTS");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: killed worker a with {atKill} of {expected.Count} alerts published");
        Assert.True(atKill < expected.Count, "the kill must come before the stream is drained");

        // a's leases lapse; b takes a's four partitions, so all eight partitions (and a's unacknowledged events are redelivered to it).
        await BusProbe.WaitAsync(() => Task.FromResult(CountOf(b.Stderr[bBefore..], "took partition") >= 4),
            Patience, () => $"b taking over a's partitions; b:\n{b.Stderr}");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: b holds every partition");

        // a comes back: b hands half of the partitions back in order (finishing and acknowledging what it pulled first).
        using var a2 = VigilProcess.Start(Worker("a"));
        Assert.Equal(0, publish.Wait(Patience));
        Assert.Contains($"{lines.Count} events acknowledged", publish.Stderr, StringComparison.Ordinal);

        await BusProbe.WaitAsync(async () => await probe.MessagesAsync("VIGIL_ALERTS") >= expected.Count && await probe.BacklogAsync() == 0,
            Patience, () => $"{expected.Count} alerts and no backlog; a:\n{a.Stderr}\na2:\n{a2.Stderr}\nb:\n{b.Stderr}");
        // Redeliveries still in flight would show up as extra messages here if deduplication failed: give them a moment.
        await Task.Delay(1000);

        var alerts = await probe.AlertsAsync();
        var ids = alerts.Select(x => x.Uuid!).ToList();
        Assert.Equal(expected.Count, ids.Count);
        Assert.Equal(expected.Order(), ids.Order());
        Assert.All(alerts, x => Assert.Equal(x.Uuid, x.MsgId));

        // The hand-back runs on lease timers and may finish after the stream is drained (a2 starts slowly on a busy
        // machine): wait for it before stopping the workers, rather than racing it.
        await BusProbe.WaitAsync(() => Task.FromResult(a2.Stderr.Contains("took partition", StringComparison.Ordinal) && b.Stderr.Contains("handed partition", StringComparison.Ordinal)),
            Patience, () => $"b handing partitions back to a2; a2:\n{a2.Stderr}\nb:\n{b.Stderr}");
        Assert.Equal(0, a2.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, b.Terminate(TimeSpan.FromSeconds(30)));
        var stored = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in new[] { "a", "b" })
        {
            using var store = AlertStore.Open(Path.Combine(dir, id + ".db"), new AlertStoreOptions { ReadOnly = true });
            var inStore = store.List(new AlertQuery { IncludeBuildingBlocks = true }).Select(x => x.Uuid).ToList();
            Assert.Equal(store.Count(), inStore.Count);
            Assert.Equal(inStore.Count, inStore.Distinct().Count());
            stored.UnionWith(inStore);
            output.WriteLine($"store {id}: {inStore.Count} alerts");
        }
        Assert.Superset(expected, stored);
        Assert.Subset(expected, stored);
        Assert.Contains("handed partition", b.Stderr, StringComparison.Ordinal);
        Assert.Contains("took partition", a2.Stderr, StringComparison.Ordinal);
        output.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s\nb:\n{b.Stderr}\na2:\n{a2.Stderr}");
    }
}
