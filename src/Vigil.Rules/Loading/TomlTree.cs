using System.Collections.Immutable;
using Tomlyn.Syntax;

namespace Vigil.Rules;

/// <summary>A 1-based position in a rule file.</summary>
internal readonly record struct TextPos(int Line, int Column)
{
    public static TextPos From(TextPosition position) => new(position.Line + 1, position.Column + 1);

    public static TextPos Start { get; } = new(1, 1);
}

/// <summary>
/// A TOML value with the position it was written at. We build our own small tree from Tomlyn's syntax tree
/// rather than deserialising to a model, because every validation error must point at the key or value that caused it.
/// </summary>
internal abstract class TNode(TextPos position, int width)
{
    /// <summary>Where the value starts (for a table: its header).</summary>
    public TextPos Position { get; private protected set; } = position;

    /// <summary>How many characters of the first line a caret should cover.</summary>
    public int Width { get; private protected set; } = width;

    /// <summary>A word for error messages ("a string", "an integer").</summary>
    public abstract string Describe();

    private object? _public;
    private bool _madePublic;

    /// <summary>
    /// The value in the public raw shape (see <see cref="RuleValues"/>), made once: the rule's <c>Raw</c>, <c>RuleTable</c>,
    /// the metadata's <c>Raw</c> and the extensions then share one copy of every table instead of holding one each.
    /// </summary>
    public object? ToPublic()
    {
        if (!_madePublic)
        {
            _public = MakePublic();
            _madePublic = true;
        }
        return _public;
    }

    protected abstract object? MakePublic();
}

internal sealed class TScalar(TextPos position, int width, object value) : TNode(position, width)
{
    public object Value { get; } = value;

    /// <summary>For strings: where the string's text begins inside the file (after the delimiter and a trimmed newline).</summary>
    public TextPos ContentStart { get; init; }

    public override string Describe() => Value switch
    {
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        _ => "a date-time",
    };

    protected override object? MakePublic() => Value switch
    {
        Tomlyn.TomlDateTime date => date.ToString(),
        _ => Value,
    };
}

internal sealed class TArray(TextPos position, int width) : TNode(position, width)
{
    public List<TNode> Items { get; } = [];

    /// <summary>True for an array of tables (<c>[[x]]</c>), which later headers may extend.</summary>
    public bool IsTableArray { get; init; }

    public override string Describe() => IsTableArray ? "an array of tables" : "an array";

    protected override object? MakePublic() => Items.Select(i => i.ToPublic()).ToImmutableArray();
}

internal sealed class TTable(TextPos position, int width, string displayName) : TNode(position, width)
{
    /// <summary>Entries in file order; the key position is where the (last part of the) key was written.</summary>
    public OrderedDictionary<string, (TextPos KeyPos, TNode Value)> Entries { get; } = new(StringComparer.Ordinal);

    /// <summary>Dotted name for messages, e.g. <c>rule.threat.tactic</c>.</summary>
    public string DisplayName { get; } = displayName;

    /// <summary>
    /// Moves the table's position to its own <c>[header]</c>: a table first created implicitly (by <c>[rule.x]</c> or a
    /// dotted key) and defined later should be reported at its definition.
    /// </summary>
    public void DefineAt(TextPos header, int width)
    {
        Position = header;
        Width = width;
    }

    public override string Describe() => "a table";

    protected override object? MakePublic()
    {
        var table = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, entry) in Entries)
        {
            table[key] = entry.Value.ToPublic();
        }
        return RuleValues.Freeze(table);
    }
}

/// <summary>Builds a <see cref="TTable"/> from a Tomlyn <see cref="DocumentSyntax"/> that passed Tomlyn's validation.</summary>
internal sealed class TomlTreeBuilder
{
    private readonly string _text;
    private readonly StringPool? _strings;

    private TomlTreeBuilder(string text, StringPool? strings)
    {
        _text = text;
        _strings = strings;
    }

    /// <summary>Builds the tree; keys and strings come from <paramref name="strings"/> when given (see <see cref="StringPool"/>).</summary>
    public static TTable Build(DocumentSyntax document, string text, StringPool? strings = null) =>
        new TomlTreeBuilder(text, strings).Build(document);

    private string Pooled(string s) => _strings is null ? s : _strings.Get(s);

    private TTable Build(DocumentSyntax document)
    {
        var root = new TTable(TextPos.Start, 1, string.Empty);
        foreach (var keyValue in document.KeyValues)
        {
            Assign(root, keyValue);
        }
        foreach (var tableSyntax in document.Tables)
        {
            if (tableSyntax.Name is null)
            {
                continue;
            }
            var path = KeyParts(tableSyntax.Name);
            var header = TextPos.From(tableSyntax.Span.Start);
            var headerWidth = HeaderWidth(tableSyntax);
            TTable target;
            if (tableSyntax is TableArraySyntax)
            {
                var parent = Navigate(root, path.AsSpan(0, path.Length - 1), header);
                var last = path[^1];
                if (!parent.Entries.TryGetValue(last, out var existing) || existing.Value is not TArray array)
                {
                    array = new TArray(header, headerWidth) { IsTableArray = true };
                    parent.Entries[last] = (header, array);
                }
                target = new TTable(header, headerWidth, Join(parent, last));
                array.Items.Add(target);
            }
            else
            {
                target = Navigate(root, path, header, headerWidth);
                target.DefineAt(header, headerWidth);
            }
            foreach (var keyValue in tableSyntax.Items)
            {
                Assign(target, keyValue);
            }
        }
        return root;
    }

