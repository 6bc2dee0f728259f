using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Eql;
using Vigil.Eql.Execution;

namespace Vigil.Conformance;

/// <summary>How a suite's loader derives <c>@timestamp</c> from the data's <c>timestamp</c>.</summary>
internal enum TimestampMode
{
    /// <summary>Data carries <c>@timestamp</c> itself.</summary>
    AsIs,
    /// <summary><c>@timestamp</c> = <c>timestamp</c> / 10000 − 11644473600000 (Windows FILETIME to Unix ms).</summary>
    FileTime,
    /// <summary><c>@timestamp</c> = <c>timestamp</c> read as nanoseconds (first 12 digits ms); <c>timestamp</c> / 1,000,000.</summary>
    Nanos,
}

/// <summary>One TOML file of the Elasticsearch suite and the data it runs against.</summary>
internal sealed record EsSuite(string File, string[] Data, string[] Mappings, string? Tiebreaker, string IdField, TimestampMode Mode)
{
    public static readonly EsSuite[] All =
    [
        new("test_queries.toml", ["test_data.json"], ["data/endgame-140.mapping"], "serial_event_id", "serial_event_id", TimestampMode.FileTime),
        new("additional_test_queries.toml", ["test_data.json"], ["data/endgame-140.mapping"], "serial_event_id", "serial_event_id", TimestampMode.FileTime),
        new("test_queries_date.toml", ["test_data.json"], ["data/endgame-140.mapping"], "serial_event_id", "serial_event_id", TimestampMode.FileTime),
        new("test_queries_date_nanos.toml", ["test_data.json"], ["data/endgame-140-nanos.mapping"], "serial_event_id", "serial_event_id", TimestampMode.Nanos),
        new("test_extra.toml", ["data/extra.data"], ["data/extra.mapping"], "sequence", "sequence", TimestampMode.AsIs),
        new("test_missing_events.toml", ["data/missing-events.data"], ["data/missing-events.mapping"], "sequence", "sequence", TimestampMode.AsIs),
        new("test_sample.toml", ["data/sample1.data", "data/sample2.data", "data/sample3.data"],
            ["data/sample1.mapping", "data/sample2.mapping", "data/sample3.mapping"], null, "id", TimestampMode.AsIs),
        new("test_sample_multi.toml", ["data/sample-multi.data"], ["data/sample-multi.mapping"], null, "id", TimestampMode.AsIs),
    ];
}

/// <summary>A field as a mapping declares it.</summary>
internal sealed record FieldMapping(string Type, string? AliasOf, string? Format, JsonNode? NullValue);

/// <summary>
/// Loads a suite's data the way Elasticsearch's test loader indexes it: timestamps derived, mapping aliases copied,
/// <c>null_value</c> applied to explicit nulls, and date fields in custom formats normalised to ISO 8601 so that equal
/// instants join whatever index format they were written in.
/// </summary>
internal sealed class EsDataSet
{
    private EsDataSet(List<byte[]> events, IReadOnlyDictionary<string, EqlFieldType> types)
    {
        Events = events;
        FieldTypes = types;
    }

    public List<byte[]> Events { get; }

    public IReadOnlyDictionary<string, EqlFieldType> FieldTypes { get; }

    public static EsDataSet Load(string dir, EsSuite suite)
    {
        var events = new List<byte[]>();
        var types = new Dictionary<string, EqlFieldType>(StringComparer.Ordinal);
        for (var i = 0; i < suite.Data.Length; i++)
        {
            var mapping = LoadMapping(Path.Combine(dir, suite.Mappings[i]));
            foreach (var (path, m) in mapping)
            {
                if (MapType(m.Type) is { } t && path != "timestamp")
                {
                    types[path] = t;
                }
            }
            foreach (var (path, m) in mapping)
            {
                if (m.AliasOf is not null && types.TryGetValue(m.AliasOf, out var target))
                {
                    types[path] = target;
                }
            }
            var text = File.ReadAllText(Path.Combine(dir, suite.Data[i]));
            var docs = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                as JsonArray ?? throw new InvalidDataException($"{suite.Data[i]}: expected a JSON array");
            foreach (var node in docs)
            {
                if (node is JsonObject doc)
                {
                    Transform(doc, suite.Mode, mapping);
                    events.Add(Encoding.UTF8.GetBytes(doc.ToJsonString()));
                }
            }
        }
        return new EsDataSet(events, types);
    }

