using Vigil.Eql.Compilation;

namespace Vigil.Eql.Execution;

/// <summary>A composite join key: one scalar per key expression. Equality is value equality (1 and 1.0 are equal).</summary>
internal readonly struct JoinKey : IEquatable<JoinKey>, IComparable<JoinKey>
{
    private readonly EqlValue[]? _values;
    private readonly EqlValue _single;
    private readonly int _hash;

    public static readonly JoinKey None = new([], 0);

    private JoinKey(EqlValue[] values, int count)
    {
        Count = count;
        if (count == 1)
        {
            _single = values[0];
            _values = null;
            _hash = values[0].GetHashCode();
        }
        else
        {
            _values = values;
            var h = new HashCode();
            foreach (var v in values)
            {
                h.Add(v);
            }
            _hash = h.ToHashCode();
        }
    }

    private JoinKey(EqlValue single)
    {
        Count = 1;
        _single = single;
        _values = null;
        _hash = single.GetHashCode();
    }

    public int Count { get; }

    public static JoinKey Single(EqlValue value) => new(value);

    public EqlValue this[int index] => Count == 1 ? _single : _values![index];

    public static JoinKey Of(EqlValue[] values) => values.Length == 0 ? None : new JoinKey(values, values.Length);

    public IReadOnlyList<EqlValue> ToList()
    {
        if (Count == 0)
        {
            return [];
        }
        return Count == 1 ? [_single] : (EqlValue[])_values!.Clone();
    }

    public bool Equals(JoinKey other)
    {
        if (_hash != other._hash || Count != other.Count)
        {
            return false;
        }
        for (var i = 0; i < Count; i++)
        {
            if (!this[i].Equals(other[i]))
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is JoinKey k && Equals(k);

    public override int GetHashCode() => _hash;

    /// <summary>Composite-aggregation order: element by element, nulls first, then by value.</summary>
    public int CompareTo(JoinKey other)
    {
        for (var i = 0; i < Math.Min(Count, other.Count); i++)
        {
            var c = CompareScalar(this[i], other[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return Count.CompareTo(other.Count);
    }

    internal static int CompareScalar(EqlValue a, EqlValue b)
    {
        if (a.IsNull || b.IsNull)
        {
            return a.IsNull ? (b.IsNull ? 0 : -1) : 1;
        }
        if (a.Kind == b.Kind || (a.IsNumber && b.IsNumber))
        {
            return Values.Compare(a, b) ?? 0;
        }
        return Rank(a).CompareTo(Rank(b));
    }

    private static int Rank(EqlValue v) => v.Kind switch
    {
        EqlValueKind.Boolean => 1,
        EqlValueKind.Long or EqlValueKind.Double => 2,
        _ => 3,
    };

    public static bool operator ==(JoinKey left, JoinKey right) => left.Equals(right);

    public static bool operator !=(JoinKey left, JoinKey right) => !left.Equals(right);

    public static bool operator <(JoinKey left, JoinKey right) => left.CompareTo(right) < 0;

    public static bool operator >(JoinKey left, JoinKey right) => left.CompareTo(right) > 0;

    public static bool operator <=(JoinKey left, JoinKey right) => left.CompareTo(right) <= 0;

    public static bool operator >=(JoinKey left, JoinKey right) => left.CompareTo(right) >= 0;
}

/// <summary>
/// Evaluates a stage's join keys on an event and expands multi-valued keys into one key per combination of distinct values
/// (sorted, as Elasticsearch's doc values are), first key outermost. A null key drops the event unless the key is optional
/// (<c>?field</c>), in which case null joins with null.
/// </summary>
internal sealed class KeyEvaluator
{
    private readonly Evaluator[] _keys;
    private readonly bool[] _optional;

    public KeyEvaluator(Evaluator[] keys, bool[] optional)
    {
        _keys = keys;
        _optional = optional;
    }

    public int Arity => _keys.Length;

    /// <summary>Adds the event's keys to <paramref name="output"/>; false when a required key is null.</summary>
    public bool Evaluate(IEqlEvent e, List<JoinKey> output)
    {
        output.Clear();
        if (_keys.Length == 0)
        {
            output.Add(JoinKey.None);
            return true;
        }
        if (_keys.Length == 1)
        {
            // The common case: one key, one value; no allocation.
            var only = _keys[0](e);
            if (only.Kind != EqlValueKind.Array)
            {
                if (only.IsNull && !_optional[0])
                {
                    return false;
                }
                output.Add(JoinKey.Single(only));
                return true;
            }
        }
        EqlValue[]? single = null;
        List<EqlValue[]>? options = null;
        for (var i = 0; i < _keys.Length; i++)
        {
            var v = _keys[i](e);
            if (v.Kind == EqlValueKind.Array)
            {
                options ??= new List<EqlValue[]>(_keys.Length);
                while (options.Count < i)
                {
                    options.Add([single![options.Count]]);
                }
                var distinct = Distinct(v);
                if (distinct.Length == 0)
                {
                    if (!_optional[i])
                    {
                        return false;
                    }
                    distinct = [EqlValue.Null];
                }
                options.Add(distinct);
                continue;
            }
            if (v.IsNull && !_optional[i])
            {
                return false;
            }
            if (options is not null)
            {
                options.Add([v]);
            }
            else
            {
                single ??= new EqlValue[_keys.Length];
                single[i] = v;
            }
        }
        if (options is null)
        {
            output.Add(JoinKey.Of(single!));
            return true;
        }
        Expand(options, 0, new EqlValue[_keys.Length], output);
        return true;
    }

    private static void Expand(List<EqlValue[]> options, int index, EqlValue[] current, List<JoinKey> output)
    {
        if (index == options.Count)
        {
            output.Add(JoinKey.Of((EqlValue[])current.Clone()));
            return;
        }
        foreach (var v in options[index])
        {
            current[index] = v;
            Expand(options, index + 1, current, output);
        }
    }

    private static EqlValue[] Distinct(EqlValue array)
    {
        var items = array.AsArray;
        var list = new List<EqlValue>(items.Length);
        foreach (var item in items)
        {
            if (!item.IsNull && !list.Contains(item))
            {
                list.Add(item);
            }
        }
        list.Sort(JoinKey.CompareScalar);
        return [.. list];
    }
}
