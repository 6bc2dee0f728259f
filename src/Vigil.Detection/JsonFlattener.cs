using System.Text.Json.Nodes;

namespace Vigil.Detection;

/// <summary>Reads a JSON event by dotted path, treating nested objects and dotted keys as the same field.</summary>
internal static class JsonFlattener
{
    /// <summary>Every leaf of <paramref name="obj"/> by dotted path (arrays are leaves), in document order.</summary>
    public static List<KeyValuePair<string, JsonNode?>> Flatten(JsonObject obj)
    {
        var result = new List<KeyValuePair<string, JsonNode?>>();
        Walk(obj, string.Empty, result);
        return result;
    }

    /// <summary>
    /// As <see cref="Flatten"/>, restricted to the top-level members whose key <paramref name="include"/> accepts (the
    /// leaves below them), without walking the rest of the document.
    /// </summary>
    public static List<KeyValuePair<string, JsonNode?>> FlattenMembers(JsonObject obj, Func<string, bool> include)
    {
        var result = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var (key, value) in obj)
        {
            if (!include(key))
            {
                continue;
            }
            if (value is JsonObject child)
            {
                Walk(child, key, result);
            }
            else
            {
                result.Add(new(key, value));
            }
        }
        return result;
    }

    private static void Walk(JsonObject obj, string prefix, List<KeyValuePair<string, JsonNode?>> result)
    {
        foreach (var (key, value) in obj)
        {
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            if (value is JsonObject child)
            {
                Walk(child, path, result);
            }
            else
            {
                result.Add(new(path, value));
            }
        }
    }

    /// <summary>The values at <paramref name="path"/> (several when nested and dotted forms both occur, or through arrays of objects).</summary>
    public static IEnumerable<JsonNode?> Get(JsonObject obj, string path)
    {
        var found = new List<JsonNode?>();
        Collect(obj, path, 0, found);
        return found;
    }

    /// <summary>Adds the values at <c>path[start..]</c> below <paramref name="obj"/> to <paramref name="found"/>, in document order.</summary>
    private static void Collect(JsonObject obj, string path, int start, List<JsonNode?> found)
    {
        var rest = path.AsSpan(start);
        foreach (var (key, value) in obj)
        {
            if (rest.SequenceEqual(key))
            {
                found.Add(value);
            }
            else if (rest.Length > key.Length && rest[key.Length] == '.' && rest.StartsWith(key, StringComparison.Ordinal))
            {
                switch (value)
                {
                    case JsonObject o:
                        Collect(o, path, start + key.Length + 1, found);
                        break;
                    case JsonArray a:
                        foreach (var item in a)
                        {
                            if (item is JsonObject c)
                            {
                                Collect(c, path, start + key.Length + 1, found);
                            }
                        }
                        break;
                }
            }
        }
    }

    /// <summary>The first non-null scalar at <paramref name="path"/> as text, or null.</summary>
    public static string? GetText(JsonObject obj, string path)
    {
        foreach (var v in Get(obj, path))
        {
            switch (v)
            {
                case JsonValue s:
                    return s.ToString();
                case JsonArray a when a.Count > 0 && a[0] is JsonValue first:
                    return first.ToString();
            }
        }
        return null;
    }

    /// <summary>All scalar values at <paramref name="path"/> as text (arrays expanded).</summary>
    public static List<string> GetTexts(JsonObject obj, string path)
    {
        var list = new List<string>();
        foreach (var v in Get(obj, path))
        {
            switch (v)
            {
                case JsonValue s:
                    list.Add(s.ToString());
                    break;
                case JsonArray a:
                    list.AddRange(a.OfType<JsonValue>().Select(x => x.ToString()));
                    break;
            }
        }
        return list;
    }

    /// <summary>Removes <paramref name="path"/> wherever it occurs (nested or dotted).</summary>
    public static void Remove(JsonObject obj, string path)
    {
        foreach (var key in obj.Select(p => p.Key).ToArray())
        {
            if (string.Equals(key, path, StringComparison.Ordinal))
            {
                obj.Remove(key);
            }
            else if (path.Length > key.Length && path[key.Length] == '.' && path.StartsWith(key, StringComparison.Ordinal) && obj[key] is JsonObject child)
            {
                Remove(child, path[(key.Length + 1)..]);
            }
        }
    }
}
