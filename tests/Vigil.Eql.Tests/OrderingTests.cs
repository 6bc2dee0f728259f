using System.Globalization;
using Vigil.Eql.Execution;

namespace Vigil.Eql.Tests;

public sealed class OrderingTests
{
    private sealed class Codec : IEventSpillCodec<TestEvent>
    {
        public void Write(TestEvent item, BinaryWriter writer) => writer.Write(item.Json);

        public TestEvent Read(BinaryReader reader) => new(reader.ReadString());
    }

    private static readonly FieldRef Ts = new("@timestamp", 0);
    private static readonly FieldRef Tie = new("seq", 1);
    private static readonly FieldRef Id = new("id", 2);

    private static TestEvent Ev(int id, string? ts, int? seq = null) => new(
        "{\"id\":" + id.ToString(CultureInfo.InvariantCulture)
        + (ts is null ? string.Empty : ",\"@timestamp\":" + ts)
        + (seq is null ? string.Empty : ",\"seq\":" + seq.Value.ToString(CultureInfo.InvariantCulture)) + "}");

    [Fact]
    public void Sort_SpillsPastTheBound_AndMergesInOrder()
    {
        var random = new Random(7);
        var events = Enumerable.Range(0, 2_000).Select(i => Ev(i, random.Next(0, 500).ToString(CultureInfo.InvariantCulture), random.Next(0, 3))).ToList();
        var orderer = new EventOrderer<TestEvent>(Ts, Tie, new Codec(), new EventOrdererOptions { MaxEventsInMemory = 64 });
        var sorted = orderer.Sort(events).ToList();
        Assert.True(orderer.SpilledRuns > 10);
        Assert.Equal(events.Count, sorted.Count);
        var expected = events.Select((e, i) => (e, i))
            .OrderBy(x => x.e.Get(Ts).AsLong).ThenBy(x => x.e.Get(Tie).AsLong).ThenBy(x => x.i).Select(x => x.e.Get(Id).AsLong);
        Assert.Equal(expected, sorted.Select(e => e.Get(Id).AsLong));
    }

    [Fact]
    public void Sort_OrdersByTimestampThenTiebreakerNullsLastThenArrival()
    {
        var events = new[] { Ev(1, "\"2024-01-01T00:00:00.000000002Z\""), Ev(2, "1704067200000", 5), Ev(3, "\"2024-01-01T00:00:00.000000001Z\""), Ev(4, "1704067200000", 1), Ev(5, "1704067200000"), Ev(6, null) };
        var sorted = new EventOrderer<TestEvent>(Ts, Tie).Sort(events).Select(e => e.Get(Id).AsLong);
        Assert.Equal([6L, 4, 2, 5, 3, 1], sorted);
    }

    [Fact]
    public void ReorderWindow_ReleasesInOrder_AndCountsLateEvents()
    {
        var window = new ReorderWindow<TestEvent>(Ts, null, TimeSpan.FromSeconds(1));
        var late = new List<long>();
        window.LateEvent = e => late.Add(e.Get(Id).AsLong);
        var released = new List<TestEvent>();
        window.Push(Ev(1, "1000"), released);
        window.Push(Ev(2, "1500"), released);
        window.Push(Ev(3, "1200"), released);
        Assert.Empty(released);
        window.Push(Ev(4, "2600"), released);
        Assert.Equal([1L, 3, 2], released.Select(e => e.Get(Id).AsLong));
        window.Push(Ev(5, "1100"), released);
        Assert.Equal(1, window.LateEvents);
        Assert.Equal([5L], late);
        window.Flush(released);
        Assert.Equal([1L, 3, 2, 4], released.Select(e => e.Get(Id).AsLong));
    }

    [Theory]
    [InlineData("2024-01-01T00:00:00Z", 1704067200000000000L)]
    [InlineData("2024-01-01T00:00:00.123456789Z", 1704067200123456789L)]
    [InlineData("2024-01-01T01:00:00+01:00", 1704067200000000000L)]
    [InlineData("2024-01-01", 1704067200000000000L)]
    [InlineData("1704067200000", 1704067200000000000L)]
    [InlineData("1", 1000000L)]
    public void Time_ParsesIsoAndEpochMillis(string text, long nanos)
    {
        Assert.True(EqlTime.TryParse(text, out var n));
        Assert.Equal(nanos, n);
    }

    [Fact]
    public void Time_NumbersAreEpochMillis() =>
        Assert.True(EqlTime.TryGetNanos(EqlValue.From(1.5), out var n) && n == 1_500_000);
}
