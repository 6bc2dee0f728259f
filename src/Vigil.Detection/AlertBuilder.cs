using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>Builds alert documents in the shape Kibana's security solution writes for single-event EQL alerts.</summary>
internal static class AlertBuilder
{
    /// <summary>A single-event alert.</summary>
    /// <remarks>
    /// The document is written straight to JSON (see <see cref="Write"/>): the rule's fields are copied as bytes serialised once
    /// per rule instead of being cloned into every document. <see cref="Alert.Document"/> builds the same document as an
    /// object (<see cref="BuildDocument"/>) when something asks for it.
    /// </remarks>
    public static Alert Build(ActiveRule active, EventRecord e, string? index, DetectionOptions options, RuleExecution execution)
    {
        var source = e.ToJsonObject();
        var (eventId, alertId, originalTime) = Identify(active, e, index, options, source);
        var doc = Clean(source);
        var now = Timestamp(execution);
        var json = Write(doc, active, options, execution, now, eventId, alertId, originalTime, index);
        return new Alert(alertId, active, e, index, json, () => BuildDocument(active, e, index, options, execution), new Alert.FastFacts(originalTime, now, [.. Alert.SourcePaths.Select(p => Alert.Text(doc, p))]));
    }

    /// <summary>The document of a single-event alert as an object: what <see cref="Build"/> writes as JSON.</summary>
    internal static JsonObject BuildDocument(ActiveRule active, EventRecord e, string? index, DetectionOptions options, RuleExecution execution)
    {
        var source = e.ToJsonObject();
        var (eventId, alertId, originalTime) = Identify(active, e, index, options, source);
        var doc = Clean(source);
        var ancestors = new JsonArray(Ancestor(eventId, index));
        AddAlertFields(doc, active, options, execution, alertId, originalTime, ancestors, depth: 1);
        return doc;
    }

    private static (string EventId, string AlertId, string? OriginalTime) Identify(ActiveRule active, EventRecord e, string? index, DetectionOptions options, JsonObject source)
    {
        var eventId = JsonFlattener.GetText(source, "_id") ?? DeriveEventId(e);
        var version = JsonFlattener.GetText(source, "_version") ?? "undefined";
        var alertId = AlertId(index ?? string.Empty, eventId, version, options.SpaceId, active.Uuid);
        return (eventId, alertId, JsonFlattener.GetText(source, "@timestamp"));
    }

