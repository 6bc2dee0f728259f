namespace Vigil.Eql.Tests;

/// <summary>
/// <see cref="CompiledQuery.RequiredValues"/>: what an event query's condition says about single fields' values. An engine
/// skips a rule when an event's value is outside the set, so a requirement that is wrong would silently lose alerts.
/// </summary>
public sealed class ValueRequirementTests
{
    private static string Describe(string query) => string.Join("; ", Eql.Compile(query).RequiredValues
        .Select(r => string.Join(" | ", r.AnyOf.Select(a => $"{a.Field.Path}{(a.IgnoreCase ? " ~" : " =")} {string.Join(",", a.Values)}"))));

    [Theory]
    [InlineData("process where process.name == \"curl\"", "process.name = curl")]
    [InlineData("process where \"curl\" == process.name", "process.name = curl")]
    [InlineData("process where process.name in (\"curl\", \"wget\")", "process.name = curl,wget")]
    [InlineData("process where process.name in~ (\"curl\", \"wget\")", "process.name ~ curl,wget")]
    [InlineData("process where process.name : (\"curl\", \"wget\")", "process.name ~ curl,wget")]
    [InlineData("process where process.name like (\"curl\", \"wget\")", "process.name = curl,wget")]
    [InlineData("process where process.name like~ \"curl\"", "process.name ~ curl")]
    [InlineData("process where process.name == \"curl\" and process.args == \"-O\"", "process.name = curl; process.args = -O")]
    [InlineData("process where process.name == \"curl\" or process.name : \"wget\"", "process.name ~ curl,wget")]
    [InlineData("process where (process.name == \"curl\" and user.name == \"root\") or (process.name == \"wget\" and user.name == \"app\")", "process.name = curl,wget; process.name = curl | user.name = app; user.name = root | process.name = wget; user.name = root,app")]
    [InlineData("process where process.name == \"curl\" or user.name == \"root\"", "process.name = curl | user.name = root")]
    [InlineData("process where (process.name == \"curl\" or process.args in (\"curl\", \"/bin/curl\")) and process.args : \"-O\"", "process.name = curl | process.args = curl,/bin/curl; process.args ~ -O")]
    [InlineData("process where process.name == \"curl\" or process.args == \"-O\" or process.name : \"wget\"", "process.name ~ curl,wget | process.args = -O")]
    public void Derives_TheValuesAFieldMustHold(string query, string expected) => Assert.Equal(expected, Describe(query));

    [Theory]
    // Wildcards, negations, regexes, functions and comparisons with non-strings decide nothing about one value.
    [InlineData("process where process.name : \"curl*\"")]
    [InlineData("process where process.name like \"cu?l\"")]
    [InlineData("process where process.name regex \"curl\"")]
    [InlineData("process where process.name != \"curl\"")]
    [InlineData("process where not process.name == \"curl\"")]
    [InlineData("process where process.name not in (\"curl\")")]
    [InlineData("process where process.name in (\"curl\", 1)")]
    [InlineData("process where process.pid == 1")]
    [InlineData("process where process.name == null")]
    [InlineData("process where startsWith(process.name, \"curl\")")]
    [InlineData("process where process.name == \"curl\" or user.name : \"r*\"")]
    [InlineData("process where process.name == process.parent.name")]
    [InlineData("sequence [process where process.name == \"curl\"] [process where process.name == \"sh\"]")]
    public void DerivesNothing_WhenNoSingleValueIsCertain(string query) => Assert.Equal(string.Empty, Describe(query));

    [Theory]
    [InlineData("process where process.name == \"apt-get\"")]
    [InlineData("process where process.name : \"APT-GET\"")]
    [InlineData("process where process.args in (\"install\", \"remove\")")]
    [InlineData("process where process.args : \"CURL\" and process.name like~ \"apt*\"")]
    [InlineData("process where event.type == \"change\" or process.name == \"yum\"")]
    [InlineData("process where process.pid == \"42\"")]
    [InlineData("process where process.pid in (\"42\", \"43\") or process.pid : \"44\"")]
    [InlineData("process where process.interactive == \"true\"")]
    [InlineData("process where process.name == \"curl\" or process.args == \"-y\"")]
    [InlineData("process where (process.name == \"yum\" or process.args in (\"install\", \"x\")) and (process.name : \"APT-GET\" or user.name == \"root\")")]
    public void EveryRequirement_HoldsForAnEventTheQueryMatches(string query)
    {
        const string apt = """{"event":{"category":["process"],"type":["start","change"]},"process":{"name":"apt-get","args":["apt-get","install","-y","curl"],"pid":42,"interactive":true}}""";
        var compiled = Eql.Compile(query);
        var e = new TestEvent(apt);
        Assert.True(compiled.Matches(e));
        Assert.NotEmpty(compiled.RequiredValues);
        foreach (var requirement in compiled.RequiredValues)
        {
            // Some alternative must hold; one may rule an event out only by string values outside its set (non-strings decide nothing).
            Assert.Contains(requirement.AnyOf, alternative =>
            {
                var value = e.Get(alternative.Field);
                var items = value.IsNull ? [] : value.Kind == EqlValueKind.Array ? value.AsArray.ToArray() : [value];
                var comparer = alternative.IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
                return items.Any(x => x.Kind != EqlValueKind.String || alternative.Values.Contains(x.AsString, comparer));
            });
        }
    }
}
