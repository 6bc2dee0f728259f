using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vigil.Events;

/// <summary>
/// Reads event JSON the way detection needs it: it never fails on what an attacker can put into one field. Strings with
/// invalid UTF-8 or lone surrogate escapes are decoded with U+FFFD in place of the bad parts (rejecting the line would let
/// one crafted value hide an event), and a key given twice in one object keeps both values as a multi-valued field, the
/// same way the field projection reads it for matching.
/// </summary>
internal static class LenientJson
{
    /// <summary>The decoded string value (or property name) at the reader's position.</summary>
    public static string GetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
            return reader.ValueIsEscaped ? Unescape(raw) : Encoding.UTF8.GetString(raw);
        }
    }

    /// <summary>How deep an event may nest (Utf8JsonReader's own limit is 64); alert documents, built from events, keep it.</summary>
    internal const int MaxDepth = 256;

    /// <summary>Parses a whole event into a mutable JSON object.</summary>
    private static readonly JsonDocumentOptions StrictDocument = new() { AllowDuplicateProperties = false, MaxDepth = MaxDepth };

    /// <summary>
    /// An event as a JSON object, as <see cref="ParseObject"/> gives it. A well-formed event (valid UTF-8, no repeated key, no
    /// <c>\u</c> escape)
    /// is parsed into a document whose objects become nodes only when something reads or changes them, and whose untouched
    /// parts are written straight from the document; anything else goes through the lenient reader.
    /// </summary>
    public static JsonObject ParseEvent(ReadOnlySpan<byte> json)
    {
        // \u escapes may encode lone surrogates, which the document accepts but cannot turn into strings later.
        if (System.Text.Unicode.Utf8.IsValid(json) && json.IndexOf("\\u"u8) < 0)
        {
            try
            {
                if (JsonNode.Parse(json, documentOptions: StrictDocument) is JsonObject parsed)
                {
                    return parsed;
                }
            }
            catch (JsonException)
            {
                // Repeated keys (merged into arrays below), or malformed: the lenient reader decides.
            }
        }
        return ParseObject(json);
    }

    public static JsonObject ParseObject(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("an event must be a JSON object");
        }
        return ReadObject(ref reader);
    }

    private static JsonObject ReadObject(ref Utf8JsonReader reader)
    {
        var obj = new JsonObject();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = GetString(ref reader);
            reader.Read();
            var value = ReadValue(ref reader);
            if (obj.TryGetPropertyValue(name, out var existing))
            {
                obj.Remove(name);
                var merged = existing as JsonArray ?? new JsonArray(existing);
                if (value is JsonArray items)
                {
                    foreach (var item in items.ToList())
                    {
                        items.Remove(item);
                        merged.Add(item);
                    }
                }
                else
                {
                    merged.Add(value);
                }
                obj[name] = merged;
            }
            else
            {
                obj[name] = value;
            }
        }
        return obj;
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return ReadObject(ref reader);
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader));
                }
                return array;
            case JsonTokenType.String:
                return JsonValue.Create(GetString(ref reader));
            case JsonTokenType.Number:
                return JsonValue.Create(JsonElement.ParseValue(ref reader));
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    /// <summary>JSON string unescaping that replaces invalid UTF-8 and unpaired surrogates with U+FFFD.</summary>
    internal static string Unescape(ReadOnlySpan<byte> raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 >= text.Length)
            {
                sb.Append(c);
                continue;
            }
            var e = text[++i];
            switch (e)
            {
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u' when i + 4 < text.Length && ushort.TryParse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    i += 4;
                    sb.Append((char)code);
                    break;
                default: sb.Append(e); break;
            }
        }
        // Replace unpaired surrogates left by \uD800-style escapes.
        var chars = sb.ToString().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && (i + 1 >= chars.Length || !char.IsLowSurrogate(chars[i + 1])))
            {
                chars[i] = '\uFFFD';
            }
            else if (char.IsLowSurrogate(chars[i]) && (i == 0 || !char.IsHighSurrogate(chars[i - 1])))
            {
                chars[i] = '\uFFFD';
            }
            else if (char.IsHighSurrogate(chars[i]))
            {
                i++;
            }
        }
        return new string(chars);
    }
}
