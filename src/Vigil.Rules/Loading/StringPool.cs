using System.Collections.Concurrent;

namespace Vigil.Rules;

/// <summary>
/// One instance of each text across the files of one load. Rule files repeat the same keys, authors, tags, index patterns,
/// MITRE names and URLs, and set-up guides, and every loaded rule keeps its copies: for the public corpus the repeats were
/// a quarter of what the rule models hold. Hashing every string costs less than a hundredth of the load.
/// </summary>
internal sealed class StringPool
{
    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);

    /// <summary>The pooled instance equal to <paramref name="text"/> (<paramref name="text"/> itself the first time).</summary>
    public string Get(string text) => _strings.GetOrAdd(text, text);
}
