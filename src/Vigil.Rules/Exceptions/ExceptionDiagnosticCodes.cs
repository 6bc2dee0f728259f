namespace Vigil.Rules;

/// <summary>The codes a <see cref="RuleDiagnostic"/> about an exception file can carry.</summary>
public static class ExceptionDiagnosticCodes
{
    /// <summary>The file is not valid TOML or JSON.</summary>
    public const string Syntax = "EXC001";

    /// <summary>The file could not be read.</summary>
    public const string ReadFailed = "EXC002";

    /// <summary>A JSON record is neither an exception list, an exception item nor an export summary.</summary>
    public const string UnknownRecord = "EXC003";

    /// <summary>A required key is missing.</summary>
    public const string MissingField = "EXC010";

    /// <summary>A value has the wrong type.</summary>
    public const string WrongType = "EXC011";

    /// <summary>A value is not one of the allowed values, or is empty.</summary>
    public const string InvalidValue = "EXC012";

    /// <summary>A feature of Kibana's exceptions that Vigil does not support (value lists, nested entries inside nested entries).</summary>
    public const string Unsupported = "EXC013";

    /// <summary>Warning: <c>rule_ids</c> names a rule that is not loaded.</summary>
    public const string UnknownRule = "EXC020";

    /// <summary>Warning: an item is attached to no loaded rule.</summary>
    public const string Unattached = "EXC021";

    /// <summary>Warning: an item's <c>expire_time</c> has passed, so it is not applied.</summary>
    public const string Expired = "EXC022";
}
