using System.Text.Json;
using Vigil.Eql;

namespace Vigil.Eql.Tests;

/// <summary>An event built from JSON for tests: nested objects and dotted keys flatten to the same path.</summary>
internal sealed class TestEvent : IEqlEvent
{
    private readonly Dictionary<string, List<EqlValue>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _arrays = new(StringComparer.Ordinal);

    public TestEvent(string json)
    {
        Json = json;
        using var doc = JsonDocument.Parse(json);
        Walk(doc.RootElement, string.Empty);
    }

    /// <summary>The JSON the event was built from.</summary>
    public string Json { get; }

    private void Walk(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    Walk(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name);
                }
                break;
            case JsonValueKind.Array:
                _arrays.Add(path);
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item, path);
                }
                break;
            case JsonValueKind.String:
                Add(path, EqlValue.From(e.GetString()));
                break;
            case JsonValueKind.Number:
                Add(path, e.TryGetInt64(out var l) ? EqlValue.From(l) : EqlValue.From(e.GetDouble()));
                break;
            case JsonValueKind.True:
                Add(path, EqlValue.From(true));
                break;
            case JsonValueKind.False:
                Add(path, EqlValue.From(false));
                break;
        }
    }

    private void Add(string path, EqlValue v)
    {
        if (!_values.TryGetValue(path, out var list))
        {
            _values[path] = list = [];
        }
        list.Add(v);
    }

    public EqlValue Get(FieldRef field)
    {
        if (!_values.TryGetValue(field.Path, out var list))
        {
            return EqlValue.Null;
        }
        return list.Count == 1 && !_arrays.Contains(field.Path) ? list[0] : EqlValue.FromArray([.. list]);
    }

    public static bool Matches(string query, string json) => Eql.Compile(query).Matches(new TestEvent(json));
}
