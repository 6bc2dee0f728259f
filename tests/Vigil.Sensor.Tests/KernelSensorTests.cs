using System.Diagnostics;
using System.Text.Json;

namespace Vigil.Sensor.Tests;

/// <summary>The sensor against the real kernel: needs root, skipped otherwise.</summary>
[Collection("kernel")]
public sealed class KernelSensorTests
{
    [RootFact]
    public async Task Exec_OfTrue_ArrivesWithPidArgsAndExecutable()
    {
        await using var sensor = new ProcessSensor(new SensorOptions { HostName = "kernel-test" });
        sensor.Start();
        await using var events = new EventCollector(sensor);
        string executable = Path.GetFullPath(new FileInfo("/bin/true").ResolveLinkTarget(true)?.FullName ?? "/bin/true");
        executable = RealPath(executable);

        var runs = new List<(int Pid, string Marker)>();
        for (int i = 0; i < 5; i++)
        {
            string marker = $"vigil-probe-{Guid.NewGuid():N}";
            using Process p = Process.Start(new ProcessStartInfo("/bin/true", ["--", marker]) { UseShellExecute = false })!;
            runs.Add((p.Id, marker));
            await p.WaitForExitAsync();
        }

        int withArgs = 0;
        foreach ((int pid, string marker) in runs)
        {
            (SensorEvent ev, JsonElement doc) = await events.WaitFor(
                d => d.Str("event.action") == "exec" && d.Num("process.pid") == pid, $"exec of /bin/true pid {pid}");
            Assert.Equal(SensorEventAction.Exec, ev.Action);
            Assert.Equal(pid, ev.ProcessId);
            Assert.Equal(["start"], doc.Strs("event.type"));
            Assert.Equal("kernel-test", doc.Str("host.name"));
            Assert.Equal(Environment.ProcessId, doc.Num("process.parent.pid"));
            Assert.InRange(ev.ElapsedSinceKernelEvent(), TimeSpan.Zero, TimeSpan.FromSeconds(30));

            // /bin/true can exit before /proc is read; then the document says so instead of guessing.
            if (doc.Has("process.args"))
            {
                withArgs++;
                Assert.Equal(["/bin/true", "--", marker], doc.Strs("process.args"));
                Assert.Equal(executable, doc.Str("process.executable"));
                Assert.Equal("true", doc.Str("process.name"));
            }
            else
            {
                Assert.Equal("partial", doc.Str("labels.vigil_enrichment"));
            }
        }

        // Enrichment happens on the receive thread the moment the exec arrives and wins the race against
        // /bin/true nearly always on an idle machine, but a CI machine saturated by other test runs can
        // stall it for milliseconds (see docs/SENSOR.md); the strict check is the longer-lived process below.
        Assert.True(withArgs >= 1, $"none of {runs.Count} execs of /bin/true were enriched; stats: {sensor.Stats}");
    }

