using System.Text;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Events.Generation;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

/// <summary>
/// The fast scan path must write exactly what the plain evaluator writes: the same alerts (ids, rules, documents) in the
/// same order, the same counts and the same input errors, with each optimisation alone and with all of them together.
/// </summary>
public sealed class FastPathEquivalenceTests : IDisposable
{
    private const string ExtraRules = """
        [metadata]
        creation_date = "2026/12/03"
        updated_date = "2026/12/03"
        maturity = "production"

        [rule]
        author = ["Vigil tests"]
        description = "Case-insensitive and wildcard operators, which the prefilter must treat with care."
        from = "now-6m"
        index = ["logs-cloud_defend.*"]
        language = "eql"
        name = "Case-insensitive package manager"
        risk_score = 21
        rule_id = "00000000-0000-4000-8000-0000000000c1"
        severity = "low"
        type = "eql"
        query = '''
        process where process.name : ("APT-GET", "Dnf") and process.args like~ ("*CURL*", "WGET", "Python*")
        '''
        """;

    /// <summary>Rules the value index keys by a multi-valued field (<c>process.args</c>), by a field holding numbers, ignoring case, and by alternatives on several fields.</summary>
    private static readonly string[] ValueRoutingRules =
    [
        Rule("c2", "process.args in (\"-c\", \"install\") and event.type == \"start\""),
        Rule("c3", "cloud_defend.package_policy_revision == \"3\" and event.action == \"exec\" and process.name like~ \"SH*\""),
        Rule("c4", "process.name : (\"APT-GET\", \"Bash\") and process.group.id == \"0\" and process.parent.name != null"),
        Rule("c5", "(process.name == \"curl\" or process.args in (\"install\", \"-c\") or process.parent.name : \"SLEEP\") and user.name : (\"ROOT\", \"app\")"),
    ];

    private static string Rule(string id, string condition) =>
        DetectionTestKit.RuleToml($"process where {condition}", ruleId: $"00000000-0000-4000-8000-0000000000{id}", index: "logs-cloud_defend.*", name: $"Value routing {id}");

    private static readonly string SequenceRule = DetectionTestKit.ForkThenPackageManagerToml(packageManagers: "\"apt-get\", \"apt\", \"apk\", \"dnf\", \"yum\", \"pg_dump\"");

    private readonly string _input = Path.Combine(Path.GetTempPath(), $"vigil-equivalence-{Guid.NewGuid():N}.ndjson");

    public FastPathEquivalenceTests() => File.WriteAllBytes(_input, BuildInput());

    public void Dispose() => File.Delete(_input);

    public static TheoryData<string> Configurations() => ["prefilter", "parallel", "compact", "category", "index-projection", "value", "category-value", "by-reference", "in-order", "all", "all-4-threads"];

