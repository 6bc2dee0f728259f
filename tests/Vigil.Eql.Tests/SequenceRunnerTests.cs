using Vigil.Eql.Execution;
using static Vigil.Eql.Tests.RunnerTestSupport;

namespace Vigil.Eql.Tests;

public sealed class SequenceRunnerTests
{
    private const string AB = "sequence by k [a where true] [b where true]";

    [Theory]
    // join keys: each key advances on its own; a b with no pending a is ignored
    [InlineData(AB, "1 0 a x; 2 1 b x; 3 2 b x; 4 3 a y; 5 4 b y", "1,2|4,5")]
    // only the latest partial sequence per stage and key advances (Elasticsearch semantics)
    [InlineData("sequence [a where true] [b where true]", "1 0 a -; 2 1 a -; 3 2 b -", "2,3")]
    [InlineData("sequence [a where true] [b where true] [b where true]", "1 0 a -; 2 1 b -; 3 2 b -; 4 3 b -", "1,2,3")]
    // maxspan is inclusive and measured from the first event
    [InlineData("sequence with maxspan=1s [a where true] [b where true]", "1 0 a -; 2 1000 b -", "1,2")]
    [InlineData("sequence with maxspan=1s [a where true] [b where true]", "1 0 a -; 2 1001 b -", "")]
    [InlineData("sequence with maxspan=1000ms [a where true] [b where true] [c where true]", "1 0 a -; 2 600 b -; 3 1100 c -", "")]
    [InlineData("sequence with maxspan=2s [a where true] [b where true] [c where true]", "1 0 a -; 2 600 b -; 3 1100 c -", "1,2,3")]
    // until ends the partial sequences of its key that it falls between
    [InlineData(AB + " until [u where true]", "1 0 a x; 2 1 u x; 3 2 b x", "")]
    [InlineData(AB + " until [u where true]", "1 0 a x; 2 1 u y; 3 2 b x", "1,3")]
    [InlineData(AB + " until [u where true]", "1 0 a x; 2 1 b x; 3 2 u x", "1,2")]
    [InlineData(AB + " until [u where true]", "1 0 a x; 2 1 u x; 3 2 a x; 4 3 b x", "3,4")]
    // with runs=N repeats a stage
    [InlineData("sequence [a where true] with runs=3 [b where true]", "1 0 a -; 2 1 a -; 3 2 a -; 4 3 b -", "1,2,3,4")]
    [InlineData("sequence [a where true] with runs=3 [b where true]", "1 0 a -; 2 1 a -; 3 3 b -", "")]
    // a multi-valued key joins on each value
    [InlineData(AB, "1 0 a x,y; 2 1 b y,z; 3 2 b x", "1,2|1,3")]
    // a null key drops the event unless optional, and then null joins null
    [InlineData(AB, "1 0 a -; 2 1 b -", "")]
    [InlineData("sequence by ?k [a where true] [b where true]", "1 0 a -; 2 1 b -", "1,2")]
    // events are ordered by the caller; an event matching two stages does not follow itself
    [InlineData("sequence [any where true] [any where true]", "1 0 a -; 2 0 b -", "1,2")]
    public void Sequence_GivesElasticsearchResults(string query, string events, string expected) =>
        Assert.Equal(expected, Run(query, events));

    [Theory]
    // middle: an event between the neighbours rejects the sequence
    [InlineData("sequence with maxspan=10s [a where true] ![m where true] [b where true]", "1 0 a -; 2 1 m -; 3 2 b -; 4 3 a -; 5 4 b -", "4,-,5")]
    [InlineData("sequence by k with maxspan=10s [a where true] ![m where true] [b where true]", "1 0 a x; 2 1 m y; 3 2 b x", "1,-,3")]
    // leading: a missing event within maxspan before the sequence rejects it
    [InlineData("sequence with maxspan=1s ![m where true] [a where true]", "1 0 m -; 2 500 a -; 3 2000 a -", "-,3")]
    // trailing: rejected by a missing event up to first + maxspan (inclusive), accepted once that window has passed
    [InlineData("sequence with maxspan=1s [a where true] ![m where true]", "1 0 a -; 2 500 m -; 3 2000 a -; 4 3500 x -", "3,-")]
    [InlineData("sequence with maxspan=1s [a where true] ![m where true]", "1 0 a -; 2 1000 m -", "")]
    [InlineData("sequence with maxspan=1s [a where true] ![m where true]", "1 0 a -; 2 1001 m -", "1,-")]
    [InlineData("sequence with maxspan=1s [a where true] ![m where true]", "1 0 a -", "1,-")]
    // leading and trailing together reject only when both occur within one maxspan
    [InlineData("sequence with maxspan=10s ![m where true] [a where true] ![m where true]", "1 0 m -; 2 5000 a -; 3 11000 m -", "-,2,-")]
    [InlineData("sequence with maxspan=12s ![m where true] [a where true] ![m where true]", "1 0 m -; 2 5000 a -; 3 11000 m -", "")]
    // runs on a missing stage show one placeholder per run
    [InlineData("sequence with maxspan=10s [a where true] ![m where true] with runs=2 [b where true]", "1 0 a -; 2 1 b -", "1,-,-,2")]
    public void MissingEvents_GiveElasticsearchResults(string query, string events, string expected) =>
        Assert.Equal(expected, Run(query, events));

