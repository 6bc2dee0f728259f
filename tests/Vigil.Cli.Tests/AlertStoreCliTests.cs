using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Vigil.Cli.Tests;

/// <summary>`vigil scan` into the alert store, `vigil alerts ...`, the bulk format, and a writer killed mid-scan.</summary>
public sealed partial class AlertStoreCliTests
{
    private static string Sample => Path.Combine(CliRunner.RepoRoot, "samples", "cloud_defend-process.ndjson");

    private static string NewStore() => Path.Combine(CliRunner.TempDir(), "alerts.db");

    private static string[] Ndjson(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Scan_SameInputTwice_SecondScanAddsNothing()
    {
        var store = NewStore();
        var first = CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", Path.Combine(Path.GetDirectoryName(store)!, "a.ndjson"), Sample);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains($"alerts: 13; store: 13 new, 0 already stored ({store})", first.Stderr, StringComparison.Ordinal);
        var second = CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", Path.Combine(Path.GetDirectoryName(store)!, "b.ndjson"), Sample);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("store: 0 new, 13 already stored", second.Stderr, StringComparison.Ordinal);
        var list = CliRunner.Run("alerts", "list", "--store", store, "--format", "ndjson");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(13, Ndjson(list.Stdout).Length);
    }

    [Fact]
    public void Scan_NoStore_WritesNoStore_AndDefaultStoreIsUnderVigilHome()
    {
        var dir = CliRunner.TempDir();
        var r = CliRunner.Run("scan", "--no-store", "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("store:", r.Stderr, StringComparison.Ordinal);
        var d = CliRunner.Run("scan", "--format", "ndjson", "--out", Path.Combine(dir, "b.ndjson"), Sample);
        Assert.Equal(0, d.ExitCode);
        Assert.Contains($"({Path.Combine(CliRunner.TestHome, "alerts.db")})", d.Stderr, StringComparison.Ordinal);
        var both = CliRunner.Run("scan", "--no-store", "--store", Path.Combine(dir, "x.db"), Sample);
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--store and --no-store contradict each other", both.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "x.db")));
    }

    [Fact]
    public void Scan_StoreThatIsNotADatabase_IsAClearError()
    {
        var dir = CliRunner.TempDir();
        var bogus = Path.Combine(dir, "notes.txt");
        File.WriteAllText(bogus, new string('x', 5000));
        var r = CliRunner.Run("scan", "--store", bogus, "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), Sample);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"vigil: cannot open the alert store {bogus}: not a SQLite database", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(new string('x', 5000), File.ReadAllText(bogus));
    }

    [Fact]
    public void AlertsShow_SeedRuleAlert_ShowsGuideMitreFalsePositivesAndAncestry()
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var alerts = Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--format", "ndjson").Stdout).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var alert = alerts.First(a => a["process"]?["name"]?.GetValue<string>() == "apt-get");
        var uuid = alert["kibana.alert.uuid"]!.GetValue<string>();
        var r = CliRunner.Run("alerts", "show", "--store", store, uuid[..12]);
        Assert.Equal(0, r.ExitCode);
        var o = r.Stdout;
        Assert.StartsWith("Alert " + uuid, o, StringComparison.Ordinal);
        Assert.Contains("Tool Installation Detected via Defend for Containers (527d23e6-8b67-4a8e-a6bd-5169b90ab2a8)", o, StringComparison.Ordinal);
        Assert.Contains("low (risk score 21)", o, StringComparison.Ordinal);
        Assert.Matches(@"technique  T1072 Software Deployment Tools  https://attack\.mitre\.org/techniques/T1072/", o);
        Assert.Matches(@"tactic     TA0002 Execution  https://attack\.mitre\.org/tactics/TA0002/", o);
        // Investigation guide rendered: headings underlined, list items as bullets, no Markdown '#' left.
        Assert.Contains("Investigation guide", o, StringComparison.Ordinal);
        Assert.Contains("  Possible investigation steps\n  ----------------------------", o, StringComparison.Ordinal);
        Assert.Contains("  - Identify the workload:", o, StringComparison.Ordinal);
        Assert.DoesNotContain("## ", o, StringComparison.Ordinal);
        Assert.Contains("False positives", o, StringComparison.Ordinal);
        Assert.Contains("An engineer debugging a live container", o, StringComparison.Ordinal);
        // Ancestry from the event's own fields, down to the entry leader and how the session entered the container.
        var process = alert["process"]!.AsObject();
        Assert.Matches($@"process\s+pid {process["pid"]}  apt-get  {Regex.Escape(string.Join(' ', process["args"]!.AsArray().Select(a => a!.GetValue<string>())))}", o);
        Assert.Matches($@"parent\s+pid {process["parent"]!["pid"]}  {process["parent"]!["name"]}", o);
        Assert.Matches($@"session leader\s*pid {process["session_leader"]!["pid"]}", o);
        Assert.Matches($@"entry leader\s+pid {process["entry_leader"]!["pid"]}  .*\[entry_meta\.type: {process["entry_leader"]!["entry_meta"]!["type"]}\]", o);
    }

    [Fact]
    public void AlertsShow_UnknownUuid_ExitsOne()
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var r = CliRunner.Run("alerts", "show", "--store", store, "feedface");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"vigil: no alert with uuid 'feedface' in {store}", r.Stderr, StringComparison.Ordinal);
        var missing = CliRunner.Run("alerts", "show", "--store", store + ".missing", "abc");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no alert store here", missing.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(store + ".missing"));
    }

