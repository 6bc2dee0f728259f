using Vigil.Eql.Syntax;

namespace Vigil.Eql;

/// <summary>
/// One field's part of a <see cref="ValueRequirement"/>: the field's value (or, for an array, one of its items) is a string
/// equal to one of <see cref="Values"/>, compared ordinally or, with <see cref="IgnoreCase"/>, ordinally ignoring case (as
/// <c>:</c>, <c>in~</c> and <c>like~</c> without wildcards compare). A missing field does not satisfy it. A value that is not
/// a string (a number, a boolean, an array holding one) may still satisfy it through type coercion, so it decides nothing.
/// </summary>
/// <param name="Field">The field (a plain field: typed fields such as dates and IPs compare by converted value).</param>
/// <param name="Values">The values one of which the field must hold (never empty).</param>
/// <param name="IgnoreCase">True when the comparison ignores case.</param>
public sealed record FieldValues(FieldRef Field, IReadOnlyList<string> Values, bool IgnoreCase);

/// <summary>
/// A condition every event an event query matches satisfies: at least one of <see cref="AnyOf"/> holds (one entry per
/// field). An engine can index rules by these values and skip, for each event, the rules its values rule out.
/// </summary>
/// <param name="AnyOf">The alternatives (never empty, at most one per field).</param>
public sealed record ValueRequirement(IReadOnlyList<FieldValues> AnyOf);

/// <summary>Derives the <see cref="ValueRequirement"/>s an event filter's condition implies (all of them, conjunctively).</summary>
internal static class ValueRequirements
{
    /// <summary>Alternatives kept from each side of an <c>or</c> (their cross product is formed) and requirements kept in all.</summary>
    private const int Keep = 8;

    private static readonly List<ValueRequirement> None = [];

    public static List<ValueRequirement> Of(Expr expr, FieldTable table, Func<string, EqlFieldType?> typeOf)
    {
        switch (expr)
        {
            case LogicalExpr { Op: LogicalOp.And } a:
                return Best([.. Of(a.Left, table, typeOf), .. Of(a.Right, table, typeOf)]);
            case LogicalExpr o:
                return Or(Of(o.Left, table, typeOf), Of(o.Right, table, typeOf));
            case CompareExpr { Op: CompareOp.Eq } c:
            {
                var (field, literal) = c.Left is LiteralExpr ? (c.Right, c.Left as LiteralExpr) : (c.Left, c.Right as LiteralExpr);
                return Plain(field, typeOf) is { } path && literal is { Value.Kind: EqlValueKind.String } l
                    ? One(table.Get(path), [l.Value.AsString], ignoreCase: false)
                    : None;
            }
            case InExpr { Negated: false } i when Plain(i.Value, typeOf) is { } path && i.Items.Length > 0
                && i.Items.All(x => x is LiteralExpr { Value.Kind: EqlValueKind.String }):
                return One(table.Get(path), i.Items.Select(x => ((LiteralExpr)x).Value.AsString), i.CaseInsensitive);
            case MatchExpr { Kind: not MatchKind.Regex } m when Plain(m.Value, typeOf) is { } path && m.Patterns.Length > 0
                && m.Patterns.All(p => p.Value.Kind == EqlValueKind.String && p.Value.AsString.AsSpan().IndexOfAny('*', '?') < 0):
                // Patterns without wildcards are exact values (there is no escape character).
                return One(table.Get(path), m.Patterns.Select(p => p.Value.AsString), m.Kind == MatchKind.Seq || m.CaseInsensitive);
            default:
                // not, !=, wildcards, regexes, functions, arithmetic: no value of one field is certain.
                return None;
        }
    }

    /// <summary>
    /// "Left or right": each pair of a left and a right requirement gives one that holds if either does (their alternatives
    /// together; for a field both name, the union of the values, compared ignoring case if either side does, which only
    /// widens the set).
    /// </summary>
    private static List<ValueRequirement> Or(List<ValueRequirement> left, List<ValueRequirement> right)
    {
        var result = new List<ValueRequirement>();
        foreach (var l in left)
        {
            foreach (var r in right)
            {
                var merged = new List<FieldValues>(l.AnyOf);
                foreach (var alt in r.AnyOf)
                {
                    var same = merged.FindIndex(m => m.Field == alt.Field);
                    if (same < 0)
                    {
                        merged.Add(alt);
                    }
                    else
                    {
                        merged[same] = alt with
                        {
                            Values = Distinct(merged[same].Values.Concat(alt.Values)),
                            IgnoreCase = merged[same].IgnoreCase || alt.IgnoreCase,
                        };
                    }
                }
                result.Add(new ValueRequirement(merged));
            }
        }
        return Best(result);
    }

    /// <summary>
    /// ECS fields whose values are shared by most events of a data stream (categories, types, actions, operating systems): a
    /// requirement with an alternative on one of them selects most events, so it ranks last.
    /// </summary>
    private static readonly HashSet<string> CoarseFields = new(StringComparer.Ordinal)
    {
        "event.category", "event.type", "event.action", "event.kind", "event.outcome", "event.module", "event.dataset",
        "host.os.type", "host.os.family", "host.os.name", "host.os.platform", "data_stream.type", "data_stream.dataset",
        "data_stream.namespace", "agent.type", "ecs.version",
    };

    /// <summary>
    /// The most selective-looking requirements: none on coarse fields, then fewest alternatives, then longest shortest
    /// value, then fewest values.
    /// </summary>
    internal static List<ValueRequirement> Best(List<ValueRequirement> requirements) => requirements.Count <= Keep
        ? requirements
        : requirements
            .OrderBy(r => r.AnyOf.Any(a => CoarseFields.Contains(a.Field.Path)) ? 1 : 0)
            .ThenBy(r => r.AnyOf.Count)
            .ThenByDescending(MinLength)
            .ThenBy(r => r.AnyOf.Sum(a => a.Values.Count))
            .Take(Keep)
            .ToList();

    private static int MinLength(ValueRequirement r) => r.AnyOf.Min(a => a.Values.Min(v => v.Length));

    private static List<ValueRequirement> One(FieldRef field, IEnumerable<string> values, bool ignoreCase) =>
        [new ValueRequirement([new FieldValues(field, Distinct(values), ignoreCase)])];

    private static string[] Distinct(IEnumerable<string> values) => values.Distinct(StringComparer.Ordinal).ToArray();

    private static string? Plain(Expr e, Func<string, EqlFieldType?> typeOf) => e is FieldExpr f && typeOf(f.Path) is null ? f.Path : null;
}
