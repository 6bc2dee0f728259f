using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

/// <summary>
/// Single-event alerts are written straight to JSON from the event and the rule's fields serialised once per rule; these
/// tests hold those bytes to the document the object path builds, for events and rules that exercise each of its steps.
/// </summary>
public sealed class AlertJsonTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 22, 0, 0, TimeSpan.Zero);

    private static readonly string[] EventLines =
    [
        // An _id, alert-owned keys to drop (kibana*, signal) and event.kind to move.
        """{"_id":"ev-1","@timestamp":"2026-11-20T09:00:00.000Z","event":{"kind":"event","category":["process"],"type":["start"],"action":"exec"},"data_stream":{"type":"logs","dataset":"cloud_defend.process"},"host":{"name":"node-1"},"process":{"name":"apt-get","args":["apt-get","install","curl"]},"kibana.alert.rule.name":"forged","signal":{"x":1}}""",
        // No _id (a content hash is used), no @timestamp (appended after the event's members), a _version.
        """{"_version":3,"event":{"category":"process","action":"exec"},"process":{"name":"sh","args":["sh","-c","echo <b>&amp; \u00e9t\u00e9 \"q\""]},"user":{"name":"r\u00f6\u00f6t"}}""",
        // Dotted keys: event.kind and event.action written flat, data_stream.dataset flat, a numeric timestamp.
        """{"@timestamp":1764885600000,"event.kind":"event","event.action":"exec","event":{"category":["process"]},"data_stream.dataset":"x","process.name":"bash","host":{"hostname":"h2"},"_index":"logs-x","threshold_result":{}}""",
        // @timestamp last, nulls, nested arrays, numbers of every shape, an event object that only held kind.
        """{"event":{"kind":"event"},"process":{"name":null,"pid":42,"args":[],"parent":{"args":[["a"],{"b":1.50}]}},"n":-0.0,"e":1e3,"@timestamp":"2026-12-01T00:00:00Z","event.action":"exec"}""",
    ];

    private static readonly string[] RuleExtras =
    [
        string.Empty,
        "building_block_type = \"default\"\nnote = \"\"\"## Triage\n\n<check> & 'verify' \u00e9\"\"\"\nfalse_positives = [\"a\", \"b\"]\ntags = [\"Domain: Container\"]\ntimestamp_override = \"event.ingested\"\nlicense = \"Elastic License v2\"",
        "max_signals = 7\ninterval = \"1m\"\nfrom = \"now-2m\"\nreferences = [\"https://example.com/?a=1&b=<2>\"]\n"
            + "threat = [{framework = \"MITRE ATT&CK\", tactic = {id = \"TA0002\", name = \"Execution\", reference = \"https://attack.mitre.org/tactics/TA0002/\"}}]",
    ];

    public static TheoryData<string> Events => new(EventLines);

    private static readonly string[] Paths =
    [
        "kibana.alert.uuid", "kibana.alert.rule.rule_id", "kibana.alert.rule.uuid", "kibana.alert.rule.name", "kibana.alert.severity",
        "kibana.alert.rule.severity", "kibana.alert.risk_score", "kibana.alert.rule.risk_score", "kibana.alert.workflow_status",
        "kibana.alert.original_time", "@timestamp", "kibana.alert.building_block_type", "kibana.alert.rule.version",
        "kibana.alert.group.id", "kibana.alert.group.index", "host.name", "host.hostname", "container.id", "user.name",
        "process.name", "process.args", "process.command_line", "event.kind", "event.action", "_id", "signal.x", "kibana",
    ];

    private static List<Alert> Detect(string line, string extra, DetectionOptions? options = null)
    {
        var rule = DetectionTestKit.Rule("any where true", extra);
        var engine = new DetectionEngine([rule], options ?? new DetectionOptions { Time = new FixedTime(Now) });
        var alerts = new List<Alert>();
        engine.Process(EventRecord.FromJson(Encoding.UTF8.GetBytes(line), engine.Projection), alerts);
        return alerts;
    }

    private static string Serialize(JsonObject document)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Alert.WriterOptions))
        {
            document.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void WrittenJson_IsTheDocumentTheObjectPathBuilds(string line)
    {
        foreach (var extra in RuleExtras)
        {
            var alert = Assert.Single(Detect(line, extra));
            Assert.NotNull(alert.PrebuiltJson);
            var written = Encoding.UTF8.GetString(alert.Json.Span);
            Assert.Equal(Serialize(alert.Document), written);
            // The bytes parse, and say what the object says.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(written), alert.Document));
        }
    }

    [Fact]
    public void WrittenJson_FollowsTheOptions()
    {
        var options = new DetectionOptions { Time = new FixedTime(Now), SpaceId = "team-a", KibanaVersion = "8.19.0" };
        var alert = Assert.Single(Detect(EventLines[0], string.Empty, options));
        var doc = JsonNode.Parse(alert.Json.Span)!.AsObject();
        Assert.Equal("team-a", doc["kibana.space_ids"]![0]!.GetValue<string>());
        Assert.Equal("8.19.0", doc["kibana.version"]!.GetValue<string>());
        Assert.Equal(Serialize(alert.Document), Encoding.UTF8.GetString(alert.Json.Span));
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Fields_AreTheSameBeforeAndAfterTheDocumentIsBuilt(string line)
    {
        foreach (var extra in RuleExtras)
        {
            var alert = Assert.Single(Detect(line, extra));
            var known = Paths.Select(p => (p, alert.Known(p))).Where(k => k.Item2 is not null).ToList();
            Assert.NotEmpty(known);
            var before = Paths.Select(p => (p, alert.Field(p), string.Join("|", alert.Fields(p)))).ToList();
            var doc = alert.Document;
            var after = Paths.Select(p => (p, alert.Field(p), string.Join("|", alert.Fields(p)))).ToList();
            Assert.Equal(after, before);
            foreach (var (path, value) in known)
            {
                var expected = doc.TryGetPropertyValue(path, out var v) && v is JsonValue jv ? jv.ToString() : JsonFlattener.GetText(doc, path);
                Assert.True(expected == value!.Value.Value, $"{path}: known {value.Value.Value ?? "null"}, document {expected ?? "null"}");
            }
        }
    }

    [Fact]
    public void NdjsonSink_WritesTheBytes_AndSequenceAlertsStillSerialiseTheirDocument()
    {
        var alert = Assert.Single(Detect(EventLines[0], string.Empty));
        var fromDocument = new Alert(alert.Id, alert.Rule, alert.Event, alert.Index, alert.Document);
        Assert.Null(fromDocument.PrebuiltJson);
        using var stream = new MemoryStream();
        using (var sink = new NdjsonAlertSink(stream, ownsStream: false))
        {
            sink.Write(alert);
            sink.Write(fromDocument);
        }
        var lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(lines[0], lines[1]);
        Assert.Equal(Encoding.UTF8.GetString(alert.Json.Span), lines[0]);
    }

    [Fact]
    public void Store_KeepsTheWrittenDocumentAndItsColumns()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-alertjson-");
        try
        {
            var path = Path.Combine(dir.FullName, "alerts.db");
            var alert = Assert.Single(Detect(EventLines[0], RuleExtras[1]));
            var otherPath = Path.Combine(dir.FullName, "other.db");
            using (var store = AlertStore.Open(path))
            {
                store.Write(alert);
            }
            // The same alert through its document object (built only now), into another store.
            var viaDocument = new Alert(alert.Id, alert.Rule, alert.Event, alert.Index, alert.Document);
            using (var store = AlertStore.Open(otherPath))
            {
                store.Write(viaDocument);
            }
            using var a = AlertStore.Open(path);
            using var b = AlertStore.Open(otherPath);
            var stored = Assert.Single(a.List(new AlertQuery { IncludeBuildingBlocks = true }));
            var expected = Assert.Single(b.List(new AlertQuery { IncludeBuildingBlocks = true }));
            Assert.Equal(expected with { CreatedAt = stored.CreatedAt }, stored);
            Assert.Equal(expected.DocumentJson, stored.DocumentJson);
            Assert.Equal("node-1", stored.Host);
            Assert.True(stored.BuildingBlock);
            // The document is bound as UTF-8 bytes but stored as text, so SQLite's JSON functions read it.
            foreach (var file in new[] { path, otherPath })
            {
                using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT typeof(document), json_extract(document, '$.\"kibana.alert.uuid\"') FROM alerts";
                using var reader = cmd.ExecuteReader();
                Assert.True(reader.Read());
                Assert.Equal("text", reader.GetString(0));
                Assert.Equal(alert.Id, reader.GetString(1));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Store_ReadsBackAlertsOfEventsNestedAsDeepAsTheReaderAccepts()
    {
        // The event reader accepts 256 levels; the store once wrote such alerts (or failed to) with a limit of 64.
        var nested = "1";
        for (var i = 0; i < 200; i++)
        {
            nested = "{\"a\":" + nested + "}";
        }
        var line = EventLines[0][..^1] + ",\"labels\":" + nested + "}";
        var dir = Directory.CreateTempSubdirectory("vigil-alertjson-");
        try
        {
            var alert = Assert.Single(Detect(line, string.Empty));
            var viaDocument = new Alert(alert.Id, alert.Rule, alert.Event, alert.Index, Assert.Single(Detect(line, string.Empty)).Document);
            foreach (var (name, written) in new[] { ("fast.db", alert), ("object.db", viaDocument) })
            {
                var path = Path.Combine(dir.FullName, name);
                using (var store = AlertStore.Open(path))
                {
                    store.Write(written);
                }
                using var reopened = AlertStore.Open(path);
                var stored = Assert.Single(reopened.List(new AlertQuery()));
                Assert.True(stored.TryDocument(out var doc, out var error), error);
                Assert.Equal(alert.Id, doc["kibana.alert.uuid"]!.GetValue<string>());
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
