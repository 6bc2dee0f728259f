using System.Text.Json.Nodes;
using Vigil.Sensor.Testing;

namespace Vigil.Cli.Tests;

public sealed class TriageCommandTests
{
    /// <summary>A Debian-like root: an image batch, then an interactive install of curl and socat.</summary>
    private static string DebianRoot(bool corrupt = false)
    {
        var root = CliRunner.TempDir();
        void Write(string path, string text)
        {
            var host = Path.Join(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(host)!);
            File.WriteAllText(host, text);
        }
        Write("var/lib/dpkg/status", """
            Package: bash
            Status: install ok installed
            Architecture: amd64
            Version: 5.2.15-2+b2

            Package: curl
            Status: install ok installed
            Architecture: amd64
            Version: 7.88.1-10+deb12u5

            Package: socat
            Status: install ok installed
            Architecture: amd64
            Version: 1.7.4.4-2

            """);
        Write("var/log/dpkg.log", "2024-01-10 09:00:03 install bash:amd64 <none> 5.2.15-2+b2\n"
            + (corrupt ? "2024-01-10 09:0\n" : string.Empty)
            + "2024-03-05 14:22:11 install curl:amd64 <none> 7.88.1-10+deb12u5\n2024-03-05 14:22:12 install socat:amd64 <none> 1.7.4.4-2\n");
        Write("var/log/apt/history.log", """

            Start-Date: 2024-03-05  14:22:10
            Commandline: apt-get install -y curl socat
            Requested-By: mallory (1001)
            Install: curl:amd64 (7.88.1-10+deb12u5), socat:amd64 (1.7.4.4-2)
            End-Date: 2024-03-05  14:22:13

            """);
        return root;
    }

