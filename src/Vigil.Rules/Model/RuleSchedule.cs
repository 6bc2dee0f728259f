using System.Globalization;

namespace Vigil.Rules;

/// <summary>
/// Reads the time strings of a rule: <c>interval</c> (<c>5m</c>) and the date math of <c>from</c>/<c>to</c>
/// (<c>now-6m</c>, <c>now-1d/d</c>, <c>2026-01-01T00:00:00Z||-1h</c>), as Kibana and Elasticsearch read them.
/// </summary>
public static class RuleSchedule
{
    /// <summary>
    /// Parses an <c>interval</c>: digits followed by one of <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c> (<c>^\d+[smhd]$</c>, as Kibana requires).
    /// </summary>
    public static bool TryParseInterval(string? text, out TimeSpan interval)
    {
        interval = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2)
        {
            return false;
        }
        var digits = text.AsSpan(0, text.Length - 1);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }
        try
        {
            interval = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => TimeSpan.MinValue,
            };
        }
        catch (OverflowException)
        {
            return false;
        }
        return interval != TimeSpan.MinValue;
    }

    /// <summary>
    /// Whether <paramref name="expression"/> is date math Kibana accepts for <c>from</c>/<c>to</c>:
    /// an anchor (<c>now</c>, or an ISO 8601 date followed by <c>||</c> when math follows), then any number of
    /// <c>+N&lt;unit&gt;</c>, <c>-N&lt;unit&gt;</c> (N defaults to 1) and <c>/&lt;unit&gt;</c> (rounding),
    /// with units <c>y M w d h H m s</c>. A bare ISO 8601 date is accepted too.
    /// </summary>
    public static bool IsValidDateMath(string? expression) =>
        TryResolveDateMath(expression, DateTimeOffset.UnixEpoch.AddYears(50), out _);

    /// <summary>
    /// Resolves date math against <paramref name="now"/>. Months and years are calendar months and years;
    /// weeks round to Monday, as in Elasticsearch. With <paramref name="roundUp"/>, rounding goes to the last
    /// millisecond of the unit (how Kibana resolves a <c>to</c> bound).
    /// </summary>
    public static bool TryResolveDateMath(string? expression, DateTimeOffset now, out DateTimeOffset value, bool roundUp = false) =>
        TryResolveDateMath(expression, now, out value, out _, roundUp);

    /// <summary>
    /// As <see cref="TryResolveDateMath(string?, DateTimeOffset, out DateTimeOffset, bool)"/>, and says when the expression
    /// is well-formed but its result (or an amount in it) lies outside the dates .NET can hold (years 1 to 9999).
    /// </summary>
    public static bool TryResolveDateMath(string? expression, DateTimeOffset now, out DateTimeOffset value, out bool outOfRange, bool roundUp = false)
    {
        value = default;
        outOfRange = false;
        if (string.IsNullOrWhiteSpace(expression))
        {
            return false;
        }
        var text = expression.AsSpan().Trim();
        ReadOnlySpan<char> math;
        if (text.StartsWith("now", StringComparison.Ordinal))
        {
            value = now;
            math = text[3..];
        }
        else
        {
            var bars = text.IndexOf("||", StringComparison.Ordinal);
            var anchor = bars < 0 ? text : text[..bars];
            if (!DateTimeOffset.TryParse(anchor, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out value))
            {
                return false;
            }
            math = bars < 0 ? [] : text[(bars + 2)..];
        }
        try
        {
            return ApplyMath(math, roundUp, ref value, out outOfRange);
        }
        catch (ArgumentOutOfRangeException)
        {
            outOfRange = true;
            return false;
        }
    }

    /// <summary>
    /// The look-back of a <c>from</c> bound relative to now (<c>now-9m</c> gives 9 minutes), resolved at <paramref name="now"/>.
    /// </summary>
    public static bool TryGetLookBack(string? from, DateTimeOffset now, out TimeSpan lookBack)
    {
        lookBack = default;
        if (!TryResolveDateMath(from, now, out var start))
        {
            return false;
        }
        lookBack = now - start;
        return true;
    }

    private static bool ApplyMath(ReadOnlySpan<char> math, bool roundUp, ref DateTimeOffset value, out bool outOfRange)
    {
        outOfRange = false;
        var i = 0;
        while (i < math.Length)
        {
            var op = math[i++];
            if (op == '/')
            {
                if (i >= math.Length || !IsUnit(math[i]))
                {
                    return false;
                }
                value = Round(value, math[i++], roundUp);
                continue;
            }
            if (op is not ('+' or '-'))
            {
                return false;
            }
            var start = i;
            while (i < math.Length && char.IsAsciiDigit(math[i]))
            {
                i++;
            }
            var amount = 1;
            var tooBig = i > start && !int.TryParse(math[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out amount);
            if (i >= math.Length || !IsUnit(math[i]))
            {
                return false;
            }
            if (tooBig)
            {
                // Digits and a unit: well-formed, only too far away.
                outOfRange = true;
                return false;
            }
            value = Add(value, op == '-' ? -amount : amount, math[i++]);
        }
        return true;
    }

    private static bool IsUnit(char c) => c is 'y' or 'M' or 'w' or 'd' or 'h' or 'H' or 'm' or 's';

    private static DateTimeOffset Add(DateTimeOffset value, int amount, char unit) => unit switch
    {
        'y' => value.AddYears(amount),
        'M' => value.AddMonths(amount),
        'w' => value.AddDays(7.0 * amount),
        'd' => value.AddDays(amount),
        'h' or 'H' => value.AddHours(amount),
        'm' => value.AddMinutes(amount),
        _ => value.AddSeconds(amount),
    };

    private static DateTimeOffset Round(DateTimeOffset value, char unit, bool roundUp)
    {
        var offset = value.Offset;
        var floor = unit switch
        {
            'y' => new DateTimeOffset(value.Year, 1, 1, 0, 0, 0, offset),
            'M' => new DateTimeOffset(value.Year, value.Month, 1, 0, 0, 0, offset),
            'w' => new DateTimeOffset(value.Date, offset).AddDays(-(((int)value.DayOfWeek + 6) % 7)),
            'd' => new DateTimeOffset(value.Date, offset),
            'h' or 'H' => new DateTimeOffset(value.Year, value.Month, value.Day, value.Hour, 0, 0, offset),
            'm' => new DateTimeOffset(value.Year, value.Month, value.Day, value.Hour, value.Minute, 0, offset),
            _ => new DateTimeOffset(value.Year, value.Month, value.Day, value.Hour, value.Minute, value.Second, offset),
        };
        return roundUp ? Add(floor, 1, unit).AddMilliseconds(-1) : floor;
    }
}
