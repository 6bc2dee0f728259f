using Vigil.Eql.Syntax;

namespace Vigil.Eql;

/// <summary>
/// A field whose value decides whether an event query can match: the query can match an event only if the field's value
/// (or, for an array, one of its items) is a string equal to one of <see cref="Values"/>, compared ordinally or, with
/// <see cref="IgnoreCase"/>, ordinally ignoring case (as <c>:</c>, <c>in~</c> and <c>like~</c> without wildcards compare).
/// A missing field cannot match. A value that is not a string (a number, a boolean, an array holding one) may still match
/// through type coercion, so it decides nothing. An engine can index rules by these values and skip, for each event, the
/// rules its value rules out.
/// </summary>
/// <param name="Field">The field (a plain field: typed fields such as dates and IPs compare by converted value).</param>
/// <param name="Values">The values one of which the field must hold (never empty).</param>
/// <param name="IgnoreCase">True when the comparison ignores case.</param>
public sealed record ValueRequirement(FieldRef Field, IReadOnlyList<string> Values, bool IgnoreCase);

/// <summary>Derives the <see cref="ValueRequirement"/>s an event filter's condition implies (all of them, conjunctively).</summary>
internal static class ValueRequirements
{
    private static readonly List<ValueRequirement> None = [];

    public static List<ValueRequirement> Of(Expr expr, FieldTable table, Func<string, EqlFieldType?> typeOf)
    {
        switch (expr)
        {
            case LogicalExpr { Op: LogicalOp.And } a:
                return [.. Of(a.Left, table, typeOf), .. Of(a.Right, table, typeOf)];
            case LogicalExpr o:
                return Or(Of(o.Left, table, typeOf), Of(o.Right, table, typeOf));
            case CompareExpr { Op: CompareOp.Eq } c:
            {
                var (field, literal) = c.Left is LiteralExpr ? (c.Right, c.Left as LiteralExpr) : (c.Left, c.Right as LiteralExpr);
                return Plain(field, typeOf) is { } path && literal is { Value.Kind: EqlValueKind.String } l
                    ? [new ValueRequirement(table.Get(path), [l.Value.AsString], IgnoreCase: false)]
                    : None;
            }
            case InExpr { Negated: false } i when Plain(i.Value, typeOf) is { } path && i.Items.Length > 0
                && i.Items.All(x => x is LiteralExpr { Value.Kind: EqlValueKind.String }):
                return [new ValueRequirement(table.Get(path), Distinct(i.Items.Select(x => ((LiteralExpr)x).Value.AsString)), i.CaseInsensitive)];
            case MatchExpr { Kind: not MatchKind.Regex } m when Plain(m.Value, typeOf) is { } path && m.Patterns.Length > 0
                && m.Patterns.All(p => p.Value.Kind == EqlValueKind.String && p.Value.AsString.AsSpan().IndexOfAny('*', '?') < 0):
                // Patterns without wildcards are exact values (there is no escape character).
                return [new ValueRequirement(table.Get(path), Distinct(m.Patterns.Select(p => p.Value.AsString)), m.Kind == MatchKind.Seq || m.CaseInsensitive)];
            default:
                // not, !=, wildcards, regexes, functions, arithmetic: no value of one field is certain.
                return None;
        }
    }

    /// <summary>
    /// "Left or right": for a field both sides constrain, the value is in the union of their sets (compared ignoring case if
    /// either side does, which only widens the set).
    /// </summary>
    private static List<ValueRequirement> Or(List<ValueRequirement> left, List<ValueRequirement> right)
    {
        var result = new List<ValueRequirement>();
        foreach (var l in left)
        {
            foreach (var r in right)
            {
                if (l.Field == r.Field)
                {
                    result.Add(new ValueRequirement(l.Field, Distinct(l.Values.Concat(r.Values)), l.IgnoreCase || r.IgnoreCase));
                }
            }
        }
        return result;
    }

    private static string[] Distinct(IEnumerable<string> values) => values.Distinct(StringComparer.Ordinal).ToArray();

    private static string? Plain(Expr e, Func<string, EqlFieldType?> typeOf) => e is FieldExpr f && typeOf(f.Path) is null ? f.Path : null;
}
