namespace Vigil.Rules.Tests;

/// <summary>Finds the public Elastic rules corpus: <c>VIGIL_CONFORMANCE</c>, else a <c>shared/conformance</c> folder above the test binaries.</summary>
internal static class Conformance
{
    public static string? DetectionRulesRoot { get; } = Find();

    public static string SkipReason =>
        "the Elastic detection-rules corpus was not found (set VIGIL_CONFORMANCE to the folder holding detection-rules/, " +
        "or place it at ../shared/conformance/detection-rules beside the repository)";

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("VIGIL_CONFORMANCE");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            var candidate = Path.Combine(fromEnv, "detection-rules");
            if (Directory.Exists(Path.Combine(candidate, "rules")))
            {
                return candidate;
            }
            if (Directory.Exists(Path.Combine(fromEnv, "rules")))
            {
                return fromEnv;
            }
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance", "detection-rules");
            if (Directory.Exists(Path.Combine(candidate, "rules")))
            {
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason shown, when the rules corpus is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (Conformance.DetectionRulesRoot is null)
        {
            Skip = Conformance.SkipReason;
        }
    }
}
