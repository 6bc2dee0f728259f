using System.Globalization;
using System.Text.Json.Nodes;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

/// <summary>Small rules and events shared by the detection tests.</summary>
internal static class DetectionTestKit
{
    public static readonly DateTimeOffset T0 = new(2026, 8, 21, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The bundled sample events (<c>samples/cloud_defend-process.ndjson</c>).</summary>
    public static string SamplePath
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(dir!.FullName, "Vigil.slnx")))
            {
                dir = dir.Parent;
            }
            return Path.Combine(dir.FullName, "samples", "cloud_defend-process.ndjson");
        }
    }

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The sequence rule "Fork Then Package Manager" as a rule file: a fork, then an exec of one of
    /// <paramref name="packageManagers"/> (an EQL list body) by the same process within 30 s.
    /// </summary>
    public static string ForkThenPackageManagerToml(int riskScore = 47, string severity = "medium", string packageManagers = "\"apt-get\", \"apt\", \"apk\", \"dnf\", \"yum\"") => $$"""
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
        risk_score = {{riskScore}}
        rule_id = "00000000-0000-4000-8000-00000000beef"
        severity = "{{severity}}"
        type = "eql"
        query = '''
        sequence by process.entity_id with maxspan=30s
          [process where event.action == "fork"]
          [process where event.action == "exec" and process.name in ({{packageManagers}})]
        '''
        """;

    /// <summary>An EQL rule; <paramref name="extra"/> is added to its [rule] table as written.</summary>
    public static DetectionRule Rule(string query = "process where event.action == \"exec\"", string extra = "", string ruleId = "11111111-1111-4111-8111-111111111111")
    {
        var result = RuleLoader.LoadString(RuleToml(query, extra, ruleId), "test.toml");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics.Select(d => d.Render())));
        return Assert.Single(result.Rules).Rule;
    }

    /// <summary>The rule file of <see cref="Rule"/>, reading <paramref name="index"/>.</summary>
    public static string RuleToml(string query, string extra = "", string ruleId = "11111111-1111-4111-8111-111111111111", string index = "logs-*", string? name = null) => $$"""
        [metadata]
        creation_date = "2026/12/04"
        updated_date = "2026/12/04"
        maturity = "production"

        [rule]
        author = ["Vigil tests"]
        description = "Test rule."
        index = ["{{index}}"]
        language = "eql"
        name = "{{name ?? "Test Rule " + ruleId[..4]}}"
        risk_score = 21
        rule_id = "{{ruleId}}"
        severity = "low"
        type = "eql"
        {{extra}}
        query = '''
        {{query}}
        '''
        """;

    /// <summary>A process event; <paramref name="more"/> is merged in (dotted keys allowed).</summary>
    public static string Event(string id, DateTimeOffset? timestamp, string action = "exec", string? ingested = null, JsonObject? more = null)
    {
        var e = new JsonObject
        {
            ["event"] = new JsonObject
            {
                ["category"] = new JsonArray("process"),
                ["action"] = action,
                ["id"] = id,
            },
            ["process"] = new JsonObject { ["name"] = "sh" },
        };
        if (timestamp is { } t)
        {
            e["@timestamp"] = Iso(t);
        }
        if (ingested is not null)
        {
            e["event"]!["ingested"] = ingested;
        }
        foreach (var (k, v) in more ?? [])
        {
            e[k] = v?.DeepClone();
        }
        return e.ToJsonString();
    }

    public static string WriteInput(params string[] lines)
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-detection-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "events.ndjson");
        File.WriteAllLines(path, lines);
        return path;
    }

    public static string? OriginalEventId(Alert a) => a.Field("kibana.alert.original_event.id");

    public sealed class ListSink : IAlertSink
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
