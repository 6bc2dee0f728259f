using System.Globalization;
using System.Text.Json.Nodes;

namespace Vigil.Cli.Tests;

public sealed class ReplayAndExceptionCommandTests
{
    private const string BuiltInRuleId = "527d23e6-8b67-4a8e-a6bd-5169b90ab2a8";

    private static string Sample => Path.Combine(CliRunner.RepoRoot, "samples", "cloud_defend-process.ndjson");

    private static string BuiltInRuleFile => Path.Combine(CliRunner.RepoRoot, "src", "Vigil.Rules", "BuiltIn", "execution_container_tool_installation.toml");

    private static List<JsonObject> ReadAlerts(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    private static string Id(JsonObject alert) => alert["kibana.alert.original_event.id"]!.GetValue<string>();

    /// <summary>host.name written nested or dotted (the sample has both).</summary>
    private static string HostName(JsonObject a) => (a["host"]?["name"] ?? a["host.name"])!.GetValue<string>();

    private static (CliRunner.Result Result, List<JsonObject> Alerts) Scan(params string[] args)
    {
        var outFile = Path.Combine(CliRunner.TempDir(), "alerts.ndjson");
        var r = CliRunner.Run(["scan", "--format", "ndjson", "--out", outFile, .. args]);
        return (r, File.Exists(outFile) ? ReadAlerts(outFile) : []);
    }

    [Fact]
    public void Replay_OverTheSample_FindsWhatStreamingFinds_OncePerEvent_AsScheduledExecutions()
    {
        var (streaming, streamed) = Scan(Sample);
        var (r, replayed) = Scan("--replay", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.NotEmpty(streamed);
        Assert.Equal(streamed.Select(Id).Order(StringComparer.Ordinal), replayed.Select(Id).Order(StringComparer.Ordinal));
        Assert.All(replayed, a => Assert.Equal("scheduled", a["kibana.alert.rule.execution.type"]!.GetValue<string>()));
        // Windows of 6 minutes every 5 minutes overlap, so some events are found twice and written once.
        Assert.Matches(@"duplicates dropped\); replay 2026-11-20T09:00:12\.140Z to .*: \d+ rule executions", r.Stderr);
        Assert.Equal(0, streaming.ExitCode);
    }

    [Fact]
    public void Replay_StartAndEnd_LimitTheExecutions()
    {
        var end = DateTimeOffset.Parse("2026-11-20T09:10:00Z", CultureInfo.InvariantCulture);
        var (all, alerts) = Scan(Sample);
        Assert.Equal(0, all.ExitCode);
        // The built-in rule selects by event.ingested (falling back to @timestamp); executions at 09:00, 09:05, 09:10 see [08:54, 09:10].
        var expected = alerts.Where(a => Time(a) <= end).Select(Id).ToList();
        Assert.NotEmpty(expected);
        Assert.NotEqual(alerts.Count, expected.Count);
        var (r, replayed) = Scan("--replay", "--start", "2026-11-20T09:00:00Z", "--end", "2026-11-20T09:10:00Z", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, replayed.Select(Id).ToList());
        Assert.Contains(": 3 rule executions", r.Stderr, StringComparison.Ordinal);
    }

    private static DateTimeOffset Time(JsonObject alert)
    {
        var ingested = alert["kibana.alert.original_event.ingested"]?.GetValue<string>() ?? alert["kibana.alert.original_time"]!.GetValue<string>();
        return DateTimeOffset.Parse(ingested, CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("--start", "yesterday", "--start 'yesterday' is neither an ISO 8601 time")]
    [InlineData("--gap", "2026-11-20T09:00:00Z", "must be FROM..TO")]
    [InlineData("--gap", "2026-11-20T09:10:00Z..2026-11-20T09:00:00Z", "ends before it starts")]
    public void Replay_BadTimes_AreUsageErrors(string option, string value, string message)
    {
        var r = CliRunner.Run("scan", "--replay", option, value, Sample);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--end", "2026-11-19T00:00:00Z", "is before the start 2026-11-20T09:00:12.140Z (the earliest event time)")]
    [InlineData("--end", "now-1000y", "--end 'now-1000y' is out of range")]
    [InlineData("--start", "0001-01-01", "--start '0001-01-01' is out of range")]
    [InlineData("--start", "now-1000000d", "--start 'now-1000000d' is out of range")]
    [InlineData("--end", "2026-11-20T09:00:00Z||+10000000000d", "--end '2026-11-20T09:00:00Z||+10000000000d' is out of range")]
    public void Replay_EndBeforeTheDefaultStart_AndTimesOutOfRange_AreUsageErrors(string option, string value, string message)
    {
        var r = CliRunner.Run("scan", "--no-store", "--format", "ndjson", "--replay", option, value, Sample);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("is not date math", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("rule executions", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_StartAfterEveryEvent_WarnsThatNoEventIsSearched()
    {
        var (r, alerts) = Scan("--no-store", "--replay", "--start", "2026-11-21T00:00:00Z", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(alerts);
        Assert.Contains("warning: no events between start and end (events span 2026-11-20T09:00:12.140Z to 2026-11-20T09:", r.Stderr, StringComparison.Ordinal);
        var (inside, _) = Scan("--no-store", "--replay", Sample);
        Assert.DoesNotContain("no events between", inside.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayOptions_WithoutReplay_AreUsageErrors()
    {
        var r = CliRunner.Run("scan", "--start", "now-1d", Sample);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("need --replay", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_AcceptsDateMath_AndAGapWithCatchUp()
    {
        // A gap over the whole sample after the first execution: the execution after it catches up 4 intervals and warns
        // about the time it could not cover.
        var (r, alerts) = Scan("--replay", "--start", "2026-11-20T09:00:00Z||+0m", "--end", "2026-11-20T09:45:00Z",
            "--gap", "2026-11-20T09:01:00Z..2026-11-20T09:45:00Z", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("were not queried between this rule execution and the last execution", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(": 2 rule executions", r.Stderr, StringComparison.Ordinal);
        // Catch-up reaches back to 09:45 - 6m - 4 x 5m = 09:19; events ingested before that (and after 09:00) are lost.
        Assert.All(alerts, a => Assert.True(Time(a) >= DateTimeOffset.Parse("2026-11-20T09:19:00Z", CultureInfo.InvariantCulture) || Time(a) <= DateTimeOffset.Parse("2026-11-20T09:00:00Z", CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Replay_MaxSignalsReached_WarnsPerExecutionAndInTheSummary()
    {
        var dir = CliRunner.TempDir();
        var rule = File.ReadAllText(BuiltInRuleFile).Replace("[rule]", "[rule]\nmax_signals = 1", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "rule.toml"), rule);
        var (r, alerts) = Scan("--replay", "--rules", dir, Sample);
        Assert.Equal(0, r.ExitCode);
        var warnings = r.Stderr.Split('\n').Where(l => l.Contains("This rule reached the maximum alert limit for the rule execution. Some alerts were not created.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(warnings);
        Assert.All(warnings, w => Assert.StartsWith($"warning: rule 'Tool Installation Detected via Defend for Containers' ({BuiltInRuleId}) execution at 2026-11-20T", w, StringComparison.Ordinal));
        Assert.Contains($"max_signals reached in {warnings.Count}", r.Stderr, StringComparison.Ordinal);
        var executions = alerts.Select(a => a["kibana.alert.rule.execution.uuid"]!.GetValue<string>()).ToList();
        Assert.Equal(executions.Distinct().Count(), executions.Count); // at most one alert per execution
    }

    private static string HostException(string? ruleId = BuiltInRuleId) => $$"""
        {"list_id":"build-hosts","name":"Build hosts","type":"detection","namespace_type":"single","rule_ids":["{{ruleId}}"]}
        {"item_id":"build-runner","list_id":"build-hosts","name":"Image builds on build-runner-1","type":"simple","entries":[{"field":"host.name","operator":"included","type":"match","value":"build-runner-1"}]}
        """;

    [Fact]
    public void Exceptions_FromKibanaNdjson_RemoveTheirAlerts_AndAreCountedPerRule()
    {
        var (_, all) = Scan(Sample);
        var kept = all.Where(a => HostName(a) != "build-runner-1").Select(Id).ToList();
        var excepted = all.Count - kept.Count;
        Assert.True(excepted > 0 && kept.Count > 0);
        var file = Path.Combine(CliRunner.TempDir(), "exceptions.ndjson");
        File.WriteAllText(file, HostException());
        var (r, alerts) = Scan("--exceptions", file, Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(kept, alerts.Select(Id).ToList());
        Assert.Contains($"excepted events: {excepted}", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"exceptions: rule 'Tool Installation Detected via Defend for Containers' ({BuiltInRuleId}): {excepted} events excepted", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("exceptions: 1 items from 1 files, applied to 1 rules", r.Stderr, StringComparison.Ordinal);

        // The same with --replay.
        var (replay, replayed) = Scan("--replay", "--exceptions", file, Sample);
        Assert.Equal(0, replay.ExitCode);
        Assert.Equal(kept.Order(StringComparer.Ordinal), replayed.Select(Id).Order(StringComparer.Ordinal));
        Assert.Contains($"{excepted} events excepted", replay.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Exceptions_FromDetectionRulesToml()
    {
        var file = Path.Combine(CliRunner.TempDir(), "build_hosts_exceptions.toml");
        File.WriteAllText(file, $$"""
            [metadata]
            creation_date = "2026/11/20"
            list_name = "Build hosts"
            rule_ids = ["{{BuiltInRuleId}}"]
            rule_names = ["Tool Installation Detected via Defend for Containers"]
            updated_date = "2026/11/20"

            [[exceptions]]
            [exceptions.container]
            description = "Image builds"
            list_id = "build-hosts"
            name = "Build hosts"
            namespace_type = "single"
            type = "detection"

            [[exceptions.items]]
            description = "Image builds on the build runner"
            name = "build-runner"
            type = "simple"

            [[exceptions.items.entries]]
            field = "host.name"
            operator = "included"
            type = "wildcard"
            value = "build-runner-*"
            """);
        var (r, alerts) = Scan("--exceptions", file, Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.NotEmpty(alerts);
        Assert.DoesNotContain(alerts, a => HostName(a).StartsWith("build-runner-", StringComparison.Ordinal));
        Assert.Contains("events excepted", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Exceptions_BadFile_IsReportedWithPosition_AndTheScanExitsWithErrors()
    {
        var file = Path.Combine(CliRunner.TempDir(), "bad.ndjson");
        File.WriteAllText(file, """
            {"list_id":"l","name":"n","rule_ids":["*"],"entries":[
              {"field":"host.name","operator":"is","type":"match","value":"x"}]}
            """);
        var (r, alerts) = Scan("--exceptions", file, Sample);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{file}(2,35): error EXC012: unknown operator \"is\"; expected \"included\" or \"excluded\"", r.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(alerts);
    }

    [Fact]
    public void Exceptions_FolderBesideRules_IsLoaded_AndUnknownRuleIdsWarn()
    {
        var root = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "rules"));
        Directory.CreateDirectory(Path.Combine(root, "exceptions"));
        File.Copy(BuiltInRuleFile, Path.Combine(root, "rules", "tool_installation.toml"));
        File.WriteAllText(Path.Combine(root, "exceptions", "build_hosts.ndjson"), HostException());
        File.WriteAllText(Path.Combine(root, "exceptions", "other.json"), HostException("99999999-0000-4000-8000-000000000000").Replace("build-hosts", "other", StringComparison.Ordinal));
        var (r, alerts) = Scan("--rules", Path.Combine(root, "rules") + "/", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"loading exceptions from {Path.Combine(root, "exceptions")}", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(alerts, a => HostName(a) == "build-runner-1");
        Assert.Contains("warning EXC020: rule_ids names '99999999-0000-4000-8000-000000000000', which is not a loaded rule", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("warning EXC021: exception item 'Image builds on build-runner-1' (build-runner) applies to no loaded rule", r.Stderr, StringComparison.Ordinal);
    }
}
