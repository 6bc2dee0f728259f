namespace Vigil.Eql.Tests;

public sealed class TypedComparisonTests
{
    private static readonly EqlOptions Mapped = new()
    {
        FieldTypes = new Dictionary<string, EqlFieldType> { ["v"] = EqlFieldType.Version, ["ip"] = EqlFieldType.Ip, ["d"] = EqlFieldType.Date },
    };

    private const string Event = """{"@timestamp":"2024-01-01T00:00:00.500000001Z","ms":1704067200500,"v":"1.11.3","pre":"1.2.4-SNAPSHOT","bad":"bad","ip":"10.0.0.1","d":"2024-01-01"}""";

    private static bool Holds(string condition) => Eql.Compile("any where " + condition, Mapped).Matches(new TestEvent(Event));

    [Theory]
    // the timestamp field is a date: ISO strings and epoch milliseconds compare as instants, to the nanosecond
    [InlineData("@timestamp > \"2024-01-01T00:00:00.5Z\"", true)]
    [InlineData("@timestamp < \"2024-01-01T00:00:00.500000002Z\"", true)]
    [InlineData("@timestamp >= 1704067200500", true)]
    [InlineData("@timestamp == 1704067200500", false)]
    [InlineData("d == \"2024-01-01T00:00:00Z\"", true)]
    [InlineData("d < 1704067200001", true)]
    // versions compare by precedence; invalid versions sort after valid ones
    [InlineData("v > \"1.5.0\"", true)]
    [InlineData("v < \"1.5.0\"", false)]
    [InlineData("v == \"1.11.3\"", true)]
    // addresses compare as addresses
    [InlineData("ip == \"::ffff:10.0.0.1\"", true)]
    [InlineData("ip < \"10.0.0.2\"", true)]
    public void MappedFields_CompareByType(string condition, bool expected) => Assert.Equal(expected, Holds(condition));

    [Fact]
    public void NullComparison_IsNullAsAValue()
    {
        Assert.True(TestEvent.Matches("any where null == (missing > 1)", "{}"));
        Assert.False(TestEvent.Matches("any where null == (n > 1)", """{"n":2}"""));
    }
}
