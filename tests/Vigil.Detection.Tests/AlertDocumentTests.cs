using System.Text;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

public sealed class AlertDocumentTests
{
    private const string Event = """{"_id":"ev-1","@timestamp":"2026-11-20T09:00:00.000Z","event":{"kind":"event","category":["process"],"type":["start"],"action":"exec","id":"e1"},"data_stream":{"type":"logs","dataset":"cloud_defend.process","namespace":"default"},"host":{"name":"node-1","os":{"type":"linux"}},"process":{"name":"apt-get","args":["apt-get","install","curl"],"interactive":true,"parent":{"name":"bash"}},"container":{"id":"c0ffee"},"user":{"name":"root"},"kibana.alert.rule.name":"forged","signal":{"x":1}}""";

    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static Alert Build()
    {
        var engine = new DetectionEngine(BuiltInRules.Load().Rules.Select(r => r.Rule), new DetectionOptions { Time = new FixedTime(Now) });
        var alerts = new List<Alert>();
        engine.Process(EventRecord.FromJson(Encoding.UTF8.GetBytes(Event), engine.Projection), alerts);
        return Assert.Single(alerts);
    }

    [Fact]
    public void AlertId_MatchesKibanaGenerateIdTestVectors()
    {
        const string rule = "5f3c1a2e-0000-4000-8000-000000000001";
        const string index = ".ds-logs-cloud_defend.process-default-2026.08.21-000001";
        Assert.Equal("59b8bae6f3f2a9b39a3faaace88584b8af60db78539cc14b080d1672c93dce77", AlertBuilder.AlertId(index, "ev-1", "1", "default", rule));
        Assert.Equal("4fd462ab1973545024a609237e83919058414d2ad865d09b5dba27d0a6565e3b", AlertBuilder.AlertId(index, "ev-1", "undefined", "default", rule));
    }

