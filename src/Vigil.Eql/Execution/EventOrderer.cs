using Vigil.Eql.Compilation;

namespace Vigil.Eql.Execution;

/// <summary>
/// Writes an event to a spill file and reads it back. The caller decides what an event is on disk: typically its raw JSON
/// bytes and origin, re-projected into the same field slots when read.
/// </summary>
public interface IEventSpillCodec<T>
{
    /// <summary>Writes the event.</summary>
    void Write(T item, BinaryWriter writer);

    /// <summary>Reads an event written by <see cref="Write"/>.</summary>
    T Read(BinaryReader reader);
}

/// <summary>Settings for <see cref="EventOrderer{T}"/>.</summary>
public sealed record EventOrdererOptions
{
    /// <summary>Events held in memory before a sorted run is spilled to a temporary file (default 100,000).</summary>
    public int MaxEventsInMemory { get; init; } = 100_000;

    /// <summary>Folder for spill files (default: the system temp folder). Files are deleted when the sort ends.</summary>
    public string? TempDirectory { get; init; }
}

/// <summary>The position of an event in EQL order: timestamp, then tiebreaker (nulls last), then arrival.</summary>
internal readonly struct OrderKey : IComparable<OrderKey>
{
    public OrderKey(long ts, EqlValue tiebreaker, long sequence)
    {
        Ts = ts;
        Tiebreaker = tiebreaker.Kind == EqlValueKind.Array ? tiebreaker.AsArray[0] : tiebreaker;
        Sequence = sequence;
    }

    public long Ts { get; }

    public EqlValue Tiebreaker { get; }

    public long Sequence { get; }

    public static OrderKey Of(IEqlEvent e, FieldRef timestamp, FieldRef? tiebreaker, long sequence, out bool timed)
    {
        timed = EqlTime.TryGetNanos(e.Get(timestamp), out var ts);
        return new OrderKey(timed ? ts : long.MinValue, tiebreaker is null ? EqlValue.Null : e.Get(tiebreaker), sequence);
    }

    public int CompareTo(OrderKey other)
    {
        var c = Ts.CompareTo(other.Ts);
        if (c != 0)
        {
            return c;
        }
        c = CompareTiebreakers(Tiebreaker, other.Tiebreaker);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }

    private static int CompareTiebreakers(EqlValue a, EqlValue b)
    {
        if (a.IsNull || b.IsNull)
        {
            return a.IsNull ? (b.IsNull ? 0 : 1) : -1;
        }
        return JoinKey.CompareScalar(a, b);
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Ts);
        w.Write(Sequence);
        var t = Tiebreaker;
        w.Write((byte)t.Kind);
        switch (t.Kind)
        {
            case EqlValueKind.Boolean:
                w.Write(t.AsBoolean);
                break;
            case EqlValueKind.Long:
                w.Write(t.AsLong);
                break;
            case EqlValueKind.Double:
                w.Write(t.AsDouble);
                break;
            case EqlValueKind.String:
                w.Write(t.AsString);
                break;
        }
    }

    public static OrderKey Read(BinaryReader r)
    {
        var ts = r.ReadInt64();
        var seq = r.ReadInt64();
        var t = (EqlValueKind)r.ReadByte() switch
        {
            EqlValueKind.Boolean => EqlValue.From(r.ReadBoolean()),
            EqlValueKind.Long => EqlValue.From(r.ReadInt64()),
            EqlValueKind.Double => EqlValue.From(r.ReadDouble()),
            EqlValueKind.String => EqlValue.From(r.ReadString()),
            _ => EqlValue.Null,
        };
        return new OrderKey(ts, t, seq);
    }
}

/// <summary>Helpers to build orderers for a compiled query.</summary>
public static class EventOrderer
{
    /// <summary>An orderer on the query's timestamp and tiebreaker fields (registered in its field table).</summary>
    public static EventOrderer<T> For<T>(CompiledQuery query, IEventSpillCodec<T>? codec = null, EventOrdererOptions? options = null)
        where T : IEqlEvent
    {
        ArgumentNullException.ThrowIfNull(query);
        var ts = query.FieldTable.Get(query.Options.TimestampField);
        var tb = query.Options.TiebreakerField is { } t ? query.FieldTable.Get(t) : null;
        return new EventOrderer<T>(ts, tb, codec, options);
    }
}

