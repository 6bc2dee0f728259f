using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Vigil.Sensor.Testing;

namespace Vigil.Cli.Tests;

/// <summary>
/// `vigil watch` against the real kernel: an interactive `apt-get install curl` in a (simulated) docker container alerts
/// within 2 seconds; the same without a terminal, or outside the container, does not. Needs root (CI runs as root).
/// </summary>
public sealed class WatchEndToEndTests
{
    private static readonly TimeSpan AlertDeadline = TimeSpan.FromSeconds(2);

    [ContainerFact]
    public async Task Watch_InteractiveInstallInContainer_AlertsWithinTwoSeconds_AndOnlyThen()
    {
        await using var watch = WatchProcess.Start();
        await watch.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        // 1. Interactive, in the container: alert with the container id, fast.
        await using (var container = SimulatedContainer.Create())
        {
            container.InstallStub("apt-get");
            var started = Stopwatch.StartNew();
            using var p = container.Run("apt-get", ["install", "curl"], tty: true);
            var pid = await p.WaitForProcessAsync("apt-get", TimeSpan.FromSeconds(10));
            var alert = watch.WaitForAlert(a => a.ContainerId == container.Id, AlertDeadline + TimeSpan.FromSeconds(1));
            started.Stop();
            Assert.True(alert is not null, $"no alert for container {container.Id} (apt-get pid {pid}) within {AlertDeadline}; watch stderr:\n{watch.Stderr}");
            Assert.True(started.Elapsed <= AlertDeadline + TimeSpan.FromMilliseconds(500), $"alert took {started.Elapsed.TotalMilliseconds:F0} ms from launching the container process");
            Assert.Equal(pid, alert!.Pid);
            Assert.Equal("527d23e6-8b67-4a8e-a6bd-5169b90ab2a8", alert.RuleId);
            Assert.Equal(["apt-get", "install", "curl"], alert.Args);
            p.CloseInput();
            Assert.True(await StoredAsync(container.Id), $"the alert for container {container.Id} did not reach the alert store; watch stderr:\n{watch.Stderr}");
        }

        // 2. The same without a terminal (an image build): no alert.
        await using (var container = SimulatedContainer.Create())
        {
            container.InstallStub("apt-get");
            using var p = container.Run("apt-get", ["install", "curl"], tty: false);
            await p.WaitForProcessAsync("apt-get", TimeSpan.FromSeconds(10));
            Assert.Null(watch.WaitForAlert(a => a.ContainerId == container.Id, AlertDeadline));
            p.CloseInput();
        }

        // 3. The same on the host, outside any container cgroup, with a terminal: no alert.
        await using (var scratch = SimulatedContainer.Create())
        {
            var stub = scratch.InstallStub("apt-get");
            var psi = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-qfec", "exec apt-get install curl", "/dev/null" })
            {
                psi.ArgumentList.Add(arg);
            }
            psi.Environment["PATH"] = scratch.BinDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
            using var host = Process.Start(psi)!;
            Assert.Null(watch.WaitForAlert(a => a.Executable == stub, AlertDeadline));
            host.StandardInput.Close();
            await host.WaitForExitAsync();
        }
    }

    [ContainerFact]
    public async Task Watch_WithExceptions_SkipsExceptedInstall_AndStillAlertsOnOthers()
    {
        var exceptions = Path.Combine(CliRunner.TempDir(), "exceptions.ndjson");
        File.WriteAllText(exceptions, """
            {"list_id":"lab-tools","item_id":"socat-ok","name":"socat is expected here","type":"simple","rule_ids":["527d23e6-8b67-4a8e-a6bd-5169b90ab2a8"],"entries":[{"field":"process.args","operator":"included","type":"match","value":"socat"}]}
            """);
        await using var watch = WatchProcess.Start("--exceptions", exceptions);
        await watch.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("exceptions: 1 items from 1 files, applied to 1 rules", watch.Stderr, StringComparison.Ordinal);

        await using (var container = SimulatedContainer.Create())
        {
            container.InstallStub("apt-get");
            using var p = container.Run("apt-get", ["install", "socat"], tty: true);
            await p.WaitForProcessAsync("apt-get", TimeSpan.FromSeconds(10));
            Assert.Null(watch.WaitForAlert(a => a.ContainerId == container.Id, AlertDeadline));
            p.CloseInput();
        }
        await using (var container = SimulatedContainer.Create())
        {
            container.InstallStub("apt-get");
            using var p = container.Run("apt-get", ["install", "curl"], tty: true);
            await p.WaitForProcessAsync("apt-get", TimeSpan.FromSeconds(10));
            Assert.NotNull(watch.WaitForAlert(a => a.ContainerId == container.Id, AlertDeadline + TimeSpan.FromSeconds(1)));
            p.CloseInput();
        }
    }

