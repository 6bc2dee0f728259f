using Vigil.Eql;
using Vigil.Events;

namespace Vigil.Detection;

/// <summary>
/// Picks, for one event, the rules of a routed list that can match it, keeping their order. Each rule is indexed by one of
/// its <see cref="CompiledQuery.RequiredValues"/> (the most selective-looking one), under each alternative's field and
/// values; an event then meets the rules indexed under its value of each indexed field, plus the rules without an index. A field whose value is not plainly strings
/// (a number, a boolean, a mixed array) selects every rule indexed under it, since such values can match through type
/// coercion; a missing field selects none of them (they cannot match). The rules skipped are exactly rules whose query is
/// false for the event, so the alerts do not change.
/// </summary>
internal sealed class RuleDispatch
{
    private readonly ActiveRule[] _rules;
    private readonly ulong[] _always;
    private readonly Group[] _groups;

    private sealed class Group(FieldRef field, Dictionary<string, ulong[]> exact, Dictionary<string, ulong[]> ignoreCase, ulong[] all)
    {
        public FieldRef Field { get; } = field;

        public Dictionary<string, ulong[]> Exact { get; } = exact;

        public Dictionary<string, ulong[]> IgnoreCase { get; } = ignoreCase;

        /// <summary>Every rule indexed under this field.</summary>
        public ulong[] All { get; } = all;
    }

    // Values that nearly every event of a data stream holds: a requirement made only of them selects nothing.
    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "process", "file", "network", "start", "end", "exec", "fork", "linux", "info", "change", "creation", "deletion",
        "event", "logs", "default", "cloud_defend", "x86_64", "container", "host", "user", "root", "true", "false",
    };

    public RuleDispatch(ActiveRule[] rules)
    {
        _rules = rules;
        var words = (rules.Length + 63) / 64;
        _always = new ulong[words];
        var byField = new Dictionary<FieldRef, (Dictionary<string, ulong[]> Exact, Dictionary<string, ulong[]> IgnoreCase, ulong[] All)>();
        for (var i = 0; i < rules.Length; i++)
        {
            // A value found in nearly every event selects most events: prefer requirements without one, then those with
            // fewer alternatives, then longer values, then fewer values.
            var best = rules[i].Query.RequiredValues
                .Where(r => !r.AnyOf.Any(a => a.Values.All(Common.Contains)))
                .OrderBy(r => r.AnyOf.Any(a => a.Values.Any(Common.Contains)) ? 1 : 0)
                .ThenBy(r => r.AnyOf.Count)
                .ThenByDescending(r => r.AnyOf.Min(a => a.Values.Min(v => v.Length)))
                .ThenBy(r => r.AnyOf.Sum(a => a.Values.Count))
                .FirstOrDefault();
            if (best is null)
            {
                Set(_always, i);
                continue;
            }
            // The rule is selected when any alternative holds: it is indexed under each alternative's field and values.
            foreach (var alternative in best.AnyOf)
            {
                if (!byField.TryGetValue(alternative.Field, out var group))
                {
                    group = (new Dictionary<string, ulong[]>(StringComparer.Ordinal), new Dictionary<string, ulong[]>(StringComparer.OrdinalIgnoreCase), new ulong[words]);
                    byField[alternative.Field] = group;
                }
                Set(group.All, i);
                var map = alternative.IgnoreCase ? group.IgnoreCase : group.Exact;
                foreach (var value in alternative.Values)
                {
                    if (!map.TryGetValue(value, out var mask))
                    {
                        map[value] = mask = new ulong[words];
                    }
                    Set(mask, i);
                }
            }
        }
        _groups = byField.Select(g => new Group(g.Key, g.Value.Exact, g.Value.IgnoreCase, g.Value.All)).ToArray();
    }

    /// <summary>The rules, in routed order.</summary>
    public ActiveRule[] Rules => _rules;

    /// <summary>Words of the selection mask <see cref="Select"/> fills.</summary>
    public int MaskWords => _always.Length;

    /// <summary>Marks in <paramref name="mask"/> (of <see cref="MaskWords"/> words) the rules that can match <paramref name="e"/>.</summary>
    public void Select(EventRecord e, Span<ulong> mask)
    {
        _always.CopyTo(mask);
        foreach (var group in _groups)
        {
            var value = e.Get(group.Field);
            switch (value.Kind)
            {
                case EqlValueKind.Null:
                    break;
                case EqlValueKind.String:
                    Add(group, value.AsString, mask);
                    break;
                case EqlValueKind.Array when AllStrings(value.AsArray):
                    foreach (var item in value.AsArray)
                    {
                        Add(group, item.AsString, mask);
                    }
                    break;
                default:
                    Or(mask, group.All);
                    break;
            }
        }
    }

    private static bool AllStrings(ReadOnlySpan<EqlValue> items)
    {
        foreach (var item in items)
        {
            if (item.Kind != EqlValueKind.String)
            {
                return false;
            }
        }
        return true;
    }

    private static void Add(Group group, string value, Span<ulong> mask)
    {
        if (group.Exact.Count > 0 && group.Exact.TryGetValue(value, out var exact))
        {
            Or(mask, exact);
        }
        if (group.IgnoreCase.Count > 0 && group.IgnoreCase.TryGetValue(value, out var folded))
        {
            Or(mask, folded);
        }
    }

    private static void Or(Span<ulong> mask, ulong[] bits)
    {
        for (var w = 0; w < bits.Length; w++)
        {
            mask[w] |= bits[w];
        }
    }

    private static void Set(ulong[] mask, int i) => mask[i >> 6] |= 1UL << (i & 63);
}