    [Fact]
    public void Triage_Json_ListsWhatWasAddedWithTheCommand()
    {
        var r = CliRunner.Run("triage", DebianRoot(), "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var doc = JsonNode.Parse(r.Stdout)!.AsObject();
        var added = doc["added"]!["packages"]!.AsArray().Select(a => $"{a!["name"]} {a["flag"]} {a["command_line"]}").ToArray();
        Assert.Equal(["curl network-tool apt-get install -y curl socat", "socat network-tool apt-get install -y curl socat"], added);
        Assert.Equal(3, doc["packages"]!.AsArray().Count);
        Assert.Contains("vigil triage: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("2 added, 0 warnings", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Triage_Table_AndCorruptLine_WarnsWithFileAndLine_AndExitsOne()
    {
        var r = CliRunner.Run("triage", DebianRoot(corrupt: true), "--since", "2024-03-01");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/var/log/dpkg.log(2): warning: not a dpkg log line", r.Stderr, StringComparison.Ordinal);
        var lines = r.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("2024-03-05 14:22:11Z", StringComparison.Ordinal) && l.Contains("curl", StringComparison.Ordinal) && l.Contains("network-tool", StringComparison.Ordinal));
        // --since keeps the image's own install out of the timeline.
        Assert.DoesNotContain(lines, l => l.StartsWith("2024-01-10", StringComparison.Ordinal));
        Assert.Contains("TIMELINE (2 events)", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Triage_Baseline_DiffsAgainstTheImage()
    {
        var image = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Join(image, "var/lib/dpkg"));
        File.WriteAllText(Path.Join(image, "var/lib/dpkg/status"), "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n");
        var r = CliRunner.Run("triage", DebianRoot(), "--baseline", image, "--format", "json");
        Assert.Equal(0, r.ExitCode);
        var added = JsonNode.Parse(r.Stdout)!["added"]!;
        Assert.Equal("baseline", added["method"]!.GetValue<string>());
        Assert.Equal(["curl", "socat"], added["packages"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Triage_SinceOutOfRange_SaysSo()
    {
        var r = CliRunner.Run("triage", DebianRoot(), "--since", "99999999d");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("vigil triage: --since: '99999999d' is out of range", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Triage_SinceNowMinus_IsAcceptedAsByAlertsList()
    {
        var r = CliRunner.Run("triage", DebianRoot(), "--since", "now-1h", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        // Every event of the root is from 2024.
        Assert.Empty(JsonNode.Parse(r.Stdout)!["events"]!.AsArray());
        var all = CliRunner.Run("triage", DebianRoot(), "--since", "now-36500d", "--format", "json");
        Assert.Equal(3, JsonNode.Parse(all.Stdout)!["events"]!.AsArray().Count);
    }

    [Fact]
    public void Triage_WarningsQuotingTheRoot_HaveNoRawControlCharacters()
    {
        var root = DebianRoot();
        File.AppendAllText(Path.Join(root, "var/log/apt/history.log"), "Start-Date: \u001b[2J\u001b]0;pwned\u0007\nCommandline: apt-get install x\nEnd-Date: 2024-03-06  10:00:00\n\n");
        var r = CliRunner.Run("triage", root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/var/log/apt/history.log(", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("\\x1b[2J\\x1b]0;pwned\\x07", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(r.Stderr, c => char.IsControl(c) && c is not '\n' and not '\r');
    }

    [Theory]
    [InlineData(new string[] { "triage" }, 2)]
    [InlineData(new string[] { "triage", "/", "--container", "abc" }, 2)]
    [InlineData(new string[] { "triage", "/", "--since", "last tuesday" }, 2)]
    [InlineData(new string[] { "triage", "/", "--since", "99999999d" }, 2)]
    [InlineData(new string[] { "triage", "/", "--since", "now-99999999d" }, 2)]
    [InlineData(new string[] { "triage", "/", "--since", "9999999d" }, 2)]
    [InlineData(new string[] { "triage", "--container", "" }, 2)]
    [InlineData(new string[] { "triage", "/no/such/root" }, 1)]
    [InlineData(new string[] { "triage", "--container", "0123456789abcdef0123" }, 1)]
    public void Triage_BadInvocations_SayWhy(string[] args, int exit)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(exit, r.ExitCode);
        Assert.StartsWith("vigil triage: ", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [ContainerFact]
    public async Task Triage_Container_ReadsTheRootOfAProcessInIt()
    {
        var root = DebianRoot();
        await using var container = SimulatedContainer.Create();
        // perl (in every Debian-like base) chroots into the fixture and waits: its /proc/PID/root is then the fixture.
        using var p = container.Run("perl", ["-e", "chroot(shift) or die qq(chroot: $!\\n); chdir(q(/)); $| = 1; print qq(chrooted\\n); <STDIN>;", root], tty: false);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!p.Output.Contains("chrooted", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the container process did not start: {p.Output}");
            await Task.Delay(20);
        }
        int pid = await p.WaitForProcessAsync("perl", TimeSpan.FromSeconds(5));
        var r = CliRunner.Run("triage", "--container", container.Id[..16], "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"container {container.Id[..12]}, pid {pid}, root /proc/{pid}/root", r.Stderr, StringComparison.Ordinal);
        var doc = JsonNode.Parse(r.Stdout)!;
        Assert.Equal($"/proc/{pid}/root", doc["root"]!.GetValue<string>());
        Assert.Equal(["curl", "socat"], doc["added"]!["packages"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));

        // The same container seen through an alert: `alerts show --triage` follows the alert's container.id.
        var store = Path.Combine(CliRunner.TempDir(), "alerts.db");
        var events = Path.Combine(Path.GetDirectoryName(store)!, "events.ndjson");
        File.WriteAllText(events, AptGetCurlEvent().Replace("377d0992d21e0f3973baf9167f7a35718f63cf9940eb102fb8ef1d4ab6539065", container.Id, StringComparison.Ordinal) + "\n");
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", events + ".alerts", events).ExitCode);
        var uuid = JsonNode.Parse(File.ReadAllLines(events + ".alerts").Single())!["kibana.alert.uuid"]!.GetValue<string>();
        var shown = CliRunner.Run("alerts", "show", "--store", store, uuid, "--triage");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains("Package triage", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains($"container {container.Id[..12]}, pid {pid}", shown.Stderr, StringComparison.Ordinal);
        Assert.Contains("socat", shown.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertsShowTriage_ContainerGone_SaysSoAndExitsOne()
    {
        var dir = CliRunner.TempDir();
        var store = Path.Combine(dir, "alerts.db");
        var events = Path.Combine(dir, "events.ndjson");
        File.WriteAllText(events, AptGetCurlEvent() + "\n");
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", events + ".alerts", events).ExitCode);
        var uuid = JsonNode.Parse(File.ReadAllLines(events + ".alerts").Single())!["kibana.alert.uuid"]!.GetValue<string>();
        var r = CliRunner.Run("alerts", "show", "--store", store, uuid, "--triage");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("Alert " + uuid, r.Stdout, StringComparison.Ordinal);
        Assert.Contains("Package triage", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("vigil triage: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("377d0992d21e", r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The sample's last true positive (`apt-get install curl` in container 377d0992d21e…).</summary>
    private static string AptGetCurlEvent() =>
        File.ReadLines(Path.Combine(CliRunner.RepoRoot, "samples", "cloud_defend-process.ndjson")).Single(l => l.Contains("\"ev-0101\"", StringComparison.Ordinal));

    /// <summary>Runs only where a container can be simulated (root, cgroups, util-linux); otherwise skipped with the reason.</summary>
    private sealed class ContainerFactAttribute : FactAttribute
    {
        public ContainerFactAttribute()
        {
            if (SimulatedContainer.Unavailable() is { } why)
            {
                Skip = why;
            }
            else if (!File.Exists("/usr/bin/perl"))
            {
                Skip = "needs perl to chroot a process";
            }
        }
    }
}
