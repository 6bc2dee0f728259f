using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// The <c>[transform]</c> table: investigation-guide plugins that the rules build renders into <c>note</c>.
/// Every key is also kept as written in <see cref="Raw"/>.
/// </summary>
/// <param name="Osquery"><c>[[transform.osquery]]</c> entries.</param>
/// <param name="Investigate"><c>[[transform.investigate]]</c> entries.</param>
public sealed record RuleTransform(ImmutableArray<OsqueryTransform> Osquery, ImmutableArray<InvestigateTransform> Investigate)
{
    /// <summary>Keys of <c>[transform]</c> other than <c>osquery</c> and <c>investigate</c>, as written.</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = RuleValues.EmptyTable;

    /// <summary>The whole <c>[transform]</c> table as written.</summary>
    public IReadOnlyDictionary<string, object?> Raw { get; init; } = RuleValues.EmptyTable;
}

/// <summary>An Osquery button in the investigation guide.</summary>
/// <param name="Label">Button label.</param>
/// <param name="Query">Osquery SQL; may hold <c>{{field}}</c> placeholders.</param>
/// <param name="EcsMapping"><c>ecs_mapping</c> table, when given.</param>
public sealed record OsqueryTransform(string Label, string Query, IReadOnlyDictionary<string, object?>? EcsMapping);

/// <summary>An "investigate in timeline" button in the investigation guide.</summary>
/// <param name="Label">Button label.</param>
/// <param name="Description">Description, when given.</param>
/// <param name="Providers">Groups of filter providers (groups are ORed, providers inside a group ANDed).</param>
/// <param name="RelativeFrom"><c>relativeFrom</c> date math, when given.</param>
/// <param name="RelativeTo"><c>relativeTo</c> date math, when given.</param>
public sealed record InvestigateTransform(
    string Label,
    string? Description,
    ImmutableArray<ImmutableArray<InvestigateProvider>> Providers,
    string? RelativeFrom,
    string? RelativeTo);

/// <summary>One filter of an investigate button.</summary>
/// <param name="Field">Field filtered on.</param>
/// <param name="Value">Value; may hold <c>{{field}}</c> placeholders.</param>
/// <param name="QueryType"><c>queryType</c>, e.g. <c>phrase</c>.</param>
/// <param name="ValueType"><c>valueType</c>, e.g. <c>string</c>.</param>
/// <param name="Excluded">Whether the filter excludes.</param>
public sealed record InvestigateProvider(string Field, string Value, string QueryType, string ValueType, bool Excluded);
