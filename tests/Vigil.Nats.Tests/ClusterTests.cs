using System.Diagnostics;
using Xunit.Abstractions;

namespace Vigil.Nats.Tests;

/// <summary>A three-node JetStream cluster with replicated streams loses nothing when a node goes away.</summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task ThreeNodes_StreamLeaderKilledWhilePublishing_NoEventOrAlertLostOrDoubled()
    {
        var clock = Stopwatch.StartNew();
        var nodes = NatsServer.StartCluster();
        try
        {
            var urls = string.Join(',', nodes.Select(n => n.Url));
            var dir = NatsServer.TempDir("cluster");
            var lines = Workload.Lines(6_000);
            var expected = Workload.ExpectedAlertIds(lines);
            var events = Workload.Write(lines, dir);

            using var worker = VigilProcess.Start("engine", "--nats", urls, "--replicas", "3", "--worker-id", "w", "--lease-seconds", "3",
                "--ack-wait-seconds", "4", "--stats-seconds", "2", "--batch", "64");
            await using var probe = new BusProbe(urls);
            await BusProbe.WaitAsync(() => Task.FromResult(worker.Stderr.Contains("took partition", StringComparison.Ordinal)),
                Patience, () => $"the worker holding partitions; worker:\n{worker.Stderr}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: cluster up, worker running");

            using var publish = VigilProcess.Start("publish", "--nats", urls, "--replicas", "3", events);
            await BusProbe.WaitAsync(async () => await probe.MessagesAsync("VIGIL_EVENTS") >= lines.Count / 3,
                Patience, () => $"a third of the events published; publisher:\n{publish.Stderr}");
            // The hardest node to lose: the one leading the events stream (a new leader must be elected mid-publish).
            var leader = await probe.StreamLeaderAsync("VIGIL_EVENTS");
            var victim = nodes.Single(n => n.Name == leader);
            victim.Kill();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: killed {victim.Name}, leader of VIGIL_EVENTS");

            Assert.Equal(0, publish.Wait(Patience));
            Assert.Contains($"{lines.Count} events acknowledged", publish.Stderr, StringComparison.Ordinal);
            await BusProbe.WaitAsync(async () => await probe.MessagesAsync("VIGIL_ALERTS") >= expected.Count && await probe.BacklogAsync() == 0,
                Patience, () => $"{expected.Count} alerts and no backlog; worker:\n{worker.Stderr}");
            await Task.Delay(1000);

            Assert.Equal(lines.Count, await probe.MessagesAsync("VIGIL_EVENTS"));
            var alerts = await probe.AlertsAsync();
            Assert.Equal(expected.Count, alerts.Count);
            Assert.Equal(expected.Order(), alerts.Select(a => a.Uuid!).Order());
            Assert.Equal(0, worker.Terminate(TimeSpan.FromSeconds(30)));
            output.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s\npublisher:\n{publish.Stderr}\nworker:\n{worker.Stderr}");
        }
        finally
        {
            foreach (var n in nodes)
            {
                n.Dispose();
            }
        }
    }
}
