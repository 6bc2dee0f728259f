using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// Vigil's own rules, embedded in this assembly as TOML in the Elastic rule format and loaded by the same
/// <see cref="RuleLoader"/> as any rule directory. Diagnostics name them <c>builtin/&lt;file&gt;.toml</c>.
/// </summary>
public static class BuiltInRules
{
    private const string ResourcePrefix = "Vigil.Rules.BuiltIn.";

    /// <summary>The source names of the built-in rule files (<c>builtin/&lt;file&gt;.toml</c>), sorted.</summary>
    public static ImmutableArray<string> SourceNames { get; } =
    [
        .. typeof(BuiltInRules).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".toml", StringComparison.Ordinal))
            .Select(n => "builtin/" + n[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Loads and validates the built-in rules (EQL queries compiled unless <paramref name="options"/> says otherwise).</summary>
    /// <param name="options">Loader options; <see cref="RuleLoaderOptions.Default"/> when null.</param>
    public static RuleLoadResult Load(RuleLoaderOptions? options = null) =>
        RuleLoader.LoadStrings(SourceNames.Select(name => (name, ReadText(name))), options);

    /// <summary>The TOML text of a built-in rule file.</summary>
    /// <param name="sourceName">One of <see cref="SourceNames"/>.</param>
    public static string ReadText(string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!sourceName.StartsWith("builtin/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"no built-in rule file '{sourceName}'", nameof(sourceName));
        }
        var resource = ResourcePrefix + sourceName["builtin/".Length..];
        using var stream = typeof(BuiltInRules).Assembly.GetManifestResourceStream(resource)
            ?? throw new ArgumentException($"no built-in rule file '{sourceName}'", nameof(sourceName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
