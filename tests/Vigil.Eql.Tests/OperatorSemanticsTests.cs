namespace Vigil.Eql.Tests;

public sealed class OperatorSemanticsTests
{
    private const string Apt = """{"event":{"category":["process"],"type":["start","change"]},"process":{"name":"apt-get","args":["apt-get","install","-y","curl"],"pid":42,"interactive":true},"container":{"id":"abc"}}""";

    [Theory]
    // == is case-sensitive; : is not
    [InlineData("process where process.name == \"apt-get\"", true)]
    [InlineData("process where process.name == \"APT-GET\"", false)]
    [InlineData("process where process.name : \"APT-GET\"", true)]
    [InlineData("process where process.name : \"APT*\"", true)]
    [InlineData("process where process.name == \"apt*\"", false)]
    [InlineData("process where process.name != \"APT-GET\"", true)]
    // in is case-sensitive; in~ is not
    [InlineData("process where process.name in (\"yum\", \"apt-get\")", true)]
    [InlineData("process where process.name in (\"yum\", \"Apt-Get\")", false)]
    [InlineData("process where process.name in~ (\"yum\", \"Apt-Get\")", true)]
    [InlineData("process where process.name not in (\"yum\", \"apt-get\")", false)]
    [InlineData("process where process.name not in (\"yum\", \"Apt-Get\")", true)]
    // like is case-sensitive with wildcards; like~ is not; * and ? are wildcards only in like and :
    [InlineData("process where process.name like \"apt-*\"", true)]
    [InlineData("process where process.name like \"APT-*\"", false)]
    [InlineData("process where process.name like~ \"APT-*\"", true)]
    [InlineData("process where process.name like \"apt-ge?\"", true)]
    [InlineData("process where process.name like \"apt-g?\"", false)]
    [InlineData("process where process.name like (\"yum\", \"*-get\")", true)]
    [InlineData("process where process.name in (\"apt-*\")", false)]
    // regex is case-sensitive and whole-string; regex~ is not
    [InlineData("process where process.name regex \"apt-[a-z]+\"", true)]
    [InlineData("process where process.name regex \"apt\"", false)]
    [InlineData("process where process.name regex \"APT-.*\"", false)]
    [InlineData("process where process.name regex~ \"APT-.*\"", true)]
    // multi-valued fields: any value satisfies
    [InlineData("process where process.args == \"install\"", true)]
    [InlineData("process where process.args == \"remove\"", false)]
    [InlineData("process where process.args like \"cur?\"", true)]
    [InlineData("process where process.args != \"install\"", false)]
    [InlineData("process where event.type == \"change\"", true)]
    [InlineData("process where process.args in (\"-y\")", true)]
    // numbers and arithmetic
    [InlineData("process where process.pid == 42", true)]
    [InlineData("process where process.pid > 41 and process.pid <= 42", true)]
    [InlineData("process where process.pid + 8 == 50", true)]
    [InlineData("process where process.pid / 5 == 8", true)]
    [InlineData("process where process.pid % 5 == 2", true)]
    [InlineData("process where -process.pid == -42", true)]
    [InlineData("process where process.pid == 42.0", true)]
    // booleans
    [InlineData("process where process.interactive == true", true)]
    [InlineData("process where process.interactive", true)]
    [InlineData("process where not process.interactive", false)]
    // missing fields are null
    [InlineData("process where process.missing == null", true)]
    [InlineData("process where ?process.missing == null", true)]
    [InlineData("process where process.missing != null", false)]
    [InlineData("process where process.missing == \"x\"", false)]
    [InlineData("process where process.missing like \"*\"", false)]
    [InlineData("process where process.missing < 5", false)]
    [InlineData("process where process.name != null", true)]
    // categories
    [InlineData("file where true", false)]
    [InlineData("any where true", true)]
    [InlineData("process where true and false", false)]
    [InlineData("process where false or true", true)]
    public void Condition_OnInstallEvent_MatchesAsElasticsearch(string query, bool expected) =>
        Assert.Equal(expected, TestEvent.Matches(query, Apt));

    [Theory]
    [InlineData("""{"event":{"category":"process"},"process":{"name":"x"}}""", true)]
    [InlineData("""{"event":{"category":["network","process"]},"process":{"name":"x"}}""", true)]
    [InlineData("""{"event":{"category":["network"]},"process":{"name":"x"}}""", false)]
    [InlineData("""{"process":{"name":"x"}}""", false)]
    [InlineData("""{"event":{"category":"Process"},"process":{"name":"x"}}""", false)]
    public void Category_IsReadFromSingleOrMultiValuedEventCategory(string json, bool expected) =>
        Assert.Equal(expected, TestEvent.Matches("process where process.name == \"x\"", json));

    [Fact]
    public void Category_FieldIsConfigurable()
    {
        var q = Eql.Compile("process where true", new EqlOptions { CategoryField = "event_type" });
        Assert.True(q.Matches(new TestEvent("""{"event_type":"process"}""")));
        Assert.False(q.Matches(new TestEvent("""{"event":{"category":"process"}}""")));
    }

    [Fact]
    public void Compile_ExposesTheFieldsItReads()
    {
        var q = Eql.Compile("process where process.name == \"a\" and startsWith(process.args, \"b\") and ?user.id != null");
        Assert.Equal(["event.category", "process.name", "process.args", "user.id"], q.Fields.Select(f => f.Path));
    }

    [Fact]
    public void Compile_SharesSlotsAcrossQueriesInOneTable()
    {
        var table = new FieldTable();
        var a = Eql.Compile("process where process.name == \"a\"", fields: table);
        var b = Eql.Compile("file where process.name == \"b\" and file.path == \"c\"", fields: table);
        Assert.Equal(a.Fields.Single(f => f.Path == "process.name").Slot, b.Fields.Single(f => f.Path == "process.name").Slot);
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void Like_HostilePattern_StaysLinear()
    {
        var value = new string('a', 5000);
        var pattern = string.Concat(Enumerable.Repeat("*a", 40)) + "b";
        Assert.False(TestEvent.Matches($"any where x like \"{pattern}\"", $$"""{"x":"{{value}}"}"""));
    }

    [Fact]
    public void Regex_HostilePattern_StaysLinear()
    {
        var value = new string('a', 5000) + "!";
        Assert.False(TestEvent.Matches("any where x regex \"(a+)+b\"", $$"""{"x":"{{value}}"}"""));
    }
}
