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
    // Where borrowed bytes sit in their input file (null when the input is not a regular, uncompressed file).
    private RawOrigin? _origin;
    // By reference (see Detach): the line is _length bytes at _offset of _file, fingerprinted by _check; _raw is then empty,
    // and _loaded holds the bytes once something read them.
    private RawFile? _file;
    private long _offset;
    private int _length;
    private ulong _check;
    private byte[]? _loaded;

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
    /// <remarks>
    /// An event routed to sequence rules (<see cref="Routes"/> set) that was read from a regular file keeps only where its
    /// line is: most kept events never end up in an alert, and copying their lines was most of what they cost to keep.
    /// </remarks>
    internal void Detach(bool compact)
    {
        if (IsOwned)
        {
            return;
        }
        if (Routes is not null && _origin is { } origin && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(_raw, out var segment))
        {
            _file = origin.File;
            _offset = origin.BufferOffset + segment.Offset;
            _length = segment.Count;
            _check = RawFile.Check(segment);
            _raw = default;
        }
        else
        {
            _raw = _raw.ToArray();
        }
        _origin = null;
        IsOwned = true;
        if (!compact)
        {
            _values = (EqlValue[])_values.Clone();
            return;
        }
        Compact();
    }

    private void Compact()
    {
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

    /// <summary>Writes the slots that hold a value, and the values (see <see cref="ReadValues"/>).</summary>
    internal void WriteValues(BinaryWriter writer)
    {
        var count = 0;
        foreach (var v in _values)
        {
            count += v.IsNull ? 0 : 1;
        }
        writer.Write(count);
        for (var i = 0; i < _values.Length; i++)
        {
            if (!_values[i].IsNull)
            {
                writer.Write(_slots is null ? i : _slots[i]);
                WriteValue(writer, _values[i]);
            }
        }
    }

    /// <summary>Reads an event written as its raw bytes followed by <see cref="WriteValues"/>: compact, no parsing.</summary>
    internal static EventRecord ReadValues(BinaryReader reader, byte[] raw, string source, long line, string? defaultIndex)
    {
        var count = reader.ReadInt32();
        var slots = new int[count];
        var values = new EqlValue[count];
        for (var i = 0; i < count; i++)
        {
            slots[i] = reader.ReadInt32();
            values[i] = ReadValue(reader);
        }
        return new EventRecord(raw, source, line, values, defaultIndex) { _slots = slots };
    }

    private static void WriteValue(BinaryWriter writer, EqlValue v)
    {
        writer.Write((byte)v.Kind);
        switch (v.Kind)
        {
            case EqlValueKind.Boolean:
                writer.Write(v.AsBoolean);
                break;
            case EqlValueKind.Long:
                writer.Write(v.AsLong);
                break;
            case EqlValueKind.Double:
                writer.Write(v.AsDouble);
                break;
            case EqlValueKind.String:
                writer.Write(v.AsString);
                break;
            case EqlValueKind.Array:
                writer.Write(v.AsArray.Length);
                foreach (var item in v.AsArray)
                {
                    WriteValue(writer, item);
                }
                break;
        }
    }

    private static EqlValue ReadValue(BinaryReader reader)
    {
        var kind = (EqlValueKind)reader.ReadByte();
        switch (kind)
        {
            case EqlValueKind.Boolean:
                return EqlValue.From(reader.ReadBoolean());
            case EqlValueKind.Long:
                return EqlValue.From(reader.ReadInt64());
            case EqlValueKind.Double:
                return EqlValue.From(reader.ReadDouble());
            case EqlValueKind.String:
                return EqlValue.From(reader.ReadString());
            case EqlValueKind.Array:
                var items = new EqlValue[reader.ReadInt32()];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = ReadValue(reader);
                }
                return EqlValue.FromArray(items);
            default:
                return EqlValue.Null;
        }
    }

    /// <summary>
    /// Set by a scan for the events it keeps for sequence rules: which of them take the event (a bit set the scan defines), so
    /// that the consumer need not evaluate again what a worker thread already did. Travels through spill files.
    /// </summary>
    internal ulong[]? Routes { get; set; }

    /// <summary>True once the event no longer borrows pooled memory.</summary>
    internal bool IsOwned { get; private set; } = true;

    /// <summary>An event over borrowed bytes and values: valid only until the lender reuses them, unless detached.</summary>
    internal static EventRecord Borrowed(ReadOnlyMemory<byte> raw, string source, long line, EqlValue[] values, string? defaultIndex, RawOrigin? origin = null) =>
        new(raw, source, line, values, defaultIndex) { IsOwned = false, _origin = origin };

    /// <summary>Whether the bytes are kept by reference to the input file (see <see cref="Detach"/>).</summary>
    internal bool IsByReference => _file is not null;

    /// <summary>The file, offset, length and fingerprint of a by-reference event.</summary>
    internal (RawFile File, long Offset, int Length, ulong Check) Reference => (_file!, _offset, _length, _check);

    /// <summary>
    /// Reads a by-reference event again from its file (see <see cref="Reference"/>): the bytes are checked, projected with
    /// <paramref name="projection"/>, kept compact (only the slots that hold a value) and dropped again.
    /// </summary>
    /// <exception cref="IOException">The file changed since the event was first read.</exception>
    internal static EventRecord FromReference(RawFile file, long offset, int length, ulong check, long line, string? defaultIndex, FieldProjection projection)
    {
        var bytes = file.Read(offset, length, check, line);
        var e = new EventRecord(bytes, file.Path, line, JsonProjector.Project(bytes, projection), defaultIndex) { IsOwned = false };
        e.Compact();
        e.SetReference(file, offset, length, check);
        e.IsOwned = true;
        return e;
    }

    /// <summary>Makes this event refer to its line in <paramref name="file"/> (as written by a spill codec).</summary>
    internal void SetReference(RawFile file, long offset, int length, ulong check)
    {
        _file = file;
        _offset = offset;
        _length = length;
        _check = check;
        _raw = default;
    }

    /// <summary>Creates an event from a JSON document, projecting the fields of <paramref name="projection"/>.</summary>
    public static EventRecord FromJson(ReadOnlySpan<byte> json, FieldProjection projection, string source = "<memory>", long line = 1, string? defaultIndex = null)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var values = JsonProjector.Project(json, projection);
        return new EventRecord(json.ToArray(), source, line, values, defaultIndex);
    }

    /// <summary>The event's JSON as read.</summary>
    /// <exception cref="IOException">The event is kept by reference and its input file changed since it was read.</exception>
    public ReadOnlyMemory<byte> Raw => _file is null ? _raw : (_loaded ??= _file.Read(_offset, _length, _check, Line));

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
    public JsonObject ToJsonObject() => LenientJson.ParseEvent(Raw.Span);
}