/// <summary>
/// Orders a finite stream of events by timestamp, then tiebreaker (nulls last), then arrival, with bounded memory: past
/// <see cref="EventOrdererOptions.MaxEventsInMemory"/> events, sorted runs are spilled to temporary files through the codec
/// and merged. Events without a usable timestamp come first, in arrival order. Without a codec everything stays in memory.
/// </summary>
public sealed class EventOrderer<T> where T : IEqlEvent
{
    private readonly FieldRef _timestamp;
    private readonly FieldRef? _tiebreaker;
    private readonly IEventSpillCodec<T>? _codec;
    private readonly EventOrdererOptions _options;

    /// <summary>Creates an orderer on the given fields.</summary>
    public EventOrderer(FieldRef timestamp, FieldRef? tiebreaker, IEventSpillCodec<T>? codec = null, EventOrdererOptions? options = null)
    {
        _timestamp = timestamp ?? throw new ArgumentNullException(nameof(timestamp));
        _tiebreaker = tiebreaker;
        _codec = codec;
        _options = options ?? new EventOrdererOptions();
    }

    /// <summary>Sorted runs written to disk by the last sort.</summary>
    public int SpilledRuns { get; private set; }

    /// <summary>Events written to disk by the last sort.</summary>
    public long SpilledEvents { get; private set; }

    /// <summary>Events without a usable timestamp seen by the last sort.</summary>
    public long EventsWithoutTimestamp { get; private set; }

    /// <summary>Events sorted by the last sort.</summary>
    public long EventsSorted { get; private set; }

    /// <summary>Returns the events in order. Lazy: reading starts when enumeration starts.</summary>
    public IEnumerable<T> Sort(IEnumerable<T> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        SpilledRuns = 0;
        SpilledEvents = 0;
        EventsWithoutTimestamp = 0;
        EventsSorted = 0;
        var capacity = Math.Max(1, _options.MaxEventsInMemory);
        var keys = new List<OrderKey>();
        var items = new List<T>();
        var runs = new List<FileStream>();
        try
        {
            long seq = 0;
            foreach (var e in events)
            {
                keys.Add(OrderKey.Of(e, _timestamp, _tiebreaker, seq++, out var timed));
                items.Add(e);
                if (!timed)
                {
                    EventsWithoutTimestamp++;
                }
                if (_codec is not null && keys.Count >= capacity)
                {
                    runs.Add(Spill(keys, items));
                }
            }
            EventsSorted = seq;
            var memKeys = keys.ToArray();
            var memItems = items.ToArray();
            keys.Clear();
            items.Clear();
            Array.Sort(memKeys, memItems);
            if (runs.Count == 0)
            {
                foreach (var item in memItems)
                {
                    yield return item;
                }
                yield break;
            }
            foreach (var item in Merge(runs, memKeys, memItems))
            {
                yield return item;
            }
        }
        finally
        {
            foreach (var r in runs)
            {
                r.Dispose();
            }
        }
    }

