using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// The <c>[metadata]</c> table of a rule file: repository-side facts about the rule, never sent to Kibana.
/// Every key is also kept as written in <see cref="Raw"/>.
/// </summary>
public sealed record RuleMetadata
{
    /// <summary><c>creation_date</c>, <c>YYYY/MM/DD</c> (a plain string in the file, not a TOML date).</summary>
    public required string CreationDate { get; init; }

    /// <summary><c>updated_date</c>, <c>YYYY/MM/DD</c>.</summary>
    public required string UpdatedDate { get; init; }

    /// <summary><c>maturity</c>; <see langword="null"/> when absent.</summary>
    public RuleMaturity? Maturity { get; init; }

    /// <summary><c>deprecation_date</c>, <c>YYYY/MM/DD</c>.</summary>
    public string? DeprecationDate { get; init; }

    /// <summary><c>deprecated_reason</c>.</summary>
    public string? DeprecatedReason { get; init; }

    /// <summary>
    /// <c>integration</c>: Fleet package names. The file may hold one string or a list; both become a list here
    /// (<see cref="Raw"/> keeps the shape as written).
    /// </summary>
    public ImmutableArray<string> Integration { get; init; } = [];

    /// <summary><c>min_stack_version</c>, e.g. <c>9.3.0</c>.</summary>
    public string? MinStackVersion { get; init; }

    /// <summary><c>min_stack_comments</c>.</summary>
    public string? MinStackComments { get; init; }

    /// <summary><c>bypass_bbr_timing</c>.</summary>
    public bool? BypassBbrTiming { get; init; }

    /// <summary><c>promotion</c>: the rule promotes external alerts.</summary>
    public bool? Promotion { get; init; }

    /// <summary><c>comments</c>.</summary>
    public string? Comments { get; init; }

    /// <summary><c>os_type_list</c>.</summary>
    public ImmutableArray<string> OsTypeList { get; init; } = [];

    /// <summary><c>query_schema_validation</c>: <see langword="false"/> turns off field validation upstream.</summary>
    public bool? QuerySchemaValidation { get; init; }

    /// <summary><c>related_endpoint_rules</c>.</summary>
    public ImmutableArray<string> RelatedEndpointRules { get; init; } = [];

    /// <summary><c>extended</c>: free-form table.</summary>
    public IReadOnlyDictionary<string, object?>? Extended { get; init; }

    /// <summary>Keys of <c>[metadata]</c> the schema does not define, as written.</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = RuleValues.EmptyTable;

    /// <summary>The whole <c>[metadata]</c> table as written (see <see cref="RuleValues"/> for the value shapes).</summary>
    public IReadOnlyDictionary<string, object?> Raw { get; init; } = RuleValues.EmptyTable;
}