    [RootFact]
    public async Task Exec_OfLongerLivedProcess_IsFullyEnriched()
    {
        await using var sensor = new ProcessSensor();
        sensor.Start();
        await using var events = new EventCollector(sensor);
        using Process p = Process.Start(new ProcessStartInfo("/bin/sleep", ["0.3"]) { UseShellExecute = false, WorkingDirectory = "/tmp" })!;
        (_, JsonElement doc) = await events.WaitFor(d => d.Str("event.action") == "exec" && d.Num("process.pid") == p.Id, "exec of sleep");
        await p.WaitForExitAsync();

        Assert.Equal(["/bin/sleep", "0.3"], doc.Strs("process.args"));
        Assert.Equal(2, doc.Num("process.args_count"));
        Assert.Equal("/bin/sleep 0.3", doc.Str("process.command_line"));
        Assert.Equal(RealPath("/bin/sleep"), doc.Str("process.executable"));
        Assert.Equal("sleep", doc.Str("process.name"));
        Assert.Equal("/tmp", doc.Str("process.working_directory"));
        Assert.Equal("0", doc.Str("user.id"));
        Assert.Equal("root", doc.Str("user.name"));
        Assert.False(doc.Has("container"));
        Assert.False(doc.Has("labels"));
        Assert.Equal("linux", doc.Str("host.os.type"));
        Assert.Equal(Environment.ProcessId, doc.Num("process.parent.pid"));
        Assert.True(doc.Has("process.parent.entity_id"));
        Assert.True(doc.Has("process.entity_id"));

        // The document's timestamps are this moment, not some other clock.
        DateTimeOffset ts = DateTimeOffset.Parse(doc.Str("@timestamp"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ts, DateTimeOffset.UtcNow.AddSeconds(-30), DateTimeOffset.UtcNow.AddSeconds(1));
        DateTimeOffset start = DateTimeOffset.Parse(doc.Str("process.start"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(start - ts, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(0.1));
    }

    [RootFact]
    public async Task Exit_CarriesExitCode_AndFork_NamesParent()
    {
        await using var sensor = new ProcessSensor();
        sensor.Start();
        await using var events = new EventCollector(sensor);
        using Process p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.1; exit 7"]) { UseShellExecute = false })!;
        await p.WaitForExitAsync();
        Assert.Equal(7, p.ExitCode);

        (_, JsonElement fork) = await events.WaitFor(d => d.Str("event.action") == "fork" && d.Num("process.pid") == p.Id, "fork of sh");
        (_, JsonElement exec) = await events.WaitFor(d => d.Str("event.action") == "exec" && d.Num("process.pid") == p.Id, "exec of sh");
        (SensorEvent endEvent, JsonElement end) = await events.WaitFor(d => d.Str("event.action") == "end" && d.Num("process.pid") == p.Id, "end of sh");

        Assert.Equal(Environment.ProcessId, fork.Num("process.parent.pid"));
        Assert.Equal(["end"], end.Strs("event.type"));
        Assert.Equal(SensorEventAction.End, endEvent.Action);
        Assert.Equal(7, end.Num("process.exit_code"));
        Assert.Equal(["/bin/sh", "-c", "sleep 0.1; exit 7"], end.Strs("process.args"));
        Assert.Equal(exec.Str("process.entity_id"), end.Str("process.entity_id"));
        Assert.Equal(fork.Str("process.entity_id"), end.Str("process.entity_id"));
        Assert.True(end.Has("process.end"));

        // sh forks sleep: its parent is the shell, known by entity id.
        (_, JsonElement sleep) = await events.WaitFor(
            d => d.Str("event.action") == "exec" && d.Has("process.parent.pid") && d.Num("process.parent.pid") == p.Id, "exec of sleep under sh");
        Assert.Equal(exec.Str("process.entity_id"), sleep.Str("process.parent.entity_id"));
        Assert.Equal(["sleep", "0.1"], sleep.Strs("process.args"));
    }

    [RootFact]
    public async Task Stats_CountWhatWasReceived_AndDisposeCompletesTheStream()
    {
        var sensor = new ProcessSensor();
        sensor.Start();
        using (Process p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!)
        {
            await p.WaitForExitAsync();
        }

        SensorStats stats = sensor.Stats;
        for (int i = 0; i < 100 && sensor.Stats.EventsEmitted < 3; i++)
        {
            await Task.Delay(20);
        }

        stats = sensor.Stats;
        Assert.True(stats.MessagesReceived >= 3, stats.ToString());
        Assert.True(stats.EventsEmitted >= 3, stats.ToString());
        Assert.True(stats.ProcessesTracked > 10, stats.ToString());
        Assert.True(stats.ReceiveBufferBytes >= 1024 * 1024, stats.ToString());
        Assert.True(stats.Complete, stats.ToString());

        await sensor.DisposeAsync();
        int drained = 0;
        await foreach (SensorEvent _ in sensor.ReadAllAsync())
        {
            drained++;
        }

        Assert.True(drained >= 3);
        Assert.True(sensor.Events.Completion.IsCompleted);
        Assert.Throws<InvalidOperationException>(sensor.Start);
    }

    [RootFact]
    public async Task TwoSensors_RunSideBySide()
    {
        await using var a = new ProcessSensor();
        await using var b = new ProcessSensor();
        a.Start();
        b.Start();
        await using var ea = new EventCollector(a);
        await using var eb = new EventCollector(b);
        using Process p = Process.Start(new ProcessStartInfo("/bin/sleep", ["0.1"]) { UseShellExecute = false })!;
        await p.WaitForExitAsync();
        await ea.WaitFor(d => d.Str("event.action") == "end" && d.Num("process.pid") == p.Id, "end in sensor a");
        await eb.WaitFor(d => d.Str("event.action") == "end" && d.Num("process.pid") == p.Id, "end in sensor b");

        Assert.Equal(0, a.Stats.KernelOverruns);
        Assert.Equal(0, b.Stats.KernelOverruns);
    }

    [RootFact]
    public async Task WaitForEvents_WakesADedicatedConsumerThread_AndReturnsFalseAfterDispose()
    {
        var sensor = new ProcessSensor();
        sensor.Start();
        var seen = new List<SensorEvent>();
        var consumer = new Thread(() =>
        {
            SensorScheduling.ApplyToCurrentThread(SensorThreadScheduling.Boosted);
            while (sensor.WaitForEvents())
            {
                while (sensor.Events.TryRead(out SensorEvent? ev))
                {
                    lock (seen)
                    {
                        seen.Add(ev);
                    }
                }
            }
        });
        consumer.Start();

        using (Process p = Process.Start(new ProcessStartInfo("/bin/sleep", ["0.1"]) { UseShellExecute = false })!)
        {
            await p.WaitForExitAsync();
            for (int i = 0; i < 200; i++)
            {
                lock (seen)
                {
                    if (seen.Any(e => e.Action == SensorEventAction.End && e.ProcessId == p.Id))
                    {
                        break;
                    }
                }

                await Task.Delay(10);
            }

            lock (seen)
            {
                Assert.Contains(seen, e => e.Action == SensorEventAction.Exec && e.ProcessId == p.Id);
                Assert.Contains(seen, e => e.Action == SensorEventAction.End && e.ProcessId == p.Id);
            }
        }

        await sensor.DisposeAsync();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(5)), "WaitForEvents did not return after dispose");
    }

    [RootFact]
    public async Task Overrun_IsDetectedCountedReportedAndResynchronised()
    {
        // The smallest buffer the kernel allows holds a handful of messages; stall the receive thread
        // and start a burst of processes so the kernel has to drop.
        await using var sensor = new ProcessSensor(new SensorOptions { ReceiveBufferBytes = 4096, MaxReceiveBufferBytes = 64 * 1024 });
        var notices = new List<SensorDataLossEventArgs>();
        sensor.DataLoss += (_, e) =>
        {
            lock (notices)
            {
                notices.Add(e);
            }
        };
        using var gate = new ManualResetEventSlim(false);
        sensor.TestGate = gate;
        sensor.Start();
        await using var events = new EventCollector(sensor);
        await Task.Delay(100);   // let the receive thread reach the gate

        using (Process burst = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "for i in $(seq 60); do /bin/true; done"]) { UseShellExecute = false })!)
        {
            await burst.WaitForExitAsync();
        }

        gate.Set();

        // Once drained, the sensor resynchronises from /proc and keeps working.
        for (int i = 0; i < 100 && (sensor.Stats.Resyncs == 0 || notices.Count < 2); i++)
        {
            await Task.Delay(50);
        }

        using Process after = Process.Start(new ProcessStartInfo("/bin/sleep", ["0.2"]) { UseShellExecute = false })!;
        (_, JsonElement exec) = await events.WaitFor(d => d.Str("event.action") == "exec" && d.Num("process.pid") == after.Id, "exec after the overrun");
        Assert.Equal(["/bin/sleep", "0.2"], exec.Strs("process.args"));
        await after.WaitForExitAsync();

        SensorStats stats = sensor.Stats;
        Assert.True(stats.KernelOverruns >= 1, stats.ToString());
        Assert.True(stats.LostMessages > 0, stats.ToString());
        Assert.True(stats.Resyncs >= 1, stats.ToString());
        Assert.False(stats.Complete);
        Assert.True(stats.ReceiveBufferBytes > 4096, stats.ToString());
        lock (notices)
        {
            Assert.Contains(notices, n => n.Kind == SensorDataLossKind.KernelOverrun && n.Message.Contains("ENOBUFS", StringComparison.Ordinal));
            Assert.Contains(notices, n => n.Kind == SensorDataLossKind.SequenceGap && n.Count > 0);
        }
    }

    internal static string RealPath(string path)
    {
        // Resolve every symlink in the path (/bin -> usr/bin on merged-/usr systems), as the kernel's exe link does.
        string full = Path.GetFullPath(path);
        string result = "/";
        foreach (string part in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(result, part);
            FileSystemInfo? target = new FileInfo(next).Exists || Directory.Exists(next)
                ? (File.GetAttributes(next).HasFlag(FileAttributes.ReparsePoint) ? new FileInfo(next).ResolveLinkTarget(true) : null)
                : null;
            result = target?.FullName ?? next;
        }

        return result;
    }
}