    private static int HeaderWidth(TableSyntaxBase table)
    {
        // The caret covers "[rule]" or "[[rule.threat]]": from the open bracket to the close bracket.
        if (table.CloseBracket is { } close)
        {
            return Math.Max(1, close.Span.End.Offset - table.Span.Start.Offset + 1);
        }
        return 1;
    }

    private static string Join(TTable parent, string key) => parent.DisplayName.Length == 0 ? key : parent.DisplayName + "." + key;

    /// <summary>Walks (creating as needed) the tables along <paramref name="path"/>; an array of tables resolves to its last table.</summary>
    private static TTable Navigate(TTable from, ReadOnlySpan<string> path, TextPos position, int width = 1)
    {
        var current = from;
        foreach (var part in path)
        {
            if (current.Entries.TryGetValue(part, out var existing))
            {
                current = existing.Value switch
                {
                    TTable table => table,
                    TArray { IsTableArray: true, Items.Count: > 0 } array => (TTable)array.Items[^1],
                    // Tomlyn's validation rejects redefining a value as a table, so this is unreachable for valid input.
                    _ => throw new InvalidOperationException($"'{Join(current, part)}' is not a table"),
                };
            }
            else
            {
                var table = new TTable(position, width, Join(current, part));
                current.Entries[part] = (position, table);
                current = table;
            }
        }
        return current;
    }

    private void Assign(TTable table, KeyValueSyntax keyValue)
    {
        if (keyValue.Key is null || keyValue.Value is null)
        {
            return;
        }
        var parts = KeyParts(keyValue.Key);
        var keyPos = TextPos.From(keyValue.Key.Span.Start);
        var target = Navigate(table, parts.AsSpan(0, parts.Length - 1), keyPos);
        target.Entries[parts[^1]] = (keyPos, Convert(keyValue.Value, Join(target, parts[^1])));
    }

    private string[] KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyText(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(KeyText(dotted.Key));
        }
        return [.. parts];
    }

    private string KeyText(BareKeyOrStringValueSyntax? key) => Pooled(key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    });

    private TNode Convert(ValueSyntax value, string name)
    {
        var position = TextPos.From(value.Span.Start);
        var width = FirstLineWidth(value, _text);
        switch (value)
        {
            case StringValueSyntax s:
                var kind = s.Token?.TokenKind ?? TokenKind.String;
                return new TScalar(position, width, Pooled(s.Value ?? string.Empty))
                {
                    ContentStart = ContentStart(value.Span.Start, kind, _text),
                };
            case IntegerValueSyntax i:
                return new TScalar(position, width, i.Value);
            case FloatValueSyntax f:
                return new TScalar(position, width, f.Value);
            case BooleanValueSyntax b:
                return new TScalar(position, width, b.Value);
            case DateTimeValueSyntax d:
                return new TScalar(position, width, d.Value);
            case ArraySyntax array:
                var result = new TArray(position, width);
                foreach (var item in array.Items)
                {
                    if (item.Value is { } itemValue)
                    {
                        result.Items.Add(Convert(itemValue, name));
                    }
                }
                return result;
            case InlineTableSyntax inline:
                var table = new TTable(position, width, name);
                foreach (var item in inline.Items)
                {
                    if (item.KeyValue is { } keyValue)
                    {
                        Assign(table, keyValue);
                    }
                }
                return table;
            default:
                throw new InvalidOperationException($"unexpected TOML value syntax {value.GetType().Name}");
        }
    }

    private static int FirstLineWidth(ValueSyntax value, string text)
    {
        var start = value.Span.Start.Offset;
        var end = Math.Min(value.Span.End.Offset + 1, text.Length);
        var newline = text.IndexOf('\n', start, Math.Max(0, end - start));
        var stop = newline < 0 ? end : newline;
        return Math.Max(1, stop - start);
    }

    /// <summary>
    /// Where a string's text begins. TOML drops a newline right after an opening <c>'''</c> or <c>"""</c>, so a query
    /// written as <c>query = '''⏎process where …</c> begins at column 1 of the next line.
    /// </summary>
    private static TextPos ContentStart(TextPosition start, TokenKind kind, string text)
    {
        var multi = kind is TokenKind.StringMulti or TokenKind.StringLiteralMulti;
        var delimiter = multi ? 3 : 1;
        var after = start.Offset + delimiter;
        if (multi && after < text.Length)
        {
            if (text[after] == '\n' || (text[after] == '\r' && after + 1 < text.Length && text[after + 1] == '\n'))
            {
                return new TextPos(start.Line + 2, 1);
            }
        }
        return new TextPos(start.Line + 1, start.Column + 1 + delimiter);
    }
}
