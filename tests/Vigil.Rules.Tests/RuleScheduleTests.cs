namespace Vigil.Rules.Tests;

public sealed class RuleScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 8, 21, 13, 37, 42, 500, TimeSpan.Zero); // a Friday

    [Theory]
    [InlineData("5m", 300)]
    [InlineData("1s", 1)]
    [InlineData("60m", 3600)]
    [InlineData("12h", 43200)]
    [InlineData("1d", 86400)]
    public void TryParseInterval_Valid(string text, int seconds)
    {
        Assert.True(RuleSchedule.TryParseInterval(text, out var interval));
        Assert.Equal(TimeSpan.FromSeconds(seconds), interval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("5")]
    [InlineData("5w")]
    [InlineData("-5m")]
    [InlineData("5 m")]
    [InlineData("99999999999999999999m")]
    public void TryParseInterval_Invalid(string text)
    {
        Assert.False(RuleSchedule.TryParseInterval(text, out _));
    }

    [Theory]
    [InlineData("now", "2026-08-21T13:37:42.500Z")]
    [InlineData("now-6m", "2026-08-21T13:31:42.500Z")]
    [InlineData("now-1h", "2026-08-21T12:37:42.500Z")]
    [InlineData("now-1d/d", "2026-08-20T00:00:00Z")]
    [InlineData("now/w", "2026-08-17T00:00:00Z")]
    [InlineData("now-1M/M", "2026-07-01T00:00:00Z")]
    [InlineData("now+1y", "2027-08-21T13:37:42.500Z")]
    [InlineData("now-d", "2026-08-20T13:37:42.500Z")]
    [InlineData("2026-01-01T00:00:00Z||+1h", "2026-01-01T01:00:00Z")]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    public void TryResolveDateMath_ResolvesAgainstNow(string expression, string expected)
    {
        Assert.True(RuleSchedule.TryResolveDateMath(expression, Now, out var value));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void TryResolveDateMath_RoundUp_GoesToTheEndOfTheUnit()
    {
        Assert.True(RuleSchedule.TryResolveDateMath("now/d", Now, out var value, roundUp: true));
        Assert.Equal(new DateTimeOffset(2026, 8, 21, 23, 59, 59, 999, TimeSpan.Zero), value);
    }

    [Theory]
    [InlineData("later")]
    [InlineData("now-")]
    [InlineData("now-6")]
    [InlineData("now-6x")]
    [InlineData("now/")]
    [InlineData("6m")]
    public void IsValidDateMath_RejectsMalformed(string expression)
    {
        Assert.False(RuleSchedule.IsValidDateMath(expression));
    }

    [Fact]
    public void TryGetLookBack_GivesTheWindowLength()
    {
        Assert.True(RuleSchedule.TryGetLookBack("now-9m", Now, out var lookBack));
        Assert.Equal(TimeSpan.FromMinutes(9), lookBack);
    }
}
