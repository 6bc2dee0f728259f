using System.Collections.Frozen;
using Vigil.Eql.Semantics;

namespace Vigil.Eql.Functions;

/// <summary>Evaluates a function on already-evaluated arguments. <c>insensitive</c> is true for the <c>name~(...)</c> form.</summary>
internal delegate EqlValue FunctionBody(ReadOnlySpan<EqlValue> args, bool insensitive);

/// <summary>
/// A function's contract, checked at bind time: arity, whether a <c>~</c> form exists, and the type each argument accepts.
/// <paramref name="Predicate"/> functions evaluate element by element over a multi-valued first argument (any element that holds
/// makes the call true), the way Elasticsearch's query translation treats multi-valued fields.
/// </summary>
internal sealed record FunctionDef(
    string Name,
    int MinArgs,
    int MaxArgs,
    bool HasInsensitiveForm,
    EqlType Returns,
    EqlType[] ArgTypes,
    bool Predicate,
    FunctionBody Body)
{
    /// <summary>The type accepted by argument <paramref name="index"/> (the last declared type repeats for variadic functions).</summary>
    public EqlType ArgType(int index) => ArgTypes.Length == 0 ? EqlType.Any : ArgTypes[Math.Min(index, ArgTypes.Length - 1)];
}

/// <summary>The functions Elasticsearch EQL offers; names are matched case-insensitively.</summary>
internal static class FunctionRegistry
{
    private static readonly FrozenDictionary<string, FunctionDef> Functions = StringFunctions.All
        .Concat(MathFunctions.All)
        .ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static bool TryGet(string name, out FunctionDef? def) => Functions.TryGetValue(name, out def);

    public static IEnumerable<string> Names => Functions.Values.Select(f => f.Name).Order(StringComparer.Ordinal);
}
