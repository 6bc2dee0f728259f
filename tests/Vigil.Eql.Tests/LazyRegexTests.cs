using Vigil.Eql.Compilation;

namespace Vigil.Eql.Tests;

public sealed class LazyRegexTests
{
    [Fact]
    public void LazyRegex_IsBuiltAtTheFirstMatch()
    {
        var regex = RegexMatcher.Lazy("APT-.*", caseInsensitive: true);

        Assert.False(regex.IsBuilt);
        Assert.True(regex.IsMatch("apt-get"));
        Assert.True(regex.IsBuilt);
        Assert.False(regex.IsMatch("yum"));
    }

    [Fact]
    public void CompiledRegexQuery_MatchesFromSeveralThreadsAtOnce()
    {
        var query = Eql.Compile("process where process.name regex~ \"APT-.*\"");
        var apt = new TestEvent("""{"event":{"category":["process"]},"process":{"name":"apt-get"}}""");
        var yum = new TestEvent("""{"event":{"category":["process"]},"process":{"name":"yum"}}""");

        var results = Enumerable.Range(0, 64).AsParallel().Select(i => query.Matches(i % 2 == 0 ? apt : yum) == (i % 2 == 0)).ToArray();

        Assert.All(results, Assert.True);
    }
}