    /// <summary>The watch keeps alerts in the default store (a temporary VIGIL_HOME here), committing within a second.</summary>
    private static async Task<bool> StoredAsync(string containerId)
    {
        var path = Path.Combine(CliRunner.TestHome, "alerts.db");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(3))
        {
            if (File.Exists(path))
            {
                using var store = Vigil.Detection.AlertStore.Open(path, new Vigil.Detection.AlertStoreOptions { ReadOnly = true });
                if (store.List(new Vigil.Detection.AlertQuery()).Any(a => a.ContainerId == containerId))
                {
                    return true;
                }
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>Runs only where a container can be simulated (root, cgroups, util-linux); otherwise skipped with the reason.</summary>
    private sealed class ContainerFactAttribute : FactAttribute
    {
        public ContainerFactAttribute()
        {
            if (SimulatedContainer.Unavailable() is { } why)
            {
                Skip = why;
            }
        }
    }

    private sealed record SeenAlert(string? ContainerId, int Pid, string? RuleId, string? Executable, string[] Args);

    /// <summary>The `vigil watch --format ndjson` process with its output collected line by line.</summary>
    private sealed class WatchProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly BlockingCollection<SeenAlert> _alerts = [];
        private readonly List<SeenAlert> _history = [];
        private readonly System.Text.StringBuilder _stderr = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private WatchProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (string.IsNullOrWhiteSpace(e.Data))
                {
                    return;
                }
                var doc = JsonNode.Parse(e.Data)!.AsObject();
                _alerts.Add(new SeenAlert(
                    Text(doc, "container", "id"),
                    (int)(doc["process"]?["pid"]?.GetValue<long>() ?? -1),
                    doc["kibana.alert.rule.rule_id"]?.GetValue<string>(),
                    Text(doc, "process", "executable"),
                    doc["process"]?["args"]?.AsArray().Select(a => a!.GetValue<string>()).ToArray() ?? []));
            };
            process.ErrorDataReceived += (_, e) =>
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
                if (e.Data?.Contains("rules running", StringComparison.Ordinal) == true)
                {
                    _ready.TrySetResult();
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        private static string? Text(JsonObject doc, string a, string b) => doc[a]?[b]?.GetValue<string>();

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public static WatchProcess Start(params string[] extraArgs)
        {
            var vigil = Path.Combine(AppContext.BaseDirectory, "vigil.dll");
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // Never the user's own alert store.
            psi.Environment["VIGIL_HOME"] = CliRunner.TestHome;
            foreach (var arg in new[] { vigil, "watch", "--format", "ndjson" }.Concat(extraArgs))
            {
                psi.ArgumentList.Add(arg);
            }
            return new WatchProcess(Process.Start(psi)!);
        }

        public async Task WaitUntilReadyAsync(TimeSpan timeout)
        {
            var done = await Task.WhenAny(_ready.Task, Task.Delay(timeout));
            Assert.True(done == _ready.Task && !_process.HasExited, "vigil watch did not start:\n" + Stderr);
            // The sensor subscribes before announcing; give its receive thread a moment to settle.
            await Task.Delay(200);
        }

        public SeenAlert? WaitForAlert(Func<SeenAlert, bool> match, TimeSpan timeout)
        {
            lock (_history)
            {
                if (_history.FirstOrDefault(match) is { } earlier)
                {
                    return earlier;
                }
            }
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout)
            {
                if (_alerts.TryTake(out var alert, timeout - deadline.Elapsed))
                {
                    lock (_history)
                    {
                        _history.Add(alert);
                    }
                    if (match(alert))
                    {
                        return alert;
                    }
                }
            }
            return null;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _alerts.Dispose();
        }
    }
}