    private static ScanOptimizations Configure(string name) => name switch
    {
        "prefilter" => ScanOptimizations.None with { LiteralPrefilter = true },
        "parallel" => ScanOptimizations.None with { Parallelism = 2 },
        "compact" => ScanOptimizations.None with { CompactCandidates = true },
        "category" => ScanOptimizations.None with { CategoryRouting = true },
        "index-projection" => ScanOptimizations.None with { IndexProjection = true },
        "value" => ScanOptimizations.None with { ValueRouting = true },
        "category-value" => ScanOptimizations.None with { CategoryRouting = true, ValueRouting = true },
        "by-reference" => ScanOptimizations.None with { LinesByReference = true },
        "in-order" => ScanOptimizations.None with { LinesByReference = true, InOrderSequences = true },
        "all" => new ScanOptimizations { Parallelism = 2 },
        "all-4-threads" => new ScanOptimizations { Parallelism = 4 },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void BuiltInAndTestRules_FastPathWritesWhatThePlainPathWrites(string configuration)
    {
        var rules = BuiltInRules.Load().Rules.Select(r => r.Rule)
            .Concat(RuleLoader.LoadString(ExtraRules, "ci.toml").Rules.Select(r => r.Rule))
            .Concat(RuleLoader.LoadString(SequenceRule, "seq.toml").Rules.Select(r => r.Rule))
            .Concat(ValueRoutingRules.Select((t, i) => RuleLoader.LoadString(t, $"value{i}.toml").Rules.Single().Rule))
            .ToList();
        var plain = Scan(rules, ScanOptimizations.None);
        var fast = Scan(rules, Configure(configuration));
        AssertSame(plain, fast);
        // The data set must exercise the rules, or equality would prove little.
        Assert.True(plain.Alerts.Count(a => a.Rule == "527d23e6-8b67-4a8e-a6bd-5169b90ab2a8") >= 10);
        Assert.Contains(plain.Alerts, a => a.Rule == "00000000-0000-4000-8000-0000000000c1");
        Assert.Contains(plain.Alerts, a => a.Rule == "00000000-0000-4000-8000-00000000beef");
        Assert.Contains(plain.Alerts, a => a.Rule == "00000000-0000-4000-8000-0000000000c2");
        Assert.Contains(plain.Alerts, a => a.Rule == "00000000-0000-4000-8000-0000000000c3");
        Assert.Contains(plain.Alerts, a => a.Rule == "00000000-0000-4000-8000-0000000000c4");
        Assert.Contains(plain.Alerts, a => a.Rule == "00000000-0000-4000-8000-0000000000c5");
        Assert.Contains(plain.Alerts, a => a.Document.Contains("ev-escaped-1", StringComparison.Ordinal));
        Assert.Contains(plain.Alerts, a => a.Document.Contains("ev-escaped-2", StringComparison.Ordinal));
        Assert.True(plain.Errors.Count >= 2);
    }

    [SkippableCorpusFact]
    public void CorpusRulesCoveringCloudDefend_FastPathWritesWhatThePlainPathWrites()
    {
        var root = CorpusLocator.DetectionRulesRoot!;
        var rules = RuleLoader.Load([Path.Combine(root, "rules"), Path.Combine(root, "rules_building_block")]).Rules
            .Select(r => r.Rule)
            .Where(r => IndexPatterns.Matches(r.Index, "logs-cloud_defend.process-default") || IndexPatterns.Matches(r.Index, "logs-cloud_defend.file-default"))
            .ToList();
        var plain = Scan(rules, ScanOptimizations.None);
        var fast = Scan(rules, new ScanOptimizations { Parallelism = 2 });
        AssertSame(plain, fast);
        Assert.True(plain.Alerts.Select(a => a.Rule).Distinct().Count() >= 5);
    }

    [Fact]
    public void Prefilter_SkipsOrdinaryLinesButNotEscapedOnes()
    {
        var job = new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule));
        var filter = LinePrefilter.Create(job.Engine.Rules.Select(r => r.Query).ToList());
        Assert.NotNull(filter);
        var lines = File.ReadAllLines(DetectionTestKit.SamplePath);
        var alerting = lines.Single(l => l.Contains("\"ev-0017\"", StringComparison.Ordinal));
        var quiet = lines.First(l => l.Contains("\"name\":\"nginx\"", StringComparison.Ordinal) || l.Contains("\"action\":\"end\"", StringComparison.Ordinal));
        Assert.False(filter.CannotMatch(Encoding.UTF8.GetBytes(alerting)));
        Assert.False(filter.CannotMatch(Encoding.UTF8.GetBytes(Escape(alerting))));
        Assert.False(filter.CannotMatch(Encoding.UTF8.GetBytes(alerting.Replace("/usr/bin", "\\/usr\\/bin", StringComparison.Ordinal))));
        Assert.True(filter.CannotMatch(Encoding.UTF8.GetBytes(quiet)) || quiet.Contains("apt", StringComparison.Ordinal));
        Assert.False(filter.CannotMatch("not json at all"u8));
    }

    [Fact]
    public void OverlongLineWithoutRuleLiterals_IsReportedByTheFastPathToo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vigil-overlong-{Guid.NewGuid():N}.ndjson");
        // Longer than the 16 MiB line limit, and no literal of the built-in rule in it.
        File.WriteAllText(path, "{\"x\":\"" + new string('q', (16 << 20) + 10) + "\"}\n" + File.ReadAllLines(DetectionTestKit.SamplePath)[0] + "\n");
        try
        {
            List<string> Errors(ScanOptimizations optimizations)
            {
                var errors = new List<string>();
                var summary = new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule)).Run([path], new DetectionTestKit.ListSink(), e => errors.Add(e.Render()), new ScanOptions { Optimizations = optimizations });
                Assert.Equal(1, summary.BadLines);
                Assert.Equal(1, summary.EventsRead);
                return errors;
            }
            var plain = Errors(ScanOptimizations.None);
            Assert.Contains("line is longer than", Assert.Single(plain), StringComparison.Ordinal);
            Assert.Equal(plain, Errors(new ScanOptimizations()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ParallelScan_SinkFailure_StopsTheScanAndSurfacesTheError()
    {
        var job = new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule));
        var sink = new FailingSink();
        var ex = Assert.Throws<IOException>(() => job.Run([_input], sink, _ => { }, new ScanOptions { Optimizations = new ScanOptimizations { Parallelism = 2 } }));
        Assert.Equal("disk full", ex.Message);
        Assert.Equal(1, sink.Calls);
    }

    private sealed class FailingSink : IAlertSink
    {
        public int Calls { get; private set; }

        public void Write(Alert alert)
        {
            Calls++;
            throw new IOException("disk full");
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed record Result(List<(string Id, string Rule, string Document)> Alerts, List<string> Errors, ScanSummary Summary);

    private Result Scan(IReadOnlyList<DetectionRule> rules, ScanOptimizations optimizations)
    {
        var job = new ScanJob(rules, new DetectionOptions { Time = new FixedTime() });
        var sink = new ListSink();
        var errors = new List<string>();
        var summary = job.Run([_input], sink, e => errors.Add(e.Render()), new ScanOptions { Optimizations = optimizations, MaxEventsInMemory = 5_000 });
        var alerts = sink.Alerts.Select(a =>
        {
            var doc = (JsonObject)a.Document.DeepClone();
            doc.Remove("kibana.alert.rule.execution.uuid");
            return (a.Id, a.Rule.Rule.RuleId, doc.ToJsonString());
        }).ToList();
        return new Result(alerts, errors, summary);
    }

    private static void AssertSame(Result plain, Result fast)
    {
        Assert.Equal(plain.Summary, fast.Summary);
        Assert.Equal(plain.Errors, fast.Errors);
        Assert.Equal(plain.Alerts.Count, fast.Alerts.Count);
        for (var i = 0; i < plain.Alerts.Count; i++)
        {
            Assert.Equal(plain.Alerts[i], fast.Alerts[i]);
        }
    }

    /// <summary>Generated events, the bundled samples, and lines that test the edges: escapes hiding literals, bad lines, CRLF, non-ASCII, an unterminated end.</summary>
    private static byte[] BuildInput()
    {
        var ms = new MemoryStream();
        new EventGenerator(11).Write(ms, 12_000);
        var sample = File.ReadAllLines(DetectionTestKit.SamplePath);
        var sb = new StringBuilder();
        foreach (var line in sample)
        {
            sb.Append(line).Append('\n');
        }
        var alerting = sample.Single(l => l.Contains("\"ev-0017\"", StringComparison.Ordinal));
        sb.Append(Escape(alerting.Replace("\"ev-0017\"", "\"ev-escaped-1\"", StringComparison.Ordinal))).Append('\n');
        sb.Append(alerting.Replace("\"ev-0017\"", "\"ev-escaped-2\"", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal)).Append("\r\n");
        sb.Append("{\"event\": {\"category\": \"process\"}, \"process\": {\"name\": \"apt-get\"\n");
        sb.Append("\n   \n");
        sb.Append("garbage that is not json\n");
        sb.Append(alerting.Replace("\"ev-0017\"", "\"ev-unicode\"", StringComparison.Ordinal).Replace("\"root\"", "\"rööt\"", StringComparison.Ordinal)).Append('\n');
        sb.Append(alerting.Replace("\"ev-0017\"", "\"ev-unterminated\"", StringComparison.Ordinal)[..200]);
        ms.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        return ms.ToArray();
    }

    /// <summary>Writes every package-manager and tool name with a \u escape, so that no literal survives in the bytes.</summary>
    private static string Escape(string line)
    {
        foreach (var word in new[] { "apt-get", "curl", "apt", "dnf", "install" })
        {
            line = line.Replace($"\"{word}", $"\"\\u{(int)word[0]:x4}{word[1..]}", StringComparison.Ordinal);
        }
        return line;
    }

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);
    }

    private sealed class ListSink : IAlertSink
    {
        public List<Alert> Alerts { get; } = [];

        public void Write(Alert alert) => Alerts.Add(alert);

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>Finds the public Elastic rules corpus: <c>VIGIL_CONFORMANCE</c>, else a <c>shared/conformance</c> folder above the test binaries.</summary>
internal static class CorpusLocator
{
    public static string? DetectionRulesRoot { get; } = Find();

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("VIGIL_CONFORMANCE");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(Path.Combine(fromEnv, "detection-rules", "rules")))
        {
            return Path.Combine(fromEnv, "detection-rules");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance", "detection-rules");
            if (Directory.Exists(Path.Combine(candidate, "rules")))
            {
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>A fact skipped, with the reason shown, when the rules corpus is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SkippableCorpusFactAttribute : FactAttribute
{
    public SkippableCorpusFactAttribute()
    {
        if (CorpusLocator.DetectionRulesRoot is null)
        {
            Skip = "the Elastic detection-rules corpus was not found (../shared/conformance/detection-rules or VIGIL_CONFORMANCE)";
        }
    }
}
