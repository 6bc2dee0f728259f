using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// Reads typed fields out of one <see cref="TTable"/>, reporting type errors and missing required fields at their
/// place in the file, and remembering which keys were read so the rest can be reported as unknown and kept.
/// </summary>
internal sealed class TableReader(TTable table, DiagnosticSink sink)
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public TTable Table { get; } = table;

    public DiagnosticSink Sink { get; } = sink;

    public bool Has(string key) => Table.Entries.ContainsKey(key);

    public TNode? Node(string key)
    {
        _read.Add(key);
        return Table.Entries.TryGetValue(key, out var entry) ? entry.Value : null;
    }

    public TextPos KeyPosition(string key) =>
        Table.Entries.TryGetValue(key, out var entry) ? entry.KeyPos : Table.Position;

    public void Missing(string key) =>
        Sink.Error(Table.Position, Table.Width, RuleDiagnosticCodes.MissingField,
            $"missing required field '{Qualified(key)}'");

    public string Qualified(string key) => Table.DisplayName.Length == 0 ? key : Table.DisplayName + "." + key;

    public string? String(string key, bool required = false) => AsString(Node(key), key, required);

    public (string? Value, TScalar? Node) StringWithNode(string key, bool required = false)
    {
        var node = Node(key);
        return (AsString(node, key, required), node as TScalar);
    }

    public long? Integer(string key, bool required = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key);
            }
            return null;
        }
        if (node is TScalar { Value: long value })
        {
            return value;
        }
        WrongType(node, key, "an integer");
        return null;
    }

    /// <summary>An integer that must fit an <see cref="int"/> and be at least <paramref name="min"/>.</summary>
    public int? Int32(string key, bool required = false, long min = long.MinValue)
    {
        var value = Integer(key, required);
        if (value is null)
        {
            return null;
        }
        if (value < min || value > int.MaxValue || value < int.MinValue)
        {
            var bound = min == long.MinValue ? string.Empty : $" (at least {min})";
            Sink.Error(Node(key)!, RuleDiagnosticCodes.InvalidValue, $"'{Qualified(key)}' is out of range{bound}: {value}");
            return null;
        }
        return (int)value;
    }

    public bool? Boolean(string key)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }
        if (node is TScalar { Value: bool value })
        {
            return value;
        }
        WrongType(node, key, "a boolean");
        return null;
    }

    public ImmutableArray<string> StringList(string key, bool required = false, bool allowSingle = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key);
            }
            return [];
        }
        if (allowSingle && node is TScalar { Value: string single })
        {
            return [single];
        }
        if (node is not TArray array)
        {
            WrongType(node, key, allowSingle ? "a string or an array of strings" : "an array of strings");
            return [];
        }
        var builder = ImmutableArray.CreateBuilder<string>(array.Items.Count);
        foreach (var item in array.Items)
        {
            if (item is TScalar { Value: string text })
            {
                builder.Add(text);
            }
            else
            {
                Sink.Error(item, RuleDiagnosticCodes.WrongType,
                    $"items of '{Qualified(key)}' must be strings, found {item.Describe()}");
            }
        }
        return builder.ToImmutable();
    }

    public TableReader? SubTable(string key, bool required = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key);
            }
            return null;
        }
        if (node is TTable table)
        {
            return new TableReader(table, Sink);
        }
        WrongType(node, key, "a table");
        return null;
    }

    /// <summary>An array whose items must all be tables (an array of tables or an array of inline tables).</summary>
    public IReadOnlyList<TableReader> TableList(string key, bool required = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key);
            }
            return [];
        }
        if (node is not TArray array)
        {
            WrongType(node, key, "an array of tables");
            return [];
        }
        var result = new List<TableReader>(array.Items.Count);
        foreach (var item in array.Items)
        {
            if (item is TTable table)
            {
                result.Add(new TableReader(table, Sink));
            }
            else
            {
                Sink.Error(item, RuleDiagnosticCodes.WrongType,
                    $"items of '{Qualified(key)}' must be tables, found {item.Describe()}");
            }
        }
        return result;
    }

    /// <summary>An array of tables kept as written (filters, exception lists, ...).</summary>
    public ImmutableArray<IReadOnlyDictionary<string, object?>> RawTableList(string key) =>
        [.. TableList(key).Select(t => (IReadOnlyDictionary<string, object?>)t.Table.ToPublic()!)];

    /// <summary>A table kept as written.</summary>
    public IReadOnlyDictionary<string, object?>? RawTable(string key) =>
        SubTable(key)?.Table.ToPublic() as IReadOnlyDictionary<string, object?>;

    /// <summary>Reads a string that must be one of the words of an enum.</summary>
    public T? Enum<T>(string key, bool required, Func<string, (bool Ok, T Value)> parse) where T : struct, System.Enum
    {
        var (text, node) = StringWithNode(key, required);
        if (text is null || node is null)
        {
            return null;
        }
        var (ok, value) = parse(text);
        if (ok)
        {
            return value;
        }
        Sink.Error(node, RuleDiagnosticCodes.InvalidEnumValue,
            $"invalid value '{text}' for '{Qualified(key)}': expected one of {RuleEnumNames.AllowedWords<T>()}");
        return null;
    }

    /// <summary>Checks a string field against a fixed set of allowed words.</summary>
    public string? OneOf(string key, bool required, params string[] allowed)
    {
        var (text, node) = StringWithNode(key, required);
        if (text is null || node is null)
        {
            return null;
        }
        if (Array.IndexOf(allowed, text) >= 0)
        {
            return text;
        }
        Sink.Error(node, RuleDiagnosticCodes.InvalidEnumValue,
            $"invalid value '{text}' for '{Qualified(key)}': expected one of {string.Join(", ", allowed)}");
        return null;
    }

    /// <summary>Keys not read so far, kept as written; each reported as a warning.</summary>
    public IReadOnlyDictionary<string, object?> Unknown(bool warn = true)
    {
        var extra = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, entry) in Table.Entries)
        {
            if (_read.Contains(key))
            {
                continue;
            }
            extra[key] = entry.Value.ToPublic();
            if (warn)
            {
                Sink.Warning(entry.KeyPos, key.Length, RuleDiagnosticCodes.UnknownKey,
                    $"unknown key '{Qualified(key)}' (kept as written)");
            }
        }
        return RuleValues.Freeze(extra);
    }

    /// <summary>Marks keys as known without reading them (their raw form is enough).</summary>
    public void MarkRead(params string[] keys)
    {
        foreach (var key in keys)
        {
            _read.Add(key);
        }
    }

    private string? AsString(TNode? node, string key, bool required)
    {
        if (node is null)
        {
            if (required)
            {
                Missing(key);
            }
            return null;
        }
        if (node is TScalar { Value: string text })
        {
            return text;
        }
        WrongType(node, key, "a string");
        return null;
    }

    private void WrongType(TNode node, string key, string expected) =>
        Sink.Error(node, RuleDiagnosticCodes.WrongType,
            $"'{Qualified(key)}' must be {expected}, found {node.Describe()}");
}
