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
    // Input files that by-reference events point into, numbered in the order this codec met them.
    private readonly List<RawFile> _files = [];
    private readonly Dictionary<RawFile, int> _fileIds = new(ReferenceEqualityComparer.Instance);

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
        if (item.IsByReference)
        {
            // The line stays in the input file: only where it is goes to disk.
            var (file, offset, length, check) = item.Reference;
            if (!_fileIds.TryGetValue(file, out var id))
            {
                _fileIds[file] = id = _files.Count;
                _files.Add(file);
            }
            writer.Write(-1 - id);
            writer.Write(offset);
            writer.Write(length);
            writer.Write(check);
        }
        else
        {
            writer.Write(item.Raw.Length);
            writer.Write(item.Raw.Span);
        }
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
        RawFile? file = null;
        long offset = 0;
        ulong check = 0;
        if (length < 0)
        {
            file = _files[-1 - length];
            offset = reader.ReadInt64();
            length = reader.ReadInt32();
            check = reader.ReadUInt64();
        }
        if (file is not null && !_storeValues)
        {
            // Values are projected again from the bytes, so read them back now.
            var bytes = file.Read(offset, length, check, line);
            return ReadRoutes(reader, EventRecord.FromJson(bytes, _projection, source, line, hasIndex ? index : null));
        }
        var raw = file is null ? reader.ReadBytes(length) : [];
        var e = _storeValues
            ? EventRecord.ReadValues(reader, raw, source, line, hasIndex ? index : null)
            : EventRecord.FromJson(raw, _projection, source, line, hasIndex ? index : null);
        if (file is not null)
        {
            e.SetReference(file, offset, length, check);
        }
        return ReadRoutes(reader, e);
    }

    private static EventRecord ReadRoutes(BinaryReader reader, EventRecord e)
    {
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