    [Fact]
    public void AlertId_IsDeterministicForTheSameEventAndRule()
    {
        var a = Build();
        var b = Build();
        Assert.Equal(a.Id, b.Id);
        Assert.Equal(a.Id, a.Document["kibana.alert.uuid"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{64}$", a.Id);
    }

    [Fact]
    public void Document_HasKibanaAlertShape()
    {
        var d = Build().Document;
        Assert.Equal("signal", d["event.kind"]!.GetValue<string>());
        Assert.False(d["event"]!.AsObject().ContainsKey("kind"));
        Assert.Equal("exec", d["kibana.alert.original_event.action"]!.GetValue<string>());
        Assert.Equal("event", d["kibana.alert.original_event.kind"]!.GetValue<string>());
        Assert.Equal("process", d["kibana.alert.original_event.category"]![0]!.GetValue<string>());
        Assert.Equal("2026-11-20T09:00:00.000Z", d["kibana.alert.original_time"]!.GetValue<string>());
        Assert.Equal("2026-12-03T10:00:00.000Z", d["@timestamp"]!.GetValue<string>());
        Assert.Equal("open", d["kibana.alert.workflow_status"]!.GetValue<string>());
        Assert.Equal("low", d["kibana.alert.severity"]!.GetValue<string>());
        Assert.Equal(21, d["kibana.alert.risk_score"]!.GetValue<int>());
        Assert.Equal("Tool Installation Detected via Defend for Containers", d["kibana.alert.rule.name"]!.GetValue<string>());
        Assert.Equal("527d23e6-8b67-4a8e-a6bd-5169b90ab2a8", d["kibana.alert.rule.rule_id"]!.GetValue<string>());
        Assert.Equal("5m", d["kibana.alert.rule.interval"]!.GetValue<string>());
        Assert.Equal("now-6m", d["kibana.alert.rule.from"]!.GetValue<string>());
        Assert.Equal("event.ingested", d["kibana.alert.rule.timestamp_override"]!.GetValue<string>());
        Assert.Equal("logs-cloud_defend.process*", d["kibana.alert.rule.indices"]![0]!.GetValue<string>());
        Assert.Equal("logs-cloud_defend.process*", d["kibana.alert.rule.parameters"]!["index"]![0]!.GetValue<string>());
        Assert.Contains("Tactic: Execution", d["kibana.alert.rule.tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var threat = d["kibana.alert.rule.threat"]!.AsArray();
        Assert.Contains(threat, t => t!["tactic"]!["id"]!.GetValue<string>() == "TA0002" && t["technique"]![0]!["id"]!.GetValue<string>() == "T1072");
        Assert.StartsWith("## Triage and analysis", d["kibana.alert.rule.note"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("ev-1", d["kibana.alert.ancestors"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("logs-cloud_defend.process-default", d["kibana.alert.ancestors"]![0]!["index"]!.GetValue<string>());
        Assert.Equal("apt-get", d["process"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Document_CopiesOriginalEventFieldsWrittenNestedOrDotted_AndNothingElse()
    {
        var engine = new DetectionEngine(BuiltInRules.Load().Rules.Select(r => r.Rule));
        var json = Event.Replace("\"host\":", "\"event.outcome\":\"success\",\"data_stream.kind\":{\"x\":\"y\"},\"eventual\":{\"a\":1},\"events\":2,\"host\":", StringComparison.Ordinal);
        var alerts = new List<Alert>();
        engine.Process(EventRecord.FromJson(Encoding.UTF8.GetBytes(json), engine.Projection), alerts);
        var d = Assert.Single(alerts).Document;
        Assert.Equal("success", d["kibana.alert.original_event.outcome"]!.GetValue<string>());
        Assert.Equal("exec", d["kibana.alert.original_event.action"]!.GetValue<string>());
        Assert.Equal("y", d["kibana.alert.original_data_stream.kind.x"]!.GetValue<string>());
        Assert.Equal("cloud_defend.process", d["kibana.alert.original_data_stream.dataset"]!.GetValue<string>());
        var copied = d.Select(p => p.Key).Where(k => k.StartsWith("kibana.alert.original_", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["kibana.alert.original_data_stream.dataset", "kibana.alert.original_data_stream.kind.x", "kibana.alert.original_data_stream.namespace", "kibana.alert.original_data_stream.type",
             "kibana.alert.original_event.action", "kibana.alert.original_event.category", "kibana.alert.original_event.id", "kibana.alert.original_event.kind",
             "kibana.alert.original_event.outcome", "kibana.alert.original_event.type", "kibana.alert.original_time"],
            copied);
    }

    [Fact]
    public void AlertsOfOneRule_HoldTheirOwnCopiesOfTheRuleFields()
    {
        var engine = new DetectionEngine(BuiltInRules.Load().Rules.Select(r => r.Rule));
        var alerts = new List<Alert>();
        engine.Process(EventRecord.FromJson(Encoding.UTF8.GetBytes(Event), engine.Projection), alerts);
        engine.Process(EventRecord.FromJson(Encoding.UTF8.GetBytes(Event.Replace("ev-1", "ev-2", StringComparison.Ordinal)), engine.Projection), alerts);
        Assert.Equal(2, alerts.Count);
        var (first, second) = (alerts[0].Document, alerts[1].Document);
        foreach (var key in new[] { "kibana.alert.rule.tags", "kibana.alert.rule.threat", "kibana.alert.rule.parameters", "kibana.alert.rule.indices" })
        {
            Assert.True(JsonNode.DeepEquals(first[key], second[key]), key);
            Assert.NotSame(first[key], second[key]);
        }
        first["kibana.alert.rule.tags"]!.AsArray().Clear();
        first["kibana.alert.rule.parameters"]!.AsObject().Remove("index");
        var third = new List<Alert>();
        engine.Process(EventRecord.FromJson(Encoding.UTF8.GetBytes(Event), engine.Projection), third);
        Assert.Contains("Tactic: Execution", second["kibana.alert.rule.tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("Tactic: Execution", third[0].Document["kibana.alert.rule.tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.NotNull(third[0].Document["kibana.alert.rule.parameters"]!["index"]);
    }

    [Fact]
    public void Document_DropsForgedAlertFieldsFromTheSource()
    {
        var d = Build().Document;
        Assert.Equal("Tool Installation Detected via Defend for Containers", d["kibana.alert.rule.name"]!.GetValue<string>());
        Assert.False(d.ContainsKey("signal"));
        Assert.False(d.ContainsKey("_id"));
    }

    [Fact]
    public void Reason_FollowsKibanaTemplate() =>
        Assert.Equal(
            "process event with process apt-get, parent process bash, by root on node-1 created low alert Tool Installation Detected via Defend for Containers.",
            Build().Document["kibana.alert.reason"]!.GetValue<string>());

    [Fact]
    public void Reason_WithoutProcessFields_OmitsWith() =>
        Assert.Equal(
            "event on h created high alert R.",
            AlertBuilder.Reason(JsonNode.Parse("""{"host":{"name":"h"}}""")!.AsObject(), "high", "R"));

    [Fact]
    public void HostileEvent_WithDuplicateKeysAndInvalidUtf8_StillAlerts()
    {
        var engine = new DetectionEngine(BuiltInRules.Load().Rules.Select(r => r.Rule));
        var json = Event.Replace("\"name\":\"node-1\"", "\"name\":\"node-X\"", StringComparison.Ordinal)
            .Replace("\"container\":", "\"user\":{\"name\":\"eve\"},\"container\":", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json);
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFE;
        var alerts = new List<Alert>();
        engine.Process(EventRecord.FromJson(bytes, engine.Projection), alerts);
        var alert = Assert.Single(alerts);
        Assert.Equal("node-\uFFFD", alert.Document["host"]!["name"]!.GetValue<string>());
        Assert.Contains("eve", alert.Document["kibana.alert.reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
