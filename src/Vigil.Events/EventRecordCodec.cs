using Vigil.Eql.Execution;


namespace Vigil.Events;

/// <summary>
/// Spills an <see cref="EventRecord"/> as its raw JSON and origin, and re-projects it (into the same field slots) when read
/// back, so that an external sort keeps only a sort key and the bytes on disk.
/// </summary>
public sealed class EventRecordCodec : IEventSpillCodec<EventRecord>
{
    private readonly FieldProjection _projection;

    /// <summary>Creates a codec re-projecting with <paramref name="projection"/>.</summary>
    public EventRecordCodec(FieldProjection projection) => _projection = projection ?? throw new ArgumentNullException(nameof(projection));

    /// <inheritdoc />
    public void Write(EventRecord item, BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(item.Source);
        writer.Write(item.Line);
        writer.Write(item.DefaultIndex ?? string.Empty);
        writer.Write(item.DefaultIndex is not null);
        writer.Write(item.Raw.Length);
        writer.Write(item.Raw.Span);
    }

    /// <inheritdoc />
    public EventRecord Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var source = reader.ReadString();
        var line = reader.ReadInt64();
        var index = reader.ReadString();
        var hasIndex = reader.ReadBoolean();
        var length = reader.ReadInt32();
        var raw = reader.ReadBytes(length);
        return EventRecord.FromJson(raw, _projection, source, line, hasIndex ? index : null);
    }
}
