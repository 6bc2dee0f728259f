using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>Whether an exception entry holds when its condition is true (<c>included</c>) or when it is false (<c>excluded</c>).</summary>
public enum ExceptionOperator
{
    /// <summary><c>included</c>: "is", "is one of", "exists", "matches".</summary>
    Included,

    /// <summary><c>excluded</c>: "is not", "is not one of", "does not exist", "does not match".</summary>
    Excluded,
}

/// <summary>The kind of condition an exception entry tests (Kibana's entry <c>type</c>).</summary>
public enum ExceptionEntryType
{
    /// <summary><c>match</c>: the field has exactly this value (case-sensitive).</summary>
    Match,

    /// <summary><c>match_any</c>: the field has one of these values (case-sensitive).</summary>
    MatchAny,

    /// <summary><c>exists</c>: the field has a value.</summary>
    Exists,

    /// <summary><c>wildcard</c>: a value of the field matches a pattern with <c>*</c> and <c>?</c> (case-sensitive).</summary>
    Wildcard,

    /// <summary><c>nested</c>: one object under the field satisfies all the sub-entries together.</summary>
    Nested,
}

/// <summary>Where an exception item or entry was written (1-based).</summary>
/// <param name="File">File path or source name.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
public sealed record ExceptionSource(string? File, int Line, int Column)
{
    /// <summary><c>file(line,col)</c>.</summary>
    public override string ToString() => $"{File}({Line},{Column})";
}

/// <summary>One condition of an exception item.</summary>
public sealed record ExceptionEntry
{
    /// <summary>Field path (for a sub-entry of a nested entry: relative to the nested field).</summary>
    public required string Field { get; init; }

    /// <summary>The entry type.</summary>
    public required ExceptionEntryType Type { get; init; }

    /// <summary>Included or excluded (always <see cref="ExceptionOperator.Included"/> for nested entries, which have no operator).</summary>
    public ExceptionOperator Operator { get; init; }

    /// <summary>The value (one for match and wildcard, several for match_any, none for exists and nested).</summary>
    public ImmutableArray<string> Values { get; init; } = [];

    /// <summary>Sub-entries of a nested entry.</summary>
    public ImmutableArray<ExceptionEntry> Entries { get; init; } = [];

    /// <summary>Where the entry was written.</summary>
    public required ExceptionSource Source { get; init; }
}

/// <summary>
/// An exception item (Kibana's exception list item of type <c>simple</c>): an event is excepted when all its entries hold.
/// </summary>
public sealed record ExceptionItem
{
    /// <summary><c>item_id</c>, when given.</summary>
    public string? ItemId { get; init; }

    /// <summary><c>list_id</c> of the list the item belongs to (empty when none was given).</summary>
    public required string ListId { get; init; }

    /// <summary><c>name</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The entries, all of which must hold.</summary>
    public required ImmutableArray<ExceptionEntry> Entries { get; init; }

    /// <summary><c>os_types</c>: when not empty, the item applies only to events whose <c>host.os.type</c> (or <c>host.os.name.caseless</c>) is one of them.</summary>
    public ImmutableArray<string> OsTypes { get; init; } = [];

    /// <summary><c>expire_time</c>: after it the item no longer applies.</summary>
    public DateTimeOffset? ExpireTime { get; init; }

    /// <summary>Rules the item is attached to directly (<c>rule_ids</c> on the item; <c>*</c> is every rule).</summary>
    public ImmutableArray<string> RuleIds { get; init; } = [];

    /// <summary>Where the item was written.</summary>
    public required ExceptionSource Source { get; init; }

    /// <summary>A short name for messages: the name and the item id when there is one.</summary>
    public string DisplayName => ItemId is null ? $"'{Name}'" : $"'{Name}' ({ItemId})";
}

/// <summary>An exception list (Kibana's exception list container) and the rules it is attached to.</summary>
/// <param name="ListId"><c>list_id</c>.</param>
/// <param name="Name"><c>name</c> (or the file's <c>metadata.list_name</c>).</param>
/// <param name="RuleIds">Rules the list is attached to: <c>rule_ids</c> (<c>*</c> is every rule).</param>
/// <param name="Source">Where the list was written.</param>
public sealed record ExceptionList(string ListId, string? Name, ImmutableArray<string> RuleIds, ExceptionSource Source);
