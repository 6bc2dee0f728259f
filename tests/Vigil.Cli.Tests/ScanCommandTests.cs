using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Vigil.Cli.Tests;

public sealed partial class ScanCommandTests
{
    private static string Sample => Path.Combine(CliRunner.RepoRoot, "samples", "cloud_defend-process.ndjson");

    /// <summary>The alerts samples/README.md promises, read from its "Expected alerts" line.</summary>
    private static string[] ExpectedSampleAlerts()
    {
        var readme = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "samples", "README.md"));
        var line = readme.Split('\n').First(l => l.Contains("Expected alerts", StringComparison.Ordinal));
        return EventId().Matches(line).Select(m => m.Value).ToArray();
    }

    [GeneratedRegex(@"ev-\d{4}")]
    private static partial Regex EventId();

    private static List<JsonObject> ReadAlerts(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void Scan_SampleData_ReportsExactlyTheDocumentedAlerts()
    {
        var outFile = Path.Combine(CliRunner.TempDir(), "alerts.ndjson");
        var r = CliRunner.Run("scan", "--format", "ndjson", "--out", outFile, Sample);
        Assert.Equal(0, r.ExitCode);
        var ids = ReadAlerts(outFile).Select(a => a["kibana.alert.original_event.id"]!.GetValue<string>()).ToArray();
        var expected = ExpectedSampleAlerts();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ids);
        Assert.Matches($@"events read: {File.ReadAllLines(Sample).Length} \(\d+ ruled out by the literal prefilter without parsing\), bad lines: 0, rules run: 1, alerts: {expected.Length}", r.Stderr);
    }

    [Fact]
    public void Scan_ProgressLines_ReportEachInputsEnd_AndOffOrAutoWhenRedirectedShowNone()
    {
        var dir = CliRunner.TempDir();
        var lines = File.ReadAllLines(Sample).Length;
        var size = new FileInfo(Sample).Length / 1e6;
        var shown = CliRunner.Run("scan", "--no-store", "--progress", "lines", "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), Sample);
        Assert.Equal(0, shown.ExitCode);
        var expected = ExpectedSampleAlerts().Length;
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, "scanned {0}: {1:F1} / {1:F1} MB (100 %), {2:N0} events, {3:N0} alerts", Sample, size, lines, expected), shown.Stderr, StringComparison.Ordinal);
        // The progress comes before the summary.
        Assert.True(shown.Stderr.IndexOf("scanned ", StringComparison.Ordinal) < shown.Stderr.IndexOf("events read:", StringComparison.Ordinal));
        foreach (var mode in new[] { "off", "auto" })
        {
            var quiet = CliRunner.Run("scan", "--no-store", "--progress", mode, "--format", "ndjson", "--out", Path.Combine(dir, mode + ".ndjson"), Sample);
            Assert.Equal(0, quiet.ExitCode);
            Assert.DoesNotContain("scann", quiet.Stderr, StringComparison.Ordinal);
        }
        var bad = CliRunner.Run("scan", "--no-store", "--progress", "sometimes", Sample);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("sometimes", bad.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("symbolic")]
    [InlineData("hard")]
    public void Scan_OutThroughALinkToAnInput_IsRefused_AndTheInputKept(string link)
    {
        var dir = CliRunner.TempDir();
        var input = Path.Combine(dir, "events.ndjson");
        File.Copy(Sample, input);
        var alias = Path.Combine(dir, "alias.ndjson");
        if (link == "symbolic")
        {
            File.CreateSymbolicLink(alias, input);
        }
        else
        {
            using var ln = System.Diagnostics.Process.Start("ln", [input, alias])!;
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }
        var r = CliRunner.Run("scan", "--no-store", "--format", "ndjson", "--out", alias, input);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is also an input", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Sample), File.ReadAllBytes(input));
    }

    [Fact]
    public void Scan_TempDir_MustExist_AndIsUsed()
    {
        var dir = CliRunner.TempDir();
        var missing = CliRunner.Run("scan", "--no-store", "--temp-dir", Path.Combine(dir, "nope"), Sample);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--temp-dir", missing.Stderr, StringComparison.Ordinal);
        var ok = CliRunner.Run("scan", "--no-store", "--temp-dir", dir, "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), Sample);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal(ExpectedSampleAlerts().Length, ReadAlerts(Path.Combine(dir, "a.ndjson")).Count);
    }

    [Fact]
    public void Scan_ProgressOfALinkedInput_UsesTheFilesSize_AndUnreadableInputsGetNoProgressLine()
    {
        var dir = CliRunner.TempDir();
        var link = Path.Combine(dir, "container.log");
        File.CreateSymbolicLink(link, Sample);
        var missing = Path.Combine(dir, "missing.ndjson");
        var r = CliRunner.Run("scan", "--no-store", "--progress", "lines", "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), link, missing);
        var size = new FileInfo(Sample).Length / 1e6;
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, "scanned {0}: {1:F1} / {1:F1} MB (100 %)", link, size), r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("scanned " + missing, r.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot open input", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_StdinTwice_WithSequenceRulesOfTwoOrderings_ReadsItOnce_AndNamesItDash()
    {
        var dir = CliRunner.TempDir();
        var rules = Directory.CreateDirectory(Path.Combine(dir, "rules")).FullName;
        // Two orderings (one with a tiebreaker): stdin is copied to a temporary file and read once per ordering.
        const string Toml = """
            [metadata]
            creation_date = "2026/12/04"
            updated_date = "2026/12/04"
            maturity = "production"

            [rule]
            author = ["Vigil tests"]
            description = "Fork then exec."
            from = "now-6m"
            index = ["logs-cloud_defend.process*"]
            language = "eql"
            name = "Fork Then Exec {0}"
            risk_score = 21
            rule_id = "{1}"
            severity = "low"
            type = "eql"
            {2}
            query = '''
            sequence by process.entity_id with maxspan=30s
              [process where event.action == "fork"]
              [process where event.action == "exec"]
            '''
            """;
        File.WriteAllText(Path.Combine(rules, "a.toml"), string.Format(System.Globalization.CultureInfo.InvariantCulture, Toml, "A", "aaaaaaaa-0000-4000-8000-000000000001", string.Empty));
        File.WriteAllText(Path.Combine(rules, "b.toml"), string.Format(System.Globalization.CultureInfo.InvariantCulture, Toml, "B", "bbbbbbbb-0000-4000-8000-000000000002", "tiebreaker_field = \"event.id\""));
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "vigil.dll"), "scan", "--no-store", "--rules", rules, "--format", "ndjson", "--progress", "lines", "-", "-" })
        {
            psi.ArgumentList.Add(arg);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var lines = File.ReadAllLines(Sample);
        foreach (var line in lines)
        {
            await p.StandardInput.WriteLineAsync(line);
        }
        await p.StandardInput.WriteLineAsync("{not json");
        p.StandardInput.Close();
        await p.WaitForExitAsync();
        var errors = await stderr;
        await stdout;
        Assert.Equal(1, p.ExitCode);
        Assert.Contains($"events read: {lines.Length}, bad lines: 1,", errors, StringComparison.Ordinal);
        Assert.Contains($"-({lines.Length + 1},", errors, StringComparison.Ordinal);
        Assert.Contains("scanned -: ", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("vigil-stdin-", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_MalformedLineWithoutRuleLiterals_IsCountedAsUnparsed_AndStrictReportsIt()
    {
        var dir = CliRunner.TempDir();
        var input = Path.Combine(dir, "events.ndjson");
        // Line 1 is malformed but holds none of the rule's literals; line 2 is a true positive.
        File.WriteAllLines(input, ["{\"a\": 1,, }", File.ReadLines(Sample).Single(l => l.Contains("\"ev-0101\"", StringComparison.Ordinal))]);
        var fast = CliRunner.Run("scan", "--no-store", "--format", "ndjson", "--out", Path.Combine(dir, "fast.ndjson"), input);
        Assert.Equal(0, fast.ExitCode);
        Assert.Contains("events read: 2 (1 ruled out by the literal prefilter without parsing), bad lines: 0", fast.Stderr, StringComparison.Ordinal);
        var strict = CliRunner.Run("scan", "--no-store", "--strict", "--format", "ndjson", "--out", Path.Combine(dir, "strict.ndjson"), input);
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains($"{input}(1,", strict.Stderr, StringComparison.Ordinal);
        Assert.Contains("events read: 1, bad lines: 1, rules run: 1, alerts: 1", strict.Stderr, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "strict.ndjson")));
    }

    [Fact]
    public void Scan_TableFormat_ShowsOneRowPerAlert()
    {
        var r = CliRunner.Run("scan", "--format", "table", Sample);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("TIME", lines[0], StringComparison.Ordinal);
        Assert.Equal(ExpectedSampleAlerts().Length, lines.Length - 1);
        Assert.Contains(lines, l => l.Contains("apt-get install -y curl", StringComparison.Ordinal) && l.Contains("low", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_BadLines_AreReportedAndEveryGoodAlertStillComes()
    {
        var dir = CliRunner.TempDir();
        var input = Path.Combine(dir, "mixed.ndjson");
        var sample = File.ReadAllLines(Sample);
        var mixed = new List<string> { "{ not json", sample[0] };
        mixed.AddRange(sample.Skip(1));
        mixed.Insert(20, "[1,2,3]");
        mixed.Add("{\"truncated\": ");
        File.WriteAllText(input, string.Join('\n', mixed));
        var outFile = Path.Combine(dir, "alerts.ndjson");
        var r = CliRunner.Run("scan", "--format", "ndjson", "--out", outFile, input);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(ExpectedSampleAlerts(), ReadAlerts(outFile).Select(a => a["kibana.alert.original_event.id"]!.GetValue<string>()));
        Assert.Contains($"{input}(1,3): error VIG0001: malformed JSON", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{input}(21): error VIG0001: malformed JSON: an event must be a JSON object", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{input}({mixed.Count},", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("bad lines: 3", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_SameEventTwice_GivesOneAlert()
    {
        var outFile = Path.Combine(CliRunner.TempDir(), "alerts.ndjson");
        var r = CliRunner.Run("scan", "--format", "ndjson", "--out", outFile, Sample, Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(ExpectedSampleAlerts().Length, ReadAlerts(outFile).Count);
        Assert.Contains("duplicates dropped", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_BrokenRuleFile_IsReportedWithLocation_AndExitsOne()
    {
        var dir = CliRunner.TempDir();
        var rules = Path.Combine(dir, "rules");
        Directory.CreateDirectory(rules);
        File.WriteAllText(Path.Combine(rules, "broken.toml"), "[metadata]\ncreation_date = \"2026/01/01\n");
        var r = CliRunner.Run("scan", "--rules", rules, "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), Sample);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"broken\.toml\(2,\d+\): error", r.Stderr);
    }

    [Fact]
    public void Scan_RuleWithInvalidEql_PointsIntoTheTomlFile()
    {
        var dir = CliRunner.TempDir();
        var builtin = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "src", "Vigil.Rules", "BuiltIn", "execution_container_tool_installation.toml"));
        var broken = builtin.Replace("process.interactive == true", "process.interactive === true", StringComparison.Ordinal);
        Assert.NotEqual(builtin, broken);
        var file = Path.Combine(dir, "bad_query.toml");
        File.WriteAllText(file, broken);
        var lines = broken.Split('\n');
        var lineNo = Array.FindIndex(lines, l => l.Contains("===", StringComparison.Ordinal)) + 1;
        var col = lines[lineNo - 1].IndexOf("===", StringComparison.Ordinal) + 3;
        var r = CliRunner.Run("rules", "validate", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"bad_query.toml({lineNo},{col}): error", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("^", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_IndexOption_RoutesEventsWithoutIndexInformation()
    {
        var dir = CliRunner.TempDir();
        var input = Path.Combine(dir, "noindex.ndjson");
        var lines = File.ReadAllLines(Sample).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            foreach (var key in o.Select(p => p.Key).Where(k => k.StartsWith("data_stream", StringComparison.Ordinal)).ToList())
            {
                o.Remove(key);
            }
            return o.ToJsonString();
        });
        File.WriteAllLines(input, lines);
        var other = CliRunner.Run("scan", "--format", "ndjson", "--out", Path.Combine(dir, "a.ndjson"), "--index", "logs-other-default", input);
        Assert.Equal(0, other.ExitCode);
        Assert.Contains("alerts: 0", other.Stderr, StringComparison.Ordinal);
        var process = CliRunner.Run("scan", "--format", "ndjson", "--out", Path.Combine(dir, "b.ndjson"), "--index", "logs-cloud_defend.process-default", input);
        Assert.Contains($"alerts: {ExpectedSampleAlerts().Length}", process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_OutSameAsInput_IsRefusedAndTheInputIsIntact()
    {
        var dir = CliRunner.TempDir();
        var input = Path.Combine(dir, "events.ndjson");
        File.Copy(Sample, input);
        var before = File.ReadAllBytes(input);
        var r = CliRunner.Run("scan", "--out", Path.Combine(dir, ".", "events.ndjson"), input);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("refusing to overwrite", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void Scan_NoRulesLoaded_IsAnError()
    {
        var empty = CliRunner.TempDir();
        var r = CliRunner.Run("scan", "--rules", empty, Sample);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no rules were loaded", r.Stderr, StringComparison.Ordinal);
        var validate = CliRunner.Run("rules", "validate", empty);
        Assert.Equal(1, validate.ExitCode);
        Assert.Contains("no rule files", validate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_UnwritableOutput_IsAOneLineError()
    {
        var r = CliRunner.Run("scan", "--format", "ndjson", "--out", "/nonexistent-dir/alerts.ndjson", Sample);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("vigil: cannot write alerts to /nonexistent-dir/alerts.ndjson", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_AlertsKeepAmpersandsReadable()
    {
        var outFile = Path.Combine(CliRunner.TempDir(), "alerts.ndjson");
        CliRunner.Run("scan", "--format", "ndjson", "--out", outFile, Sample);
        Assert.Contains("MITRE ATT&CK", File.ReadAllText(outFile), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scan")]
    [InlineData("scan", "--format", "xml", "x.ndjson")]
    [InlineData("frobnicate")]
    public void UsageErrors_ExitTwo(params string[] args) => Assert.Equal(2, CliRunner.Run(args).ExitCode);

    [Fact]
    public void RulesList_ShowsTheBuiltInRule()
    {
        var r = CliRunner.Run("rules", "list");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("527d23e6-8b67-4a8e-a6bd-5169b90ab2a8", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("Tool Installation Detected via Defend for Containers", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_EmptyIndex_IsAUsageError()
    {
        var r = CliRunner.Run("scan", "--no-store", "--index", "", Sample);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--index", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_OutIsADirectory_SaysSo()
    {
        var dir = CliRunner.TempDir();
        var r = CliRunner.Run("scan", "--no-store", "--format", "ndjson", "--out", dir, Sample);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"'{dir}' is a directory", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", r.Stderr, StringComparison.Ordinal);
    }
}
