using System.Buffers;
using System.Text;
using System.Text.Json;
using Vigil.Eql;

namespace Vigil.Events;

/// <summary>
/// One forward pass of <see cref="Utf8JsonReader"/> over an event, pulling out only the projected fields. Keys are decoded
/// into a stack buffer and looked up without allocating; unwanted subtrees are skipped.
/// </summary>
internal static partial class JsonProjector
{
    // Per thread, reused across events: the lists that collect array-valued fields, and which slots use one.
    [ThreadStatic]
    private static List<EqlValue>?[]? t_multi;

    [ThreadStatic]
    private static List<int>? t_touched;
    public static EqlValue[] Project(ReadOnlySpan<byte> json, FieldProjection projection)
    {
        var values = new EqlValue[projection.SlotCount];
        Project(json, projection, values);
        return values;
    }

    /// <summary>Projects into <paramref name="values"/>, which must be all null (a reused buffer, cleared by the caller).</summary>
    public static void Project(ReadOnlySpan<byte> json, FieldProjection projection, EqlValue[] values)
    {
        if (TryProjectFast(json, projection, values))
        {
            return;
        }
        // The reference reader decides (and reports) whatever the scanner left to it; it starts from a clean buffer.
        Array.Clear(values);
        ProjectWithReader(json, projection, values);
    }

    /// <summary>The fast scanner alone: false (with <paramref name="values"/> partly written) when it leaves the line to the reader.</summary>
    internal static bool TryProjectFast(ReadOnlySpan<byte> json, FieldProjection projection, EqlValue[] values)
    {
        var multi = new Multi(values.Length);
        try
        {
            if (!new Scanner(json, values, multi).Run(projection.Root))
            {
                return false;
            }
            foreach (var slot in multi.Touched)
            {
                values[slot] = EqlValue.FromArray([.. multi.Lists[slot]!]);
            }
            return true;
        }
        finally
        {
            multi.Reset();
        }
    }

