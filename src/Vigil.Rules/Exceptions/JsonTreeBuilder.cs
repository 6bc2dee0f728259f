using System.Text;
using System.Text.Json;

namespace Vigil.Rules;

/// <summary>
/// Reads JSON (one document, an array, or several documents one after another as in NDJSON) into the same positioned tree
/// the TOML loader builds, so one reader checks both and every error points at a line and column.
/// </summary>
internal static class JsonTreeBuilder
{
    public static List<TNode> Build(byte[] utf8, string name) => Build(utf8, 0, utf8.Length, name);

    /// <summary>Reads the JSON in <c>utf8[start..start+length]</c>; positions are those in the whole of <paramref name="utf8"/>.</summary>
    public static List<TNode> Build(byte[] utf8, int start, int length, string name)
    {
        var lines = LineStarts(utf8);
        var reader = new Utf8JsonReader(utf8.AsSpan(start, length), new JsonReaderOptions
        {
            AllowMultipleValues = true,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = 64,
        });
        var documents = new List<TNode>();
        while (reader.Read())
        {
            documents.Add(ReadValue(ref reader, utf8, lines, name, start));
        }
        return documents;
    }

    private static TNode ReadValue(ref Utf8JsonReader reader, byte[] utf8, List<int> lines, string name, int offset)
    {
        var at = Position(utf8, lines, offset + reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var table = new TTable(at, 1, name);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var keyPos = Position(utf8, lines, offset + reader.TokenStartIndex);
                    var key = reader.GetString() ?? string.Empty;
                    reader.Read();
                    var value = ReadValue(ref reader, utf8, lines, name.Length == 0 ? key : name + "." + key, offset);
                    // JSON null means absent, as Kibana's API treats it.
                    if (value is not TScalar { Value: JsonNull })
                    {
                        table.Entries[key] = (keyPos, value);
                    }
                }
                return table;
            }
            case JsonTokenType.StartArray:
            {
                var array = new TArray(at, 1);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Items.Add(ReadValue(ref reader, utf8, lines, name, offset));
                }
                return array;
            }
            case JsonTokenType.String:
                return new TScalar(at, reader.ValueSpan.Length + 2, reader.GetString() ?? string.Empty);
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var l)
                    ? new TScalar(at, reader.ValueSpan.Length, l)
                    : new TScalar(at, reader.ValueSpan.Length, reader.GetDouble());
            case JsonTokenType.True:
            case JsonTokenType.False:
                return new TScalar(at, reader.ValueSpan.Length, reader.GetBoolean());
            default:
                return new TScalar(at, 4, JsonNull.Instance);
        }
    }

    /// <summary>Stands for a JSON null until the object reader drops it.</summary>
    internal sealed class JsonNull
    {
        public static JsonNull Instance { get; } = new();
    }

    /// <summary>The 1-based character column of a 0-based byte position in a 0-based line (what <see cref="JsonException"/> gives).</summary>
    public static int CharColumn(byte[] utf8, long line, long bytePosition)
    {
        var lines = LineStarts(utf8);
        if (line < 0 || line >= lines.Count)
        {
            return (int)bytePosition + 1;
        }
        var start = lines[(int)line];
        var count = (int)Math.Clamp(bytePosition, 0, utf8.Length - start);
        return Encoding.UTF8.GetCharCount(utf8, start, count) + 1;
    }

    public static List<int> LineStarts(byte[] utf8)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }
        return starts;
    }

    private static TextPos Position(byte[] utf8, List<int> lines, long offset)
    {
        var index = lines.BinarySearch((int)offset);
        var line = index >= 0 ? index : ~index - 1;
        var start = lines[line];
        var column = Encoding.UTF8.GetCharCount(utf8, start, (int)offset - start) + 1;
        return new TextPos(line + 1, column);
    }
}
