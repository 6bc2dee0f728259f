using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>
/// The exception items of one rule, evaluated the way Kibana's exception filter evaluates them in Elasticsearch: an event is
/// excepted when all entries of at least one item hold. Entries read the fully parsed event: exceptions only ever run on
/// events that already matched a rule (or, for sequence rules, passed one of its stage filters), so parsing there is cheap,
/// and a nested entry needs the objects of an array kept apart, which the projected field values do not keep.
/// </summary>
internal sealed class RuleExceptions
{
    private readonly ExceptionItem[] _items;

    private RuleExceptions(ExceptionItem[] items) => _items = items;

    /// <summary>The items in force at <paramref name="now"/> (expired items no longer apply), or null when there are none.</summary>
    public static RuleExceptions? For(IReadOnlyList<ExceptionItem> items, DateTimeOffset now)
    {
        var live = items.Where(i => i.ExpireTime is not { } expire || expire > now).ToArray();
        return live.Length == 0 ? null : new RuleExceptions(live);
    }

    /// <summary>The items.</summary>
    public IReadOnlyList<ExceptionItem> Items => _items;

    /// <summary>The first item that excepts <paramref name="source"/>, or null.</summary>
    public ExceptionItem? Match(JsonObject source)
    {
        foreach (var item in _items)
        {
            if (ItemHolds(item, source))
            {
                return item;
            }
        }
        return null;
    }

    private static bool ItemHolds(ExceptionItem item, JsonObject source)
    {
        if (!item.OsTypes.IsEmpty)
        {
            // Kibana adds "host.os.type is X" (or the Endpoint's host.os.name.caseless) to the item's entries.
            var os = Values(source, "host.os.type").Concat(Values(source, "host.os.name.caseless"));
            if (!os.Any(v => v.Text is { } t && item.OsTypes.Contains(t, StringComparer.Ordinal)))
            {
                return false;
            }
        }
        foreach (var entry in item.Entries)
        {
            if (!EntryHolds(entry, source))
            {
                return false;
            }
        }
        return true;
    }

    internal static bool EntryHolds(ExceptionEntry entry, JsonObject scope)
    {
        if (entry.Type == ExceptionEntryType.Nested)
        {
            // Some one object under the field must satisfy every sub-entry (Elasticsearch's nested query).
            foreach (var node in JsonFlattener.Get(scope, entry.Field))
            {
                foreach (var obj in Objects(node))
                {
                    if (entry.Entries.All(sub => EntryHolds(sub, obj)))
                    {
                        return true;
                    }
                }
            }
            return false;
        }
        var condition = entry.Type switch
        {
            ExceptionEntryType.Exists => Exists(scope, entry.Field),
            ExceptionEntryType.Match or ExceptionEntryType.MatchAny => Values(scope, entry.Field).Any(v => entry.Values.Any(v.Is)),
            ExceptionEntryType.Wildcard => Values(scope, entry.Field).Any(v => v.Text is { } t && Wildcard.IsMatch(t, entry.Values[0])),
            _ => false,
        };
        // "is not", "is not one of", "does not exist", "does not match": a must_not, so a field without values qualifies.
        return entry.Operator == ExceptionOperator.Included ? condition : !condition;
    }

    private static IEnumerable<JsonObject> Objects(JsonNode? node) => node switch
    {
        JsonObject o => [o],
        JsonArray a => a.SelectMany(Objects),
        _ => [],
    };

    private static bool Exists(JsonObject scope, string field) =>
        JsonFlattener.Get(scope, field).Any(HasValue);

    private static bool HasValue(JsonNode? node) => node switch
    {
        null => false,
        JsonValue => true,
        JsonArray a => a.Any(HasValue),
        JsonObject o => o.Any(p => HasValue(p.Value)),
        _ => false,
    };

    /// <summary>Every scalar value of a field (arrays flattened), as Elasticsearch indexes them.</summary>
    private static IEnumerable<Scalar> Values(JsonObject scope, string field)
    {
        foreach (var node in JsonFlattener.Get(scope, field))
        {
            foreach (var s in Scalars(node))
            {
                yield return s;
            }
        }
    }

    private static IEnumerable<Scalar> Scalars(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray a:
                foreach (var item in a)
                {
                    foreach (var s in Scalars(item))
                    {
                        yield return s;
                    }
                }
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        yield return new Scalar(v.GetValue<string>(), null);
                        break;
                    case JsonValueKind.Number:
                        var raw = v.ToJsonString();
                        yield return new Scalar(raw, double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null);
                        break;
                    case JsonValueKind.True:
                        yield return new Scalar("true", null);
                        break;
                    case JsonValueKind.False:
                        yield return new Scalar("false", null);
                        break;
                }
                break;
        }
    }

    /// <summary>A field value: its text, and its number when it is a JSON number (then "200" matches 200 and 200.0).</summary>
    private readonly record struct Scalar(string? Text, double? Number)
    {
        public bool Is(string value)
        {
            if (Number is { } n)
            {
                return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d == n : string.Equals(Text, value, StringComparison.Ordinal);
            }
            return string.Equals(Text, value, StringComparison.Ordinal);
        }
    }
}

/// <summary>Elasticsearch's <c>wildcard</c> query on a keyword: <c>*</c> any run, <c>?</c> one character, <c>\</c> escapes; case-sensitive, whole value.</summary>
internal static class Wildcard
{
    public static bool IsMatch(string text, string pattern)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == '*')
                {
                    starP = p++;
                    starT = t;
                    continue;
                }
                if (c == '?')
                {
                    p++;
                    t++;
                    continue;
                }
                if (c == '\\' && p + 1 < pattern.Length)
                {
                    c = pattern[p + 1];
                    if (c == text[t])
                    {
                        p += 2;
                        t++;
                        continue;
                    }
                }
                else if (c == text[t])
                {
                    p++;
                    t++;
                    continue;
                }
            }
            if (starP < 0)
            {
                return false;
            }
            // Let the last '*' take one more character and try again from there.
            p = starP + 1;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