    [Fact]
    public void TrailingMissingStage_CompletesOnlyWhenItsWindowHasClosed()
    {
        var matcher = EqlMatcher.Create(Eql.Compile("sequence with maxspan=1s [a where true] ![m where true]"));
        var events = RunnerTestSupport.Events("1 0 a -; 2 1000 x -; 3 1001 x -");
        var results = new List<EqlResult>();
        matcher.Push(events[0], results);
        matcher.Push(events[1], results);
        Assert.Empty(results);
        matcher.Push(events[2], results);
        Assert.Equal("1,-", Format(results));
    }

    [Fact]
    public void TrailingMissingStage_IsReleasedByTheWatermarkWithoutANewEvent()
    {
        var matcher = EqlMatcher.Create(Eql.Compile("sequence with maxspan=1s [a where true] ![m where true]"));
        var results = new List<EqlResult>();
        matcher.Push(RunnerTestSupport.Events("1 0 a -")[0], results);
        matcher.AdvanceTo(1_000_000_000, results);
        Assert.Empty(results);
        matcher.AdvanceTo(1_000_000_001, results);
        Assert.Equal("1,-", Format(results));
    }

    [Fact]
    public void PendingLimit_EvictsOldestAndCountsIt()
    {
        var result = Run(AB, "1 0 a x; 2 1 a y; 3 2 a z; 4 3 b x; 5 4 b z", new EqlRunOptions { MaxPendingSequencesPerStage = 2 }, out var stats);
        Assert.Equal("3,5", result);
        Assert.Equal(1, stats.SequencesEvicted);
    }

    [Fact]
    public void ExpiredPartials_AreCounted()
    {
        Run("sequence with maxspan=1s [a where true] [b where true]", "1 0 a -; 2 5000 b -", null, out var stats);
        Assert.Equal(1, stats.SequencesExpired);
    }

    [Fact]
    public void Result_CarriesJoinKeys()
    {
        var results = new EqlRunner(Eql.Compile(AB)).Run(RunnerTestSupport.Events("1 0 a x,y; 2 1 b y")).ToList();
        Assert.Equal(["y"], results.Single().JoinKeys.Select(k => k.ToString()));
    }

    [Fact]
    public void EventsWithoutTimestamp_AreCountedAndSkipped()
    {
        Assert.Equal("", Run("sequence [a where true] [b where true]", "1 - a -; 2 1 b -", null, out var stats));
        Assert.Equal(1, stats.EventsWithoutTimestamp);
    }
}

public sealed class SampleAndPipeTests
{
    [Theory]
    // one sample per key, sorted by key; events need no timestamp
    [InlineData("sample by k [a where true] [b where true]", "1 - a y; 2 - b y; 3 - a x; 4 - b x; 5 - a z", 1, "3,4|1,2")]
    // samples are not ordered: the b may come first
    [InlineData("sample by k [a where true] [b where true]", "1 - b x; 2 - a x", 1, "2,1")]
    // max_samples_per_key: the n-th sample takes each stage's n-th candidate, or its last
    [InlineData("sample by k [a where true] [b where true]", "1 - a x; 2 - a x; 3 - b x", 2, "1,3|2,3")]
    [InlineData("sample by k [a where true] [b where true]", "1 - a x; 2 - a x; 3 - b x", 1, "1,3")]
    // a sample's events are distinct
    [InlineData("sample by k [any where true] [any where true]", "1 - a x; 2 - b x", 1, "1,2")]
    [InlineData("sample by k [any where true] [any where true]", "1 - a x", 1, "")]
    // a null key drops the event unless optional; null keys sort first
    [InlineData("sample by k [a where true] [b where true]", "1 - a -; 2 - b -", 1, "")]
    [InlineData("sample by ?k [a where true] [b where true]", "1 - a x; 2 - b x; 3 - a -; 4 - b -", 1, "3,4|1,2")]
    public void Sample_GivesElasticsearchResults(string query, string events, int perKey, string expected) =>
        Assert.Equal(expected, Run(query, events, new EqlRunOptions { MaxSamplesPerKey = perKey }));

    private const string Five = "1 1 a -; 2 2 a -; 3 3 a -; 4 4 a -; 5 5 a -";
    private const string TwoSequences = "1 0 a -; 2 1 b -; 3 2 a -; 4 3 b -";

    [Theory]
    [InlineData("any where true | head 2", Five, null, "1|2")]
    [InlineData("any where true | tail 2", Five, null, "4|5")]
    [InlineData("any where true | head 3 | tail 1", Five, null, "3")]
    [InlineData("any where true | tail 3 | head 1", Five, null, "3")]
    [InlineData("any where true", Five, 2, "1|2")]
    [InlineData("any where true | tail 4", Five, 2, "2|3")]
    [InlineData("any where true | head 0", Five, null, "")]
    [InlineData("sequence [a where true] [b where true] | head 1", TwoSequences, null, "1,2")]
    [InlineData("sequence [a where true] [b where true] | tail 1", TwoSequences, null, "3,4")]
    [InlineData("sequence [a where true] [b where true]", TwoSequences, 1, "1,2")]
    public void Pipes_AndSize_LimitResults(string query, string events, int? size, string expected) =>
        Assert.Equal(expected, Run(query, events, new EqlRunOptions { Size = size }));
}