    [Fact]
    public void AlertsSetStatus_UpdatesStatusAndDocument_UnknownUuidChangesNothing()
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var uuids = Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--format", "ndjson").Stdout)
            .Select(l => JsonNode.Parse(l)!["kibana.alert.uuid"]!.GetValue<string>()).ToList();
        var r = CliRunner.Run("alerts", "set-status", "--store", store, uuids[0], uuids[1][..16], "closed");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"{uuids[0]}: open -> closed\n{uuids[1]}: open -> closed\n", r.Stdout.Replace("\r", "", StringComparison.Ordinal));
        var closed = Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--status", "closed", "--format", "ndjson").Stdout)
            .Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(uuids.Take(2).Order(), closed.Select(d => d["kibana.alert.uuid"]!.GetValue<string>()).Order());
        Assert.All(closed, d => Assert.Equal("closed", d["kibana.alert.workflow_status"]!.GetValue<string>()));
        Assert.Equal(11, Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--status", "open", "--format", "ndjson").Stdout).Length);

        var bad = CliRunner.Run("alerts", "set-status", "--store", store, uuids[2], "0000dead", "acknowledged");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("no alert with uuid '0000dead'; nothing was changed", bad.Stderr, StringComparison.Ordinal);
        Assert.Empty(Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--status", "acknowledged", "--format", "ndjson").Stdout));

        var usage = CliRunner.Run("alerts", "set-status", "--store", store, uuids[2], "resolved");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("must be open, acknowledged or closed", usage.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertsList_Filters_AndTable()
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        int Count(params string[] args) => Ndjson(CliRunner.Run(["alerts", "list", "--store", store, "--format", "ndjson", .. args]).Stdout).Length;
        Assert.Equal(13, Count());
        Assert.Equal(13, Count("--rule", "527d23e6-8b67-4a8e-a6bd-5169b90ab2a8"));
        Assert.Equal(0, Count("--rule", "no-such-rule"));
        Assert.Equal(13, Count("--severity", "low"));
        Assert.Equal(0, Count("--severity", "high"));
        Assert.Equal(13, Count("--since", "1h"));
        Assert.Equal(13, Count("--since", "now-7d"));
        Assert.Equal(0, Count("--since", DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(5, Count("--limit", "5"));
        var bad = CliRunner.Run("alerts", "list", "--store", store, "--since", "last tuesday");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--since: cannot read 'last tuesday' as a time", bad.Stderr, StringComparison.Ordinal);

        var table = CliRunner.Run("alerts", "list", "--store", store, "--format", "table", "--limit", "3");
        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("UUID", lines[0], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
        Assert.Contains("more match", lines[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99999999d")]
    [InlineData("now-99999999d")]
    [InlineData("9999999d")]
    public void AlertsList_SinceOutOfRange_IsAUsageError(string since)
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var r = CliRunner.Run("alerts", "list", "--store", store, "--since", since);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"vigil: --since: '{since}' is out of range", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    private static void CorruptDocument(string store, string uuid, string json)
    {
        using var c = new SqliteConnection($"Data Source={store};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE alerts SET document = $d WHERE uuid = $u";
        cmd.Parameters.AddWithValue("$d", json);
        cmd.Parameters.AddWithValue("$u", uuid);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    public void Alerts_CorruptStoredDocument_IsNamedByUuid_AndExitsOne(string json)
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var uuids = Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--format", "ndjson").Stdout)
            .Select(l => JsonNode.Parse(l)!["kibana.alert.uuid"]!.GetValue<string>()).ToList();
        CorruptDocument(store, uuids[0], json);
        var message = $"vigil: alert {uuids[0]}: stored document is not a JSON object: ";

        var show = CliRunner.Run("alerts", "show", "--store", store, uuids[0]);
        Assert.Equal(1, show.ExitCode);
        Assert.Contains(message, show.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("alerts", "show", "--store", store, uuids[1]).ExitCode);

        var list = CliRunner.Run("alerts", "list", "--store", store, "--format", "ndjson");
        Assert.Equal(1, list.ExitCode);
        Assert.Contains(message, list.Stderr, StringComparison.Ordinal);
        var lines = Ndjson(list.Stdout);
        Assert.Equal(12, lines.Length);
        Assert.All(lines, l => Assert.IsType<JsonObject>(JsonNode.Parse(l)));
        var table = CliRunner.Run("alerts", "list", "--store", store, "--format", "table");
        Assert.Equal(1, table.ExitCode);
        Assert.Contains(message, table.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(uuids[0][..12], table.Stdout, StringComparison.Ordinal);

        var set = CliRunner.Run("alerts", "set-status", "--store", store, uuids[1], uuids[0], "closed");
        Assert.Equal(1, set.ExitCode);
        Assert.Contains($"alert {uuids[0]}: stored document is not a JSON object: ", set.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", set.Stderr, StringComparison.Ordinal);
        Assert.Empty(Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--status", "closed", "--format", "ndjson").Stdout));
    }

    [Fact]
    public void AlertsShow_SequenceShell_EventTimeIsTheSequencesNotTheDetection()
    {
        var dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "seq.toml"), """
            [metadata]
            creation_date = "2026/12/03"
            updated_date = "2026/12/03"
            maturity = "production"

            [rule]
            author = ["Vigil tests"]
            description = "A shell forks and the child execs a package manager."
            from = "now-6m"
            index = ["logs-cloud_defend.process*"]
            language = "eql"
            name = "Fork Then Package Manager"
            risk_score = 73
            rule_id = "00000000-0000-4000-8000-00000000beef"
            severity = "high"
            type = "eql"
            query = '''
            sequence by process.entity_id with maxspan=30s
              [process where event.action == "fork"]
              [process where event.action == "exec" and process.name in ("apt-get", "apt", "apk", "dnf", "yum")]
            '''
            """);
        var store = Path.Combine(dir, "alerts.db");
        Assert.Equal(0, CliRunner.Run("scan", "--rules", dir, "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var shells = Ndjson(CliRunner.Run("alerts", "list", "--store", store, "--format", "ndjson").Stdout)
            .Select(l => JsonNode.Parse(l)!.AsObject()).Where(d => d.ContainsKey("kibana.alert.group.id")).ToList();
        Assert.NotEmpty(shells);
        var show = CliRunner.Run("alerts", "show", "--store", store, shells[0]["kibana.alert.uuid"]!.GetValue<string>());
        Assert.Equal(0, show.ExitCode);
        Assert.Matches(@"\n  Event time   2026-11-20T\d\d:\d\d:\d\d\.\d{3}Z\n", show.Stdout);
        var table = CliRunner.Run("alerts", "list", "--store", store, "--format", "table").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(table.Skip(1), l => Assert.Contains("  2026-11-20T", l, StringComparison.Ordinal));
    }

    [Fact]
    public void Alerts_EmptyUuid_IsAUsageError()
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var show = CliRunner.Run("alerts", "show", "--store", store, "");
        Assert.Equal(2, show.ExitCode);
        Assert.Contains("vigil: the alert uuid is empty", show.Stderr, StringComparison.Ordinal);
        var set = CliRunner.Run("alerts", "set-status", "--store", store, " ", "closed");
        Assert.Equal(2, set.ExitCode);
        Assert.Contains("vigil: the alert uuid is empty", set.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertsList_LimitThatIsNotANumber_SaysSoPlainly()
    {
        var r = CliRunner.Run("alerts", "list", "--store", NewStore(), "--limit", "abc");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("vigil: --limit: 'abc' is not a whole number", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Alerts_StatusSeverityAndFormat_AcceptAnyCase()
    {
        var store = NewStore();
        Assert.Equal(0, CliRunner.Run("scan", "--store", store, "--format", "ndjson", "--out", store + ".ndjson", Sample).ExitCode);
        var r = CliRunner.Run("alerts", "list", "--store", store, "--status", "OPEN", "--severity", "Low", "--format", "NDJSON");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(13, Ndjson(r.Stdout).Length);
        var table = CliRunner.Run("alerts", "list", "--store", store, "--format", "Table", "--limit", "1");
        Assert.Equal(0, table.ExitCode);
        Assert.StartsWith("UUID", table.Stdout, StringComparison.Ordinal);
        var bad = CliRunner.Run("alerts", "list", "--store", store, "--status", "resolved");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("vigil: --status: 'resolved' is not one of open, acknowledged, closed", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertsSetStatus_Help_SaysTheStoreIsUpdated()
    {
        var r = CliRunner.Run("alerts", "set-status", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Alert store to update", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Alert store to read", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertsList_Table_HasNoControlCharactersFromTheDocument()
    {
        var store = NewStore();
        using (var s = Vigil.Detection.AlertStore.Open(store))
        {
            s.Add(new JsonObject
            {
                ["@timestamp"] = "2026-12-01T00:00:00.000Z",
                ["host"] = new JsonObject { ["name"] = "node\u001b[2J" },
                ["container"] = new JsonObject { ["id"] = "\u001b]0;x\u0007abc" },
                ["kibana.alert.uuid"] = "feed\u001b[8mface",
                ["kibana.alert.rule.rule_id"] = "r",
                ["kibana.alert.rule.name"] = "Rule\u009b31m",
                ["kibana.alert.severity"] = "low\u001b[5m",
                ["kibana.alert.workflow_status"] = "open",
                ["kibana.alert.original_time"] = "not a time\u001b[2J",
            });
        }
        var r = CliRunner.Run("alerts", "list", "--store", store, "--format", "table");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("feed", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(r.Stdout, c => char.IsControl(c) && c is not '\n' and not '\r');
        var show = CliRunner.Run("alerts", "show", "--store", store, "feed");
        Assert.Equal(0, show.ExitCode);
        Assert.DoesNotContain(show.Stdout, c => char.IsControl(c) && c is not '\n' and not '\r');
    }

    [Fact]
    public void ScanBulkFormat_PairsCreateActionsWithAlertDocuments()
    {
        var dir = CliRunner.TempDir();
        var bulk = Path.Combine(dir, "alerts.bulk");
        var r = CliRunner.Run("scan", "--no-store", "--format", "bulk", "--out", bulk, Sample);
        Assert.Equal(0, r.ExitCode);
        var text = File.ReadAllText(bulk);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text[..^1].Split('\n');
        Assert.Equal(26, lines.Length);
        var ids = new HashSet<string>();
        for (var i = 0; i < lines.Length; i += 2)
        {
            var create = JsonNode.Parse(lines[i])!["create"]!.AsObject();
            Assert.Equal(2, create.Count);
            Assert.Equal(".alerts-security.alerts-default", create["_index"]!.GetValue<string>());
            var doc = JsonNode.Parse(lines[i + 1])!.AsObject();
            Assert.Equal(create["_id"]!.GetValue<string>(), doc["kibana.alert.uuid"]!.GetValue<string>());
            Assert.Equal("signal", doc["event.kind"]!.GetValue<string>());
            Assert.True(ids.Add(create["_id"]!.GetValue<string>()));
        }
    }

    [GeneratedRegex(@"^vigil: store committed (\d+) new, (\d+) already stored:(.*)$")]
    private static partial Regex CommitLine();

    /// <summary>
    /// A scan reading an endless stdin is killed with SIGKILL while it writes: the file must pass SQLite's integrity check
    /// and hold every alert the scan reported as committed.
    /// </summary>
    [Fact]
    public async Task Scan_KilledWhileWriting_KeepsEveryCommittedAlert_AndAConsistentFile()
    {
        var dir = CliRunner.TempDir();
        var store = Path.Combine(dir, "alerts.db");
        var alerting = File.ReadAllLines(Sample).Where(l => l.Contains("\"interactive\":true", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(alerting);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "vigil.dll"), "scan", "--store", store, "--store-batch", "7", "--store-trace", "--format", "ndjson", "-" })
        {
            psi.ArgumentList.Add(arg);
        }
        using var p = Process.Start(psi)!;
        var committed = new List<string>();
        // Per commit line: the count it states and the ids it lists (checked after the kill: the last line may be cut).
        var lines = new List<(int Stated, int Listed)>();
        var commits = 0;
        var enough = new TaskCompletionSource();
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (committed)
            {
                stderr.AppendLine(e.Data);
                if (CommitLine().Match(e.Data) is { Success: true } m)
                {
                    var ids = m.Groups[3].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    committed.AddRange(ids);
                    // No assertion here: one thrown on the reader's thread would take the test host down.
                    lines.Add((int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), ids.Length));
                    if (++commits >= 20)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        // Every copy of an alerting event gets a new event id, so every line is a new alert; stdin never ends by itself.
        using var stop = new CancellationTokenSource();
        var feeder = Task.Run(async () =>
        {
            try
            {
                for (var copy = 0; !stop.IsCancellationRequested; copy++)
                {
                    foreach (var line in alerting)
                    {
                        await p.StandardInput.WriteLineAsync(Regex.Replace(line, "\"id\":\"(ev-\\d+)\"", $"\"id\":\"$1-{copy}\""));
                    }
                    await p.StandardInput.FlushAsync();
                }
            }
            catch (IOException)
            {
                // The process was killed.
            }
        });
        var done = await Task.WhenAny(enough.Task, p.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120)));
        Assert.True(done == enough.Task, "the scan did not commit 20 batches:\n" + stderr);
        Assert.False(p.HasExited, "the scan ended before it was killed:\n" + stderr);
        p.Kill(); // SIGKILL on Linux: no finally blocks, no disposal, no last commit.
        // Also waits for the end of the redirected streams, so every line the scan printed has been read.
        await p.WaitForExitAsync();
        stop.Cancel();
        await feeder;
        Assert.Equal(137, p.ExitCode);

        List<string> reported;
        lock (committed)
        {
            reported = committed.ToList();
            // Every commit line lists the ids it counts, except that the kill may cut the last one short (a long line
            // reaches the pipe in more than one write); the ids it does list were committed all the same.
            Assert.All(lines.SkipLast(1), l => Assert.Equal(l.Stated, l.Listed));
            Assert.InRange(lines[^1].Listed, 0, lines[^1].Stated);
        }
        // A batch commits at 7 alerts or once its first alert has waited 250 ms (the input arrives in blocks), so a commit
        // may hold fewer than 7; each commit line was checked above to list as many ids as it counts.
        Assert.True(reported.Count >= 20, $"{reported.Count} alerts reported in {commits} commits");
        using var c = new SqliteConnection($"Data Source={store};Pooling=False");
        c.Open();
        using (var check = c.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", (string)check.ExecuteScalar()!);
        }
        var stored = new HashSet<string>();
        using (var all = c.CreateCommand())
        {
            all.CommandText = "SELECT uuid FROM alerts";
            using var reader = all.ExecuteReader();
            while (reader.Read())
            {
                stored.Add(reader.GetString(0));
            }
        }
        Assert.All(reported, id => Assert.Contains(id, stored));
        // What is stored is what was reported, plus at most the one batch the kill caught between its commit and its line.
        Assert.InRange(stored.Count - reported.Count, 0, 7);
    }
}
