using System.Collections.Immutable;
using System.Collections.ObjectModel;

namespace Vigil.Rules;

/// <summary>
/// Shapes of raw TOML values kept by the rule model (<c>Raw</c>, <c>Extensions</c>, filters, ...):
/// <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>,
/// TOML dates as ISO 8601 <see cref="string"/>, arrays as <see cref="IReadOnlyList{T}"/> of <see cref="object"/>,
/// and tables as <see cref="IReadOnlyDictionary{TKey, TValue}"/> keeping the order of the file.
/// These shapes serialise as they are with <c>System.Text.Json</c>.
/// </summary>
public static class RuleValues
{
    /// <summary>An empty, read-only table.</summary>
    public static IReadOnlyDictionary<string, object?> EmptyTable { get; } =
        new ReadOnlyDictionary<string, object?>(new Dictionary<string, object?>());

    /// <summary>Wraps an ordered dictionary so nobody can change it afterwards.</summary>
    internal static IReadOnlyDictionary<string, object?> Freeze(OrderedDictionary<string, object?> table) =>
        table.Count == 0 ? EmptyTable : new ReadOnlyDictionary<string, object?>(table);

    /// <summary>Wraps a list so nobody can change it afterwards.</summary>
    internal static IReadOnlyList<object?> Freeze(List<object?> items) => items.ToImmutableArray();
}
