using System.Text.Json.Nodes;
using Vigil.Eql;

namespace Vigil.Events;

/// <summary>
/// One input event: its raw JSON bytes (kept for the alert), where it came from, and the projected values of the fields the
/// loaded queries read. The full document is parsed only on demand (<see cref="ToJsonObject"/>).
/// </summary>
public sealed class EventRecord : IEqlEvent
{
    private readonly EqlValue[] _values;

    internal EventRecord(byte[] raw, string source, long line, EqlValue[] values, string? defaultIndex)
    {
        Raw = raw;
        Source = source;
        Line = line;
        _values = values;
        DefaultIndex = defaultIndex;
    }

    /// <summary>Creates an event from a JSON document, projecting the fields of <paramref name="projection"/>.</summary>
    public static EventRecord FromJson(ReadOnlySpan<byte> json, FieldProjection projection, string source = "<memory>", long line = 1, string? defaultIndex = null)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var values = JsonProjector.Project(json, projection);
        return new EventRecord(json.ToArray(), source, line, values, defaultIndex);
    }

    /// <summary>The event's JSON as read.</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>File name (or <c>-</c> for stdin) the event was read from.</summary>
    public string Source { get; }

    /// <summary>1-based line number in <see cref="Source"/>.</summary>
    public long Line { get; }

    /// <summary>Index name given for the input this event came from (<c>--index</c>), used when the event names none.</summary>
    public string? DefaultIndex { get; }

    /// <inheritdoc />
    public EqlValue Get(FieldRef field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Slot < _values.Length ? _values[field.Slot] : EqlValue.Null;
    }

    /// <summary>Parses the whole document.</summary>
    /// <remarks>Never fails on field content: see <see cref="LenientJson"/> for how bad strings and repeated keys are read.</remarks>
    public JsonObject ToJsonObject() => LenientJson.ParseObject(Raw.Span);
}
