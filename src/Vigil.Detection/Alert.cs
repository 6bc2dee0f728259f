using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Events;

namespace Vigil.Detection;

/// <summary>An alert: the Kibana-shaped document and what it was built from.</summary>
/// <remarks>
/// A single-event alert found by the engine is written (as <see cref="Json"/>) on the thread that found it, from the event
/// and the rule's fields serialised once per rule; its <see cref="Document"/> object is built only when something asks for
/// it. Sinks write <see cref="Json"/>; the bytes are the document as <see cref="Document"/> serialises.
/// </remarks>
public sealed class Alert
{
    /// <summary>How alerts are serialised everywhere (NDJSON, bulk, the store, NATS): compact; '&amp;', '&lt;' and non-ASCII text kept as they are.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        MaxDepth = MaxDepth,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>How deep an alert document may nest: as deep as the events it is built from (see <see cref="DocumentOptions"/>).</summary>
    public const int MaxDepth = LenientJson.MaxDepth;

    /// <summary>For reading alert documents back (the store, the console): the depth they were written with.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    private readonly Func<JsonObject>? _build;
    private readonly FastFacts? _facts;
    private JsonObject? _document;
    private JsonObject? _source;

    /// <summary>An alert with its document.</summary>
    /// <param name="id">Deterministic alert id (<c>kibana.alert.uuid</c>).</param>
    /// <param name="rule">The rule that fired.</param>
    /// <param name="event">The source event.</param>
    /// <param name="index">The index the event was routed under (null when it carried none).</param>
    /// <param name="document">The alert document.</param>
    public Alert(string id, ActiveRule rule, EventRecord @event, string? index, JsonObject document)
        : this(id, rule, @event, index)
    {
        _document = document ?? throw new ArgumentNullException(nameof(document));
    }

    /// <summary>An alert written already: <paramref name="json"/> is its document, <paramref name="build"/> builds the same document as an object.</summary>
    internal Alert(string id, ActiveRule rule, EventRecord @event, string? index, byte[] json, Func<JsonObject> build, FastFacts facts)
        : this(id, rule, @event, index)
    {
        PrebuiltJson = json;
        _build = build;
        _facts = facts;
    }

    private Alert(string id, ActiveRule rule, EventRecord @event, string? index)
    {
        Id = id;
        Rule = rule;
        Event = @event;
        Index = index;
    }

    /// <summary>Deterministic alert id (<c>kibana.alert.uuid</c>).</summary>
    public string Id { get; }

    /// <summary>The rule that fired.</summary>
    public ActiveRule Rule { get; }

    /// <summary>The source event.</summary>
    public EventRecord Event { get; }

    /// <summary>The index the event was routed under (null when it carried none).</summary>
    public string? Index { get; }

    /// <summary>The alert document (built on first use for alerts the engine wrote directly).</summary>
    public JsonObject Document
    {
        get
        {
            if (_document is null)
            {
                Interlocked.CompareExchange(ref _document, _build!(), null);
            }
            return _document!;
        }
    }

    /// <summary>The bytes the engine wrote for this alert, when it wrote them (null for alerts made from a document).</summary>
    internal byte[]? PrebuiltJson { get; }

    /// <summary>The alert document as compact UTF-8 JSON, as every sink writes it.</summary>
    public ReadOnlyMemory<byte> Json => PrebuiltJson ?? Serialize(Document);

    /// <summary>Writes the document to <paramref name="writer"/> (which should use <see cref="WriterOptions"/>' encoder).</summary>
    internal void WriteTo(Utf8JsonWriter writer)
    {
        if (PrebuiltJson is { } json)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        else
        {
            Document.WriteTo(writer);
        }
    }

    /// <summary>A top-level field of the alert document as text (dotted alert keys, or a source field by path).</summary>
    public string? Field(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Known(path) is { } known)
        {
            return known.Value;
        }
        return Text(SourceFor(path) ?? Document, path);
    }

    /// <summary>All values of a field as text.</summary>
    public IReadOnlyList<string> Fields(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return JsonFlattener.GetTexts(SourceFor(path) ?? Document, path);
    }

    /// <summary>
    /// For an alert written directly and a path that is not the alert's own (no <c>kibana</c>, <c>signal</c>, <c>event</c>,
    /// <c>@timestamp</c> or metadata key), the source event, which answers such a path as the document would; otherwise null.
    /// </summary>
    private JsonObject? SourceFor(string path)
    {
        if (_document is not null || _facts is null)
        {
            return null;
        }
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        var root = dot < 0 ? path : path[..dot];
        if (root is "event" or "@timestamp" || AlertBuilder.IsAlertOwned(root))
        {
            return null;
        }
        if (_source is null)
        {
            Interlocked.CompareExchange(ref _source, Event.ToJsonObject(), null);
        }
        return _source;
    }

    /// <summary>An alert-level field of an alert written directly, without building its document; null when not known that way.</summary>
    internal KnownText? Known(string path)
    {
        if (_facts is not { } f || _document is not null)
        {
            return null;
        }
        var rule = Rule.Rule;
        return path switch
        {
            "kibana.alert.uuid" => new(Id),
            "kibana.alert.rule.rule_id" => new(rule.RuleId),
            "kibana.alert.rule.uuid" => new(Rule.Uuid),
            "kibana.alert.rule.name" => new(rule.Name),
            "kibana.alert.severity" or "kibana.alert.rule.severity" => new(Rule.AlertFields.Severity),
            "kibana.alert.risk_score" or "kibana.alert.rule.risk_score" => new(rule.RiskScore.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "kibana.alert.workflow_status" => new("open"),
            "kibana.alert.original_time" => new(f.OriginalTime),
            "@timestamp" => new(f.Timestamp),
            "kibana.alert.building_block_type" => new(rule.BuildingBlockType),
            "kibana.alert.rule.version" => new((rule.Version ?? 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "kibana.alert.group.id" or "kibana.alert.group.index" => new(null),
            _ => Array.IndexOf(SourcePaths, path) is var i and >= 0 ? new(f.Source[i]) : null,
        };
    }

    /// <summary>A node (null: JSON null) as alerts are serialised.</summary>
    internal static byte[] Serialize(JsonNode? node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>What an alert written directly knows without its document; <paramref name="Source"/> holds <see cref="SourcePaths"/>.</summary>
    internal sealed record FastFacts(string? OriginalTime, string Timestamp, string?[] Source);

    /// <summary>
    /// Source fields the store and the console read of every alert, taken when the alert is written (the event is parsed
    /// then anyway), so that reading them later parses nothing.
    /// </summary>
    internal static readonly string[] SourcePaths =
        ["host.name", "host.hostname", "host.id", "container.id", "user.name", "user.id", "process.name", "process.command_line"];

    /// <summary>A field as <see cref="Field"/> reads it from <paramref name="document"/>.</summary>
    internal static string? Text(JsonObject document, string path) =>
        document.TryGetPropertyValue(path, out var v) && v is JsonValue value ? value.ToString() : JsonFlattener.GetText(document, path);

    /// <summary>A field's text (null: the field is absent).</summary>
    internal readonly record struct KnownText(string? Value);
}