    /// <summary>The reference projection: <see cref="Utf8JsonReader"/> token by token.</summary>
    internal static void ProjectWithReader(ReadOnlySpan<byte> json, FieldProjection projection, EqlValue[] values)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = LenientJson.MaxDepth });
        if (!reader.Read())
        {
            throw new JsonException("empty line");
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("an event must be a JSON object");
        }
        var multi = new Multi(values.Length);
        try
        {
            ReadObject(ref reader, projection.Root, values, ref multi);
            if (reader.Read())
            {
                throw new JsonException($"unexpected data after the event object at byte {reader.TokenStartIndex + 1}");
            }
            foreach (var slot in multi.Touched)
            {
                values[slot] = EqlValue.FromArray([.. multi.Lists[slot]!]);
            }
        }
        finally
        {
            multi.Reset();
        }
    }

    /// <summary>The array-valued fields of the event being read (thread-static storage, cleared after each event).</summary>
    private readonly ref struct Multi
    {
        public Multi(int slots)
        {
            var lists = t_multi;
            if (lists is null || lists.Length < slots)
            {
                t_multi = lists = new List<EqlValue>?[Math.Max(slots, 64)];
            }
            Lists = lists;
            Touched = t_touched ??= [];
        }

        public List<EqlValue>?[] Lists { get; }

        public List<int> Touched { get; }

        public void Reset()
        {
            foreach (var slot in Touched)
            {
                Lists[slot]!.Clear();
            }
            Touched.Clear();
        }
    }

    private static void ReadObject(ref Utf8JsonReader reader, FieldProjection.Node node, EqlValue[] values, ref Multi multi)
    {
        Span<char> keyBuffer = stackalloc char[256];
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }
            // PropertyName
            var target = FindNode(ref reader, node, keyBuffer);
            reader.Read();
            if (target is null)
            {
                reader.Skip();
                continue;
            }
            ReadValue(ref reader, target, values, ref multi);
        }
        throw new JsonException("unterminated object");
    }

    private static FieldProjection.Node? FindNode(ref Utf8JsonReader reader, FieldProjection.Node node, scoped Span<char> buffer)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            // The common case: the key's bytes are its text, matched segment by segment without decoding.
            var bytes = reader.ValueSpan;
            var current = node;
            while (true)
            {
                var dot = bytes.IndexOf((byte)'.');
                current = current.FindUtf8(dot < 0 ? bytes : bytes[..dot]);
                if (current is null || dot < 0)
                {
                    return current;
                }
                bytes = bytes[(dot + 1)..];
            }
        }
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[]? rented = null;
        var chars = length <= buffer.Length ? buffer : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            int written;
            try
            {
                written = reader.CopyString(chars);
            }
            catch (InvalidOperationException)
            {
                // Invalid UTF-8 or a lone surrogate in a key: decode it leniently (it cannot name a wanted field anyway
                // unless it decodes to one).
                var lenient = LenientJson.GetString(ref reader);
                written = Math.Min(lenient.Length, chars.Length);
                lenient.AsSpan(0, written).CopyTo(chars);
            }
            ReadOnlySpan<char> key = chars[..written];
            var current = node;
            while (true)
            {
                var dot = key.IndexOf('.');
                var seg = dot < 0 ? key : key[..dot];
                current = current.Find(seg);
                if (current is null || dot < 0)
                {
                    return current;
                }
                key = key[(dot + 1)..];
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static void ReadValue(ref Utf8JsonReader reader, FieldProjection.Node node, EqlValue[] values, ref Multi multi)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                if (node.HasChildren)
                {
                    ReadObject(ref reader, node, values, ref multi);
                }
                else
                {
                    reader.Skip();
                }
                return;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        // Nested arrays flatten, as Elasticsearch indexes them.
                        ReadValue(ref reader, node, values, ref multi);
                    }
                    else
                    {
                        ReadValue(ref reader, node, values, ref multi);
                        if (reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray) && node.Slot >= 0)
                        {
                            // scalar already added by ReadValue
                        }
                    }
                }
                // Mark the field as array-valued even with a single element.
                if (node.Slot >= 0)
                {
                    EnsureArray(node.Slot, values, ref multi);
                }
                return;
            default:
                if (node.Slot >= 0)
                {
                    var v = Scalar(ref reader);
                    if (!v.IsNull)
                    {
                        Add(node.Slot, v, values, ref multi);
                    }
                }
                return;
        }
    }

    private static void EnsureArray(int slot, EqlValue[] values, ref Multi multi)
    {
        if (multi.Touched.Contains(slot))
        {
            return;
        }
        var list = multi.Lists[slot] ??= [];
        if (!values[slot].IsNull)
        {
            list.Add(values[slot]);
        }
        multi.Touched.Add(slot);
    }

    private static void Add(int slot, EqlValue v, EqlValue[] values, ref Multi multi)
    {
        if (multi.Touched.Contains(slot))
        {
            multi.Lists[slot]!.Add(v);
        }
        else if (values[slot].IsNull)
        {
            values[slot] = v;
        }
        else
        {
            EnsureArray(slot, values, ref multi);
            multi.Lists[slot]!.Add(v);
        }
    }

    private static EqlValue Scalar(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= StringCache.MaxLength)
                {
                    return EqlValue.From(StringCache.Get(reader.ValueSpan) ?? LenientJson.GetString(ref reader));
                }
                return EqlValue.From(LenientJson.GetString(ref reader));
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    return EqlValue.From(l);
                }
                return EqlValue.From(reader.GetDouble());
            case JsonTokenType.True:
                return EqlValue.From(true);
            case JsonTokenType.False:
                return EqlValue.From(false);
            default:
                return EqlValue.Null;
        }
    }

    /// <summary>UTF-8 text of the current token (used in error messages).</summary>
    internal static string TokenText(ref Utf8JsonReader reader) => Encoding.UTF8.GetString(reader.ValueSpan);
}
