using Vigil.Eql.Execution;


namespace Vigil.Events;

/// <summary>
/// Spills an <see cref="EventRecord"/> as its raw JSON and origin, and re-projects it (into the same field slots) when read
/// back, so that an external sort keeps only a sort key and the bytes on disk.
/// </summary>
public sealed class EventRecordCodec : IEventSpillCodec<EventRecord>
{
    private readonly FieldProjection _projection;
    private readonly bool _storeValues;

    /// <summary>Creates a codec re-projecting with <paramref name="projection"/>.</summary>
    public EventRecordCodec(FieldProjection projection) => _projection = projection ?? throw new ArgumentNullException(nameof(projection));

    /// <summary>
    /// Creates a codec that, with <paramref name="storeValues"/>, also writes the projected values, so that reading back
    /// costs no JSON parsing (spilled events are read back once more each, which re-projecting made as costly as the scan).
    /// </summary>
    public EventRecordCodec(FieldProjection projection, bool storeValues)
        : this(projection) => _storeValues = storeValues;

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
        if (_storeValues)
        {
            item.WriteValues(writer);
        }
        var routes = item.Routes;
        writer.Write(routes is null ? -1 : routes.Length);
        if (routes is not null)
        {
            foreach (var word in routes)
            {
                writer.Write(word);
            }
        }
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
        var e = _storeValues
            ? EventRecord.ReadValues(reader, raw, source, line, hasIndex ? index : null)
            : EventRecord.FromJson(raw, _projection, source, line, hasIndex ? index : null);
        var words = reader.ReadInt32();
        if (words >= 0)
        {
            var routes = new ulong[words];
            for (var i = 0; i < words; i++)
            {
                routes[i] = reader.ReadUInt64();
            }
            e.Routes = routes;
        }
        return e;
    }
}