    private FileStream Spill(List<OrderKey> keys, List<T> items)
    {
        var k = keys.ToArray();
        var v = items.ToArray();
        keys.Clear();
        items.Clear();
        Array.Sort(k, v);
        FileStream stream;
        try
        {
            stream = TemporaryFile.Create(_options.TempDirectory, "vigil-sort", ".run");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot spill events for ordering to {_options.TempDirectory ?? Path.GetTempPath()}: {ex.Message}", ex);
        }
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            for (var i = 0; i < k.Length; i++)
            {
                k[i].Write(w);
                _codec!.Write(v[i], w);
            }
        }
        stream.Flush();
        stream.Position = 0;
        SpilledRuns++;
        SpilledEvents += k.Length;
        return stream;
    }

    private IEnumerable<T> Merge(List<FileStream> runs, OrderKey[] memKeys, T[] memItems)
    {
        var readers = runs.Select(r => new BinaryReader(r, System.Text.Encoding.UTF8, leaveOpen: true)).ToArray();
        var heads = new T[readers.Length];
        var queue = new PriorityQueue<int, OrderKey>(readers.Length + 1);
        for (var i = 0; i < readers.Length; i++)
        {
            if (TryRead(readers[i], out var key, out heads[i]))
            {
                queue.Enqueue(i, key);
            }
        }
        var memIndex = 0;
        const int Memory = -1;
        if (memKeys.Length > 0)
        {
            queue.Enqueue(Memory, memKeys[0]);
        }
        while (queue.TryDequeue(out var source, out _))
        {
            if (source == Memory)
            {
                yield return memItems[memIndex++];
                if (memIndex < memKeys.Length)
                {
                    queue.Enqueue(Memory, memKeys[memIndex]);
                }
                continue;
            }
            yield return heads[source];
            if (TryRead(readers[source], out var key, out heads[source]))
            {
                queue.Enqueue(source, key);
            }
        }
    }

    private bool TryRead(BinaryReader reader, out OrderKey key, out T item)
    {
        if (reader.BaseStream.Position >= reader.BaseStream.Length)
        {
            key = default;
            item = default!;
            return false;
        }
        key = OrderKey.Read(reader);
        item = _codec!.Read(reader);
        return true;
    }
}

/// <summary>
/// Orders a live stream within a time window: events are buffered and released in order once they are older than the newest
/// timestamp seen minus the window. An event older than one already released is late: it is counted, handed to
/// <see cref="LateEvent"/> and not released. Events without a usable timestamp pass straight through (counted).
/// </summary>
public sealed class ReorderWindow<T> where T : IEqlEvent
{
    private readonly FieldRef _timestamp;
    private readonly FieldRef? _tiebreaker;
    private readonly long _window;
    private readonly int _maxBuffered;
    private readonly PriorityQueue<T, OrderKey> _buffer = new();
    private long _newest = long.MinValue;
    private long _released = long.MinValue;
    private long _seq;

    /// <summary>Creates a window of <paramref name="window"/> holding at most <paramref name="maxBuffered"/> events.</summary>
    public ReorderWindow(FieldRef timestamp, FieldRef? tiebreaker, TimeSpan window, int maxBuffered = 100_000)
    {
        _timestamp = timestamp ?? throw new ArgumentNullException(nameof(timestamp));
        _tiebreaker = tiebreaker;
        _window = window.Ticks * 100;
        _maxBuffered = Math.Max(1, maxBuffered);
    }

    /// <summary>Called for each late event.</summary>
    public Action<T>? LateEvent { get; set; }

    /// <summary>Events that arrived after later ones had been released, and were dropped.</summary>
    public long LateEvents { get; private set; }

    /// <summary>Events released early because the buffer was full.</summary>
    public long ForcedReleases { get; private set; }

    /// <summary>Events without a usable timestamp, passed through.</summary>
    public long EventsWithoutTimestamp { get; private set; }

    /// <summary>Events currently held.</summary>
    public int Buffered => _buffer.Count;

    /// <summary>Adds an event; events that are now due are added to <paramref name="released"/> in order.</summary>
    public void Push(T e, ICollection<T> released)
    {
        ArgumentNullException.ThrowIfNull(released);
        var key = OrderKey.Of(e, _timestamp, _tiebreaker, _seq++, out var timed);
        if (!timed)
        {
            EventsWithoutTimestamp++;
            released.Add(e);
            return;
        }
        if (key.Ts < _released)
        {
            LateEvents++;
            LateEvent?.Invoke(e);
            return;
        }
        _buffer.Enqueue(e, key);
        _newest = Math.Max(_newest, key.Ts);
        var due = _newest - _window;
        while (_buffer.TryPeek(out var item, out var k) && (k.Ts <= due || _buffer.Count > _maxBuffered))
        {
            if (k.Ts > due)
            {
                ForcedReleases++;
            }
            _buffer.Dequeue();
            _released = Math.Max(_released, k.Ts);
            released.Add(item);
        }
    }

    /// <summary>Releases everything held (end of stream).</summary>
    public void Flush(ICollection<T> released)
    {
        ArgumentNullException.ThrowIfNull(released);
        while (_buffer.TryDequeue(out var item, out var k))
        {
            _released = Math.Max(_released, k.Ts);
            released.Add(item);
        }
    }
}
