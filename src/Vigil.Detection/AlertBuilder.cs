using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>Builds alert documents in the shape Kibana's security solution writes for single-event EQL alerts.</summary>
internal static class AlertBuilder
{
    public static Alert Build(ActiveRule active, EventRecord e, string? index, DetectionOptions options, DateTimeOffset now)
    {
        var rule = active.Rule;
        var source = e.ToJsonObject();
        var eventId = JsonFlattener.GetText(source, "_id") ?? DeriveEventId(e);
        var version = JsonFlattener.GetText(source, "_version") ?? "undefined";
        var alertId = AlertId(index ?? string.Empty, eventId, version, options.SpaceId, active.Uuid);

        var flat = JsonFlattener.Flatten(source);
        var originalTime = JsonFlattener.GetText(source, "@timestamp");

        // Kibana's traverseAndMutateDoc: drop alert-owned and metadata keys from the copied source.
        foreach (var key in source.Select(p => p.Key).ToArray())
        {
            if (key.StartsWith("kibana", StringComparison.Ordinal) || key.StartsWith("signal", StringComparison.Ordinal)
                || key is "threshold_result" or "_id" or "_index" or "_version" or "_source")
            {
                source.Remove(key);
            }
        }
        JsonFlattener.Remove(source, "event.kind");

        var doc = source;
        doc["@timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
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
        if (originalTime is not null)
        {
            doc["kibana.alert.original_time"] = originalTime;
        }
        doc["kibana.alert.ancestors"] = new JsonArray(new JsonObject
        {
            ["id"] = eventId,
            ["type"] = "event",
            ["index"] = index ?? string.Empty,
            ["depth"] = 0,
        });
        doc["kibana.alert.depth"] = 1;
        doc["kibana.alert.status"] = "active";
        doc["kibana.alert.workflow_status"] = "open";
        doc["kibana.alert.workflow_tags"] = new JsonArray();
        doc["kibana.alert.workflow_assignee_ids"] = new JsonArray();
        var severity = rule.Severity.ToString().ToLowerInvariant();
        doc["kibana.alert.severity"] = severity;
        doc["kibana.alert.risk_score"] = rule.RiskScore;
        doc["kibana.alert.reason"] = Reason(source, severity, rule.Name);
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
        doc["kibana.alert.rule.tags"] = JsonValues.Strings(rule.Tags);
        doc["kibana.alert.rule.threat"] = Threat(rule);
        doc["kibana.alert.rule.type"] = "eql";
        doc["kibana.alert.rule.rule_type_id"] = "siem.eqlRule";
        doc["kibana.alert.rule.category"] = "Event Correlation Rule";
        doc["kibana.alert.rule.producer"] = "siem";
        doc["kibana.alert.rule.consumer"] = "siem";
        doc["kibana.alert.rule.interval"] = rule.EffectiveInterval;
        doc["kibana.alert.rule.from"] = rule.EffectiveFrom;
        doc["kibana.alert.rule.to"] = rule.EffectiveTo;
        doc["kibana.alert.rule.indices"] = JsonValues.Strings(rule.Index);
        doc["kibana.alert.rule.max_signals"] = rule.EffectiveMaxSignals;
        if (rule.TimestampOverride is { } tso)
        {
            doc["kibana.alert.rule.timestamp_override"] = tso;
        }
        doc["kibana.alert.rule.author"] = JsonValues.Strings(rule.Author);
        doc["kibana.alert.rule.false_positives"] = JsonValues.Strings(rule.FalsePositives);
        doc["kibana.alert.rule.references"] = JsonValues.Strings(rule.References);
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
        doc["kibana.alert.rule.parameters"] = JsonValues.From(rule.ToAlertParameters());
        doc["kibana.alert.rule.execution.type"] = options.ExecutionType;
        doc["kibana.alert.rule.execution.timestamp"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.intended_timestamp"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.start"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.last_detected"] = doc["@timestamp"]!.DeepClone();
        doc["kibana.alert.uuid"] = alertId;
        doc["kibana.space_ids"] = JsonValues.Strings([options.SpaceId]);
        doc["kibana.version"] = options.KibanaVersion;
        return new Alert(alertId, active, e, index, doc);
    }

    /// <summary>Kibana's <c>generateId</c>: sha256 hex of index, id, version and <c>space:ruleUuid</c>.</summary>
    internal static string AlertId(string index, string eventId, string version, string spaceId, string ruleUuid) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(index + eventId + version + spaceId + ":" + ruleUuid)));

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