    private static EqlFieldType? MapType(string type) => type switch
    {
        "date" or "date_nanos" => EqlFieldType.Date,
        "ip" => EqlFieldType.Ip,
        "version" => EqlFieldType.Version,
        "long" or "integer" or "short" or "byte" or "double" or "float" or "half_float" or "scaled_float" or "unsigned_long" => EqlFieldType.Number,
        "boolean" => EqlFieldType.Boolean,
        "alias" => null,
        _ => EqlFieldType.Keyword,
    };

    private static void Transform(JsonObject doc, TimestampMode mode, Dictionary<string, FieldMapping> mapping)
    {
        switch (mode)
        {
            case TimestampMode.FileTime when doc["timestamp"] is JsonValue v && v.TryGetValue<long>(out var ft):
                doc["@timestamp"] = (ft / 10_000) - 11_644_473_600_000;
                break;
            case TimestampMode.Nanos when doc["timestamp"] is JsonValue v && v.TryGetValue<long>(out var ns):
            {
                var digits = ns.ToString(CultureInfo.InvariantCulture);
                var ms = long.Parse(digits[..Math.Min(12, digits.Length)], CultureInfo.InvariantCulture);
                var fraction = digits.Length > 12 ? digits[12..] : string.Empty;
                var nanos = (ms * 1_000_000) + (fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(6, '0')[..6], CultureInfo.InvariantCulture));
                doc["@timestamp"] = EqlTime.Format(nanos);
                doc["timestamp"] = ns / 1_000_000;
                break;
            }
        }
        foreach (var (path, m) in mapping)
        {
            if (m.NullValue is not null && doc.TryGetPropertyValue(path, out var existing) && existing is null)
            {
                doc[path] = m.NullValue.DeepClone();
            }
            if (m.Type is "date" or "date_nanos" && path != "@timestamp" && path != "timestamp" && doc[path] is { } value)
            {
                doc[path] = NormalizeDate(value, m.Format);
            }
        }
        foreach (var (path, m) in mapping)
        {
            if (m.AliasOf is not null && doc[m.AliasOf] is { } target && !doc.ContainsKey(path))
            {
                doc[path] = target.DeepClone();
            }
        }
    }

    private static JsonNode NormalizeDate(JsonNode value, string? format)
    {
        if (value is JsonArray array)
        {
            return new JsonArray(array.Select(x => x is null ? null : NormalizeDate(x, format)).ToArray());
        }
        if (value is JsonValue v)
        {
            if (v.TryGetValue<string>(out var s))
            {
                foreach (var f in (format ?? string.Empty).Split("||", StringSplitOptions.RemoveEmptyEntries))
                {
                    if (DateTime.TryParseExact(s, f, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt))
                    {
                        return JsonValue.Create(EqlTime.Format((dt - DateTime.UnixEpoch).Ticks * 100))!;
                    }
                }
                if (EqlTime.TryParse(s, out var nanos))
                {
                    return JsonValue.Create(EqlTime.Format(nanos))!;
                }
            }
            else if (v.TryGetValue<long>(out var ms))
            {
                return JsonValue.Create(EqlTime.Format(ms * 1_000_000))!;
            }
        }
        return value.DeepClone();
    }

    public static Dictionary<string, FieldMapping> LoadMapping(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !l.TrimStart().StartsWith('#'));
        var root = JsonNode.Parse(string.Join('\n', lines), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip })
            as JsonObject ?? throw new InvalidDataException($"{path}: not a mapping");
        var result = new Dictionary<string, FieldMapping>(StringComparer.Ordinal);
        Walk(root["properties"] as JsonObject, string.Empty, result);
        return result;
    }

    private static void Walk(JsonObject? properties, string prefix, Dictionary<string, FieldMapping> result)
    {
        if (properties is null)
        {
            return;
        }
        foreach (var (name, node) in properties)
        {
            if (node is not JsonObject field)
            {
                continue;
            }
            var path = prefix + name;
            if (field["properties"] is JsonObject nested)
            {
                Walk(nested, path + ".", result);
                continue;
            }
            var type = field["type"]?.GetValue<string>() ?? "object";
            result[path] = new FieldMapping(type, type == "alias" ? field["path"]?.GetValue<string>() : null, field["format"]?.GetValue<string>(), field["null_value"]?.DeepClone());
        }
    }
}
