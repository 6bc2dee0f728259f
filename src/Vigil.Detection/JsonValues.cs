using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Vigil.Detection;

/// <summary>Converts the rule model's plain values (strings, numbers, booleans, lists, tables) into JSON nodes.</summary>
internal static class JsonValues
{
    public static JsonNode? From(object? value) => value switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        decimal m => JsonValue.Create(m),
        DateTime dt => JsonValue.Create(dt.ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset dto => JsonValue.Create(dto.ToString("O", CultureInfo.InvariantCulture)),
        IReadOnlyDictionary<string, object?> table => Object(table),
        IDictionary dict => Object(dict.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => dict[k])),
        IEnumerable list => new JsonArray(list.Cast<object?>().Select(From).ToArray()),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    private static JsonObject Object(IEnumerable<KeyValuePair<string, object?>> table)
    {
        var o = new JsonObject();
        foreach (var (k, v) in table)
        {
            o[k] = From(v);
        }
        return o;
    }

    public static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
}
