using System.Text.Json.Nodes;
using Vigil.Eql;

namespace Vigil.Events;

/// <summary>
/// One input event: its raw JSON bytes (kept for the alert), where it came from, and the projected values of the fields the
/// loaded queries read. The full document is parsed only on demand (<see cref="ToJsonObject"/>).
/// </summary>
public sealed class EventRecord : IEqlEvent
{
    private EqlValue[] _values;
    // Compact form (see Detach): the slots that hold a value, ascending, and their values; _values is then empty.
    private int[]? _slots;
    private ReadOnlyMemory<byte> _raw;

    internal EventRecord(ReadOnlyMemory<byte> raw, string source, long line, EqlValue[] values, string? defaultIndex)
    {
        _raw = raw;
        Source = source;
        Line = line;
        _values = values;
        DefaultIndex = defaultIndex;
    }

    /// <summary>
    /// Makes the event own its bytes and values, for events that outlive the block they were read from (alerts, events kept
    /// for sequences), since a fast reader lends both from pooled buffers. <paramref name="compact"/> keeps only the slots
    /// that hold a value, which matters when thousands of rules give each event thousands of mostly empty slots.
    /// </summary>
    internal void Detach(bool compact)
    {
        if (IsOwned)
        {
            return;
        }
        _raw = _raw.ToArray();
        IsOwned = true;
        if (!compact)
        {
            _values = (EqlValue[])_values.Clone();
            return;
        }
        var count = 0;
        foreach (var v in _values)
        {
            if (!v.IsNull)
            {
                count++;
            }
        }
        var slots = new int[count];
        var values = new EqlValue[count];
        for (int i = 0, j = 0; i < _values.Length; i++)
        {
            if (!_values[i].IsNull)
            {
                slots[j] = i;
                values[j++] = _values[i];
            }
        }
        _slots = slots;
        _values = values;
    }

    /// <summary>True once the event no longer borrows pooled memory.</summary>
    internal bool IsOwned { get; private set; } = true;

    /// <summary>An event over borrowed bytes and values: valid only until the lender reuses them, unless detached.</summary>
    internal static EventRecord Borrowed(ReadOnlyMemory<byte> raw, string source, long line, EqlValue[] values, string? defaultIndex) =>
        new(raw, source, line, values, defaultIndex) { IsOwned = false };

    /// <summary>Creates an event from a JSON document, projecting the fields of <paramref name="projection"/>.</summary>
    public static EventRecord FromJson(ReadOnlySpan<byte> json, FieldProjection projection, string source = "<memory>", long line = 1, string? defaultIndex = null)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var values = JsonProjector.Project(json, projection);
        return new EventRecord(json.ToArray(), source, line, values, defaultIndex);
    }

    /// <summary>The event's JSON as read.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

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
        if (_slots is { } slots)
        {
            var i = Array.BinarySearch(slots, field.Slot);
            return i >= 0 ? _values[i] : EqlValue.Null;
        }
        return field.Slot < _values.Length ? _values[field.Slot] : EqlValue.Null;
    }

    /// <summary>Parses the whole document.</summary>
    /// <remarks>Never fails on field content: see <see cref="LenientJson"/> for how bad strings and repeated keys are read.</remarks>
    public JsonObject ToJsonObject() => LenientJson.ParseObject(Raw.Span);
}
