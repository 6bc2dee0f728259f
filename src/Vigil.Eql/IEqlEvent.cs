namespace Vigil.Eql;

/// <summary>
/// A handle on one field an EQL query reads. Fields are registered in a <see cref="FieldTable"/> so that every query
/// loaded together shares one slot per field path; readers fill exactly those slots.
/// </summary>
/// <param name="Path">Dotted ECS path (<c>process.args</c>).</param>
/// <param name="Slot">Index of the field in its <see cref="FieldTable"/>.</param>
public sealed record FieldRef(string Path, int Slot);

/// <summary>What a compiled query needs from an event: the value of a field. Missing fields are <see cref="EqlValue.Null"/>.</summary>
public interface IEqlEvent
{
    /// <summary>The value of a field, or null when the event has no such field.</summary>
    EqlValue Get(FieldRef field);
}

/// <summary>
/// Registry of field paths read by a set of compiled queries. Each path gets one slot; readers use
/// <see cref="Paths"/> to extract only these fields from each input line.
/// </summary>
public sealed class FieldTable
{
    private readonly Dictionary<string, FieldRef> _byPath = new(StringComparer.Ordinal);
    private readonly List<FieldRef> _fields = [];
    private readonly Lock _gate = new();

    /// <summary>The registered fields in slot order.</summary>
    public IReadOnlyList<FieldRef> Fields
    {
        get
        {
            lock (_gate)
            {
                return _fields.ToArray();
            }
        }
    }

    /// <summary>The registered paths in slot order.</summary>
    public IReadOnlyList<string> Paths => Fields.Select(f => f.Path).ToArray();

    /// <summary>Number of registered fields.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _fields.Count;
            }
        }
    }

    /// <summary>Returns the field for <paramref name="path"/>, registering it when new.</summary>
    public FieldRef Get(string path)
    {
        lock (_gate)
        {
            if (!_byPath.TryGetValue(path, out var field))
            {
                field = new FieldRef(path, _fields.Count);
                _byPath.Add(path, field);
                _fields.Add(field);
            }
            return field;
        }
    }

    /// <summary>Looks a path up without registering it.</summary>
    public bool TryGet(string path, out FieldRef? field)
    {
        lock (_gate)
        {
            return _byPath.TryGetValue(path, out field);
        }
    }
}