    private static string Timestamp(RuleExecution execution) =>
        execution.StartedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Writes what <see cref="AddAlertFields"/> makes of the cleaned event <paramref name="doc"/>, key for key in the same order:
    /// the event's members (its <c>@timestamp</c> replaced in place), then the alert fields, those that do not change from
    /// alert to alert copied from the rule's <see cref="RuleFields.Template"/>.
    /// </summary>
    private static byte[] Write(JsonObject doc, ActiveRule active, DetectionOptions options, RuleExecution execution, string now, string eventId, string alertId, string? originalTime, string? index)
    {
        var buffer = t_buffer ??= new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, Alert.WriterOptions);
        w.Reset(buffer);
        w.WriteStartObject();
        var hasTimestamp = false;
        foreach (var (key, value) in doc)
        {
            w.WritePropertyName(key);
            if (key == "@timestamp")
            {
                hasTimestamp = true;
                w.WriteStringValue(now);
            }
            else if (value is null)
            {
                w.WriteNullValue();
            }
            else
            {
                value.WriteTo(w);
            }
        }
        if (!hasTimestamp)
        {
            w.WriteString("@timestamp", now);
        }
        string? reason = null;
        foreach (var (name, key, raw) in active.AlertFields.Template)
        {
            if (raw is not null)
            {
                w.WritePropertyName(name);
                w.WriteRawValue(raw, skipInputValidation: true);
                continue;
            }
            switch (key)
            {
                case "@timestamp" or "event.kind":
                    // Written with the event's members (Clean added event.kind, with the same value).
                    break;
                case "kibana.alert.original_time":
                    if (originalTime is not null)
                    {
                        w.WriteString(name, originalTime);
                    }
                    break;
                case "kibana.alert.ancestors":
                    w.WritePropertyName(name);
                    w.WriteStartArray();
                    Ancestor(eventId, index).WriteTo(w);
                    w.WriteEndArray();
                    break;
                case "kibana.alert.depth":
                    w.WriteNumber(name, 1);
                    break;
                case "kibana.alert.reason":
                    reason ??= Reason(doc, active.AlertFields.Severity, active.Rule.Name);
                    w.WriteString(name, reason);
                    break;
                case "kibana.alert.rule.execution.type":
                    w.WriteString(name, execution.Type);
                    break;
                case "kibana.alert.rule.execution.uuid":
                    w.WriteString(name, execution.Uuid);
                    break;
                case "kibana.alert.rule.execution.timestamp" or "kibana.alert.intended_timestamp" or "kibana.alert.start" or "kibana.alert.last_detected":
                    w.WriteString(name, now);
                    break;
                case "kibana.alert.uuid":
                    w.WriteString(name, alertId);
                    break;
                case "kibana.space_ids":
                    w.WritePropertyName(name);
                    w.WriteStartArray();
                    w.WriteStringValue(options.SpaceId);
                    w.WriteEndArray();
                    break;
                case "kibana.version":
                    w.WriteString(name, options.KibanaVersion);
                    break;
                default:
                    throw new InvalidOperationException($"alert field {key} has no writer");
            }
        }
        w.WriteEndObject();
        w.Flush();
        var json = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
        {
            // One huge event must not pin its buffer to the thread for the rest of the run.
            t_buffer = null;
            t_writer = null;
        }
        return json;
    }

    /// <summary>Writer buffers up to this size are kept by their thread for the next alert.</summary>
    private const int MaxKeptBuffer = 1 << 20;

    /// <summary>
    /// A sequence (or sample) result as Kibana writes it: one building-block alert per event, then a shell alert holding the
    /// fields all events share. Ids follow Kibana's formulas, so the same events in the same order always give the same ids.
    /// The shell comes first. Placeholders of missing-event stages produce no document.
    /// </summary>
    public static List<Alert> BuildSequence(ActiveRule active, IReadOnlyList<(EventRecord Event, string? Index)> events, DetectionOptions options, RuleExecution execution)
    {
        var sources = new List<JsonObject>();
        var eventIds = new List<string>();
        var baseId = new StringBuilder();
        foreach (var (e, index) in events)
        {
            var source = e.ToJsonObject();
            var id = JsonFlattener.GetText(source, "_id") ?? DeriveEventId(e);
            eventIds.Add(id);
            sources.Add(source);
            // Kibana's generateBuildingBlockIds: each block contributes its ancestors' id+index, then the rule uuid.
            baseId.Append(id).Append(index ?? string.Empty).Append(active.Uuid);
        }
        var blockIds = Enumerable.Range(0, events.Count)
            .Select(i => Sha256Hex(baseId + i.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        var shellAncestors = new JsonArray();
        var shellKey = new StringBuilder();
        for (var i = 0; i < events.Count; i++)
        {
            var index = events[i].Index ?? string.Empty;
            shellAncestors.Add(Ancestor(eventIds[i], events[i].Index));
            shellAncestors.Add(new JsonObject { ["id"] = blockIds[i], ["type"] = "signal", ["index"] = string.Empty, ["depth"] = 1, ["rule"] = active.Uuid });
            shellKey.Append(eventIds[i]).Append(index).Append(blockIds[i]);
        }
        shellKey.Append(active.Uuid);
        var shellId = Sha256Hex(shellKey.ToString());

        // The shell holds what every event shares. Events are compared field by field (dotted paths), so an event written with
        // dotted keys and one written with nested objects still share their common values.
        var shellDoc = Clean(Expand(IntersectFields(sources.Select(JsonFlattener.Flatten).ToList())));
        var cleaned = sources.Select(Clean).ToList();
        var blocks = new List<Alert>();
        for (var i = 0; i < events.Count; i++)
        {
            var doc = cleaned[i];
            var originalTime = JsonFlattener.GetText(sources[i], "@timestamp");
            AddAlertFields(doc, active, options, execution, blockIds[i], originalTime, new JsonArray(Ancestor(eventIds[i], events[i].Index)), depth: 1);
            doc["kibana.alert.building_block_type"] = "default";
            doc["kibana.alert.group.id"] = shellId;
            doc["kibana.alert.group.index"] = i;
            blocks.Add(new Alert(blockIds[i], active, events[i].Event, events[i].Index, doc));
        }
        var firstTime = JsonFlattener.GetText(sources[0], "@timestamp");
        AddAlertFields(shellDoc, active, options, execution, shellId, firstTime, shellAncestors, depth: 2);
        shellDoc["kibana.alert.group.id"] = shellId;
        var result = new List<Alert> { new(shellId, active, events[0].Event, events[0].Index, shellDoc) };
        result.AddRange(blocks);
        return result;
    }

    private static JsonObject Ancestor(string eventId, string? index) => new()
    {
        ["id"] = eventId,
        ["type"] = "event",
        ["index"] = index ?? string.Empty,
        ["depth"] = 0,
    };

    private static List<KeyValuePair<string, JsonNode?>> IntersectFields(List<List<KeyValuePair<string, JsonNode?>>> docs)
    {
        var others = docs.Skip(1).Select(d => d.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal)).ToList();
        var result = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var (path, value) in docs[0])
        {
            var values = new List<JsonNode?> { value };
            foreach (var other in others)
            {
                values.Add(other.TryGetValue(path, out var v) ? v : null);
            }
            if (Intersect(values) is { } common)
            {
                result.Add(new(path, common));
            }
        }
        return result;
    }

    /// <summary>Turns dotted paths back into nested objects.</summary>
    private static JsonObject Expand(List<KeyValuePair<string, JsonNode?>> fields)
    {
        var root = new JsonObject();
        foreach (var (path, value) in fields)
        {
            var parts = path.Split('.');
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (node[parts[i]] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[parts[i]] = child;
                }
                node = child;
            }
            node[parts[^1]] = value?.DeepClone();
        }
        return root;
    }

    /// <summary>
    /// Kibana's objectArrayIntersection: keeps keys whose values are equal in every document, intersects arrays and drops
    /// differing scalars.
    /// </summary>
    internal static JsonNode? Intersect(IReadOnlyList<JsonNode?> nodes)
    {
        if (nodes.Count == 0 || nodes.Any(n => n is null))
        {
            return null;
        }
        if (nodes.All(n => n is JsonObject))
        {
            var first = (JsonObject)nodes[0]!;
            var result = new JsonObject();
            foreach (var (key, _) in first)
            {
                var values = nodes.Select(n => ((JsonObject)n!).TryGetPropertyValue(key, out var v) ? v : null).ToList();
                if (values.Any(v => v is null))
                {
                    continue;
                }
                if (Intersect(values) is { } merged)
                {
                    result[key] = merged.DeepClone();
                }
            }
            return result.Count == 0 ? null : result;
        }
        if (nodes.All(n => n is JsonArray))
        {
            var common = ((JsonArray)nodes[0]!).Where(item => nodes.Skip(1).All(other => ((JsonArray)other!).Any(x => JsonNode.DeepEquals(x, item)))).ToList();
            return common.Count == 0 ? null : new JsonArray(common.Select(x => x?.DeepClone()).ToArray());
        }
        return nodes.Skip(1).All(n => JsonNode.DeepEquals(n, nodes[0])) ? nodes[0]!.DeepClone() : null;
    }

    /// <summary>Kibana's traverseAndMutateDoc: the event minus alert-owned keys, with <c>event.*</c> copied to the original-event fields.</summary>
    private static JsonObject Clean(JsonObject source)
    {
        // Only paths under event and data_stream are copied below: the rest of the event need not be walked.
        var flat = JsonFlattener.FlattenMembers(source, IsOriginalFieldRoot);
        foreach (var key in source.Select(p => p.Key).ToArray())
        {
            if (IsAlertOwned(key))
            {
                source.Remove(key);
            }
        }
        JsonFlattener.Remove(source, "event.kind");
        var doc = source;
        doc["event.kind"] = "signal";
        foreach (var (path, value) in flat)
        {
            if (path.StartsWith("event.", StringComparison.Ordinal))
            {
                doc["kibana.alert.original_event." + path["event.".Length..]] = value?.DeepClone();
            }
            else if (path.StartsWith("data_stream.", StringComparison.Ordinal))
            {
                doc["kibana.alert.original_data_stream." + path["data_stream.".Length..]] = value?.DeepClone();
            }
        }
        return doc;
    }

    /// <summary>Top-level keys of an event that an alert drops (alert-owned and metadata keys).</summary>
    internal static bool IsAlertOwned(string key) =>
        key.StartsWith("kibana", StringComparison.Ordinal) || key.StartsWith("signal", StringComparison.Ordinal)
        || key is "threshold_result" or "_id" or "_index" or "_version" or "_source";

    private static bool IsOriginalFieldRoot(string key) =>
        key is "event" or "data_stream" || key.StartsWith("event.", StringComparison.Ordinal) || key.StartsWith("data_stream.", StringComparison.Ordinal);

    private static void AddAlertFields(JsonObject doc, ActiveRule active, DetectionOptions options, RuleExecution execution, string alertId, string? originalTime, JsonArray ancestors, int depth) =>
        SetAlertFields(doc, active, active.AlertFields, options, execution, alertId, originalTime, ancestors, depth);

    private static void SetAlertFields(JsonObject doc, ActiveRule active, RuleFields fields, DetectionOptions options, RuleExecution execution, string alertId, string? originalTime, JsonArray ancestors, int depth)
    {
        var rule = active.Rule;
        doc["@timestamp"] = Timestamp(execution);
        doc["event.kind"] = "signal";
        if (originalTime is not null)
        {
            doc["kibana.alert.original_time"] = originalTime;
        }
        doc["kibana.alert.ancestors"] = ancestors;
        doc["kibana.alert.depth"] = depth;
        doc["kibana.alert.status"] = "active";
        doc["kibana.alert.workflow_status"] = "open";
        doc["kibana.alert.workflow_tags"] = new JsonArray();
        doc["kibana.alert.workflow_assignee_ids"] = new JsonArray();
        var severity = fields.Severity;
        doc["kibana.alert.severity"] = severity;
        doc["kibana.alert.risk_score"] = rule.RiskScore;
        doc["kibana.alert.reason"] = Reason(doc, severity, rule.Name);
        if (rule.BuildingBlockType is { } bbt)
        {
            doc["kibana.alert.building_block_type"] = bbt;
        }
        doc["kibana.alert.rule.name"] = rule.Name;
        doc["kibana.alert.rule.rule_id"] = rule.RuleId;
        doc["kibana.alert.rule.uuid"] = active.Uuid;
        doc["kibana.alert.rule.description"] = rule.Description;
        doc["kibana.alert.rule.severity"] = severity;
        doc["kibana.alert.rule.risk_score"] = rule.RiskScore;
        doc["kibana.alert.rule.tags"] = fields.Tags.DeepClone();
        doc["kibana.alert.rule.threat"] = fields.Threat.DeepClone();
        doc["kibana.alert.rule.type"] = "eql";
        doc["kibana.alert.rule.rule_type_id"] = "siem.eqlRule";
        doc["kibana.alert.rule.category"] = "Event Correlation Rule";
        doc["kibana.alert.rule.producer"] = "siem";
        doc["kibana.alert.rule.consumer"] = "siem";
        doc["kibana.alert.rule.interval"] = rule.EffectiveInterval;
        doc["kibana.alert.rule.from"] = rule.EffectiveFrom;
        doc["kibana.alert.rule.to"] = rule.EffectiveTo;
        doc["kibana.alert.rule.indices"] = fields.Indices.DeepClone();
        doc["kibana.alert.rule.max_signals"] = rule.EffectiveMaxSignals;
        if (rule.TimestampOverride is { } tso)
        {
            doc["kibana.alert.rule.timestamp_override"] = tso;
        }
        doc["kibana.alert.rule.author"] = fields.Author.DeepClone();
        doc["kibana.alert.rule.false_positives"] = fields.FalsePositives.DeepClone();
        doc["kibana.alert.rule.references"] = fields.References.DeepClone();
        if (rule.License is { } license)
        {
            doc["kibana.alert.rule.license"] = license;
        }
        if (rule.Note is { } note)
        {
            doc["kibana.alert.rule.note"] = note;
        }
        doc["kibana.alert.rule.version"] = rule.Version ?? 1;
        doc["kibana.alert.rule.revision"] = rule.Revision ?? 0;
        doc["kibana.alert.rule.immutable"] = false;
        doc["kibana.alert.rule.enabled"] = rule.Enabled ?? true;
        doc["kibana.alert.rule.parameters"] = fields.Parameters?.DeepClone();
        doc["kibana.alert.rule.execution.type"] = execution.Type;
        doc["kibana.alert.rule.execution.uuid"] = execution.Uuid;
        doc["kibana.alert.rule.execution.timestamp"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.intended_timestamp"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.start"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.last_detected"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.uuid"] = alertId;
        doc["kibana.space_ids"] = JsonValues.Strings([options.SpaceId]);
        doc["kibana.version"] = options.KibanaVersion;
    }

    /// <summary>
    /// A rule's alert fields that do not change from alert to alert, converted to JSON once; each alert takes copies (a JSON
    /// node belongs to one document). Converting the parameters, threat and lists for every alert was most of the time and
    /// memory an alert cost.
    /// </summary>
    internal sealed class RuleFields
    {
        public required string Severity { get; init; }

        public required JsonArray Tags { get; init; }

        public required JsonArray Threat { get; init; }

        public required JsonArray Indices { get; init; }

        public required JsonArray Author { get; init; }

        public required JsonArray FalsePositives { get; init; }

        public required JsonArray References { get; init; }

        public required JsonNode? Parameters { get; init; }

        /// <summary>
        /// The alert fields in document order: the name, and the value serialised once when it is the same in every alert of
        /// the rule (otherwise null, and <see cref="Write"/> writes it per alert).
        /// </summary>
        public (JsonEncodedText Name, string Key, byte[]? Raw)[] Template { get; private set; } = [];

        /// <summary>Fields <see cref="AddAlertFields"/> sets per alert or per execution; every other one depends on the rule alone.</summary>
        private static readonly HashSet<string> PerAlert = new(StringComparer.Ordinal)
        {
            "@timestamp", "event.kind", "kibana.alert.original_time", "kibana.alert.ancestors", "kibana.alert.depth",
            "kibana.alert.reason", "kibana.alert.rule.execution.type", "kibana.alert.rule.execution.uuid",
            "kibana.alert.rule.execution.timestamp", "kibana.alert.intended_timestamp", "kibana.alert.start",
            "kibana.alert.last_detected", "kibana.alert.uuid", "kibana.space_ids", "kibana.version",
        };

        public static RuleFields Of(ActiveRule active)
        {
            var fields = Of(active.Rule);
            // The rule's fields as AddAlertFields sets them (placeholders for the rest), so that order and values are its own.
            var probe = new JsonObject();
            SetAlertFields(probe, active, fields, new DetectionOptions(), new RuleExecution(string.Empty, DateTimeOffset.UnixEpoch, string.Empty), string.Empty, string.Empty, [], depth: 1);
            fields.Template = [.. probe.Select(p => (JsonEncodedText.Encode(p.Key, Alert.WriterOptions.Encoder), p.Key, PerAlert.Contains(p.Key) ? null : Alert.Serialize(p.Value)))];
            return fields;
        }

        private static RuleFields Of(DetectionRule rule) => new()
        {
            Severity = rule.Severity.ToString().ToLowerInvariant(),
            Tags = JsonValues.Strings(rule.Tags),
            Threat = AlertBuilder.Threat(rule),
            Indices = JsonValues.Strings(rule.Index),
            Author = JsonValues.Strings(rule.Author),
            FalsePositives = JsonValues.Strings(rule.FalsePositives),
            References = JsonValues.Strings(rule.References),
            Parameters = JsonValues.From(rule.ToAlertParameters()),
        };
    }

    /// <summary>Kibana's <c>generateId</c>: sha256 hex of index, id, version and <c>space:ruleUuid</c>.</summary>
    internal static string AlertId(string index, string eventId, string version, string spaceId, string ruleUuid) =>
        Sha256Hex(index + eventId + version + spaceId + ":" + ruleUuid);

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Events without <c>_id</c> get a content hash, so the same line always yields the same alert id.</summary>
    internal static string DeriveEventId(EventRecord e) => Convert.ToHexStringLower(SHA256.HashData(e.Raw.Span))[..40];

    private static JsonArray Threat(DetectionRule rule) => new(rule.Threat.Select(t => (JsonNode?)new JsonObject
    {
        ["framework"] = t.Framework,
        ["tactic"] = new JsonObject { ["id"] = t.Tactic.Id, ["name"] = t.Tactic.Name, ["reference"] = t.Tactic.Reference },
        ["technique"] = new JsonArray(t.Techniques.Select(x => (JsonNode?)new JsonObject
        {
            ["id"] = x.Id,
            ["name"] = x.Name,
            ["reference"] = x.Reference,
            ["subtechnique"] = new JsonArray(x.Subtechniques.Select(s => (JsonNode?)new JsonObject
            {
                ["id"] = s.Id,
                ["name"] = s.Name,
                ["reference"] = s.Reference,
            }).ToArray()),
        }).ToArray()),
    }).ToArray());

    /// <summary>Kibana's reason template: "{category} event with process X, ... by U on H created {severity} alert {rule}."</summary>
    internal static string Reason(JsonObject source, string severity, string ruleName)
    {
        string? Join(string path)
        {
            var values = JsonFlattener.GetTexts(source, path).Where(v => v.Length > 0 && v != "-").ToList();
            return values.Count == 0 ? null : string.Join(", ", values);
        }
        var sb = new StringBuilder();
        if (Join("event.category") is { } category)
        {
            sb.Append(category).Append(' ');
        }
        sb.Append("event");
        var process = Join("process.name");
        var parent = Join("process.parent.name");
        var file = Join("file.name");
        var sourceIp = Join("source.ip");
        var sourcePort = Join("source.port");
        var destIp = Join("destination.ip");
        var destPort = Join("destination.port");
        if (process is not null || parent is not null || file is not null || sourceIp is not null || destIp is not null)
        {
            sb.Append(" with");
        }
        if (process is not null)
        {
            sb.Append(" process ").Append(process).Append(',');
        }
        if (parent is not null)
        {
            sb.Append(" parent process ").Append(parent).Append(',');
        }
        if (file is not null)
        {
            sb.Append(" file ").Append(file).Append(',');
        }
        if (sourceIp is not null)
        {
            sb.Append(" source ").Append(sourceIp);
            sb.Append(sourcePort is not null ? ":" + sourcePort + "," : string.Empty);
        }
        if (destIp is not null)
        {
            sb.Append(" destination ").Append(destIp);
            sb.Append(destPort is not null ? ":" + destPort + "," : string.Empty);
        }
        if (Join("user.name") is { } user)
        {
            sb.Append(" by ").Append(user);
        }
        if (Join("host.name") is { } host)
        {
            sb.Append(" on ").Append(host);
        }
        sb.Append(" created ").Append(severity).Append(" alert ").Append(ruleName).Append('.');
        return sb.ToString();
    }
}
