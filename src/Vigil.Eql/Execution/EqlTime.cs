using System.Globalization;

namespace Vigil.Eql.Execution;

/// <summary>
/// Event time as nanoseconds since the Unix epoch, the unit sequences order and measure <c>maxspan</c> in. Accepts what
/// Elasticsearch's default date format (<c>strict_date_optional_time||epoch_millis</c>) accepts: ISO 8601 strings with up to
/// nine fractional digits and an optional zone (UTC when absent), and epoch milliseconds as numbers or digit strings.
/// The representable range is 1677-09-21 to 2262-04-11; times outside it do not parse.
/// </summary>
public static class EqlTime
{
    private const long NanosPerMilli = 1_000_000;
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>Converts a field value to nanoseconds since the epoch. Multi-valued fields use their first value.</summary>
    public static bool TryGetNanos(EqlValue value, out long nanos)
    {
        if (value.Kind == EqlValueKind.Array)
        {
            value = value.AsArray[0];
        }
        switch (value.Kind)
        {
            case EqlValueKind.Long:
                return TryMillisToNanos(value.AsLong, out nanos);
            case EqlValueKind.Double:
            {
                var d = value.AsDouble * NanosPerMilli;
                if (double.IsFinite(d) && d > long.MinValue && d < long.MaxValue)
                {
                    nanos = (long)Math.Round(d);
                    return true;
                }
                break;
            }
            case EqlValueKind.String:
                return TryParse(value.AsString, out nanos);
        }
        nanos = 0;
        return false;
    }

    /// <summary>Parses an ISO 8601 date or date-time, or a string of epoch milliseconds (optionally with a fraction).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long nanos)
    {
        nanos = 0;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }
        if (IsEpochMillis(text))
        {
            var dot = text.IndexOf('.');
            if (dot < 0)
            {
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) && TryMillisToNanos(ms, out nanos);
            }
            if (!long.TryParse(text[..dot], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) || !TryMillisToNanos(whole, out nanos))
            {
                return false;
            }
            var frac = text[(dot + 1)..];
            long sub = 0;
            for (var i = 0; i < 6; i++)
            {
                sub = (sub * 10) + (i < frac.Length ? frac[i] - '0' : 0);
            }
            nanos = text[0] == '-' ? nanos - sub : nanos + sub;
            return true;
        }
        return TryParseIso(text, out nanos);
    }

    /// <summary>Formats nanoseconds since the epoch as ISO 8601 UTC with as many fractional digits as needed (at least three).</summary>
    public static string Format(long nanos)
    {
        var seconds = Math.DivRem(nanos, NanosPerSecond, out var frac);
        if (frac < 0)
        {
            frac += NanosPerSecond;
            seconds--;
        }
        var dt = DateTime.UnixEpoch.AddSeconds(seconds);
        var fraction = frac.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        if (fraction.Length < 3)
        {
            fraction = fraction.PadRight(3, '0');
        }
        return dt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + fraction + "Z";
    }

    private static bool IsEpochMillis(ReadOnlySpan<char> s)
    {
        var start = s[0] is '-' or '+' ? 1 : 0;
        if (start >= s.Length)
        {
            return false;
        }
        var dots = 0;
        for (var i = start; i < s.Length; i++)
        {
            if (s[i] == '.')
            {
                if (++dots > 1 || i == start)
                {
                    return false;
                }
            }
            else if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }
        }
        // "2022" alone is a year in strict_date_optional_time, but Elasticsearch tries epoch_millis for digit strings too; a
        // plain digit string is read as epoch milliseconds, which is what event data means by it.
        return true;
    }

    private static bool TryMillisToNanos(long ms, out long nanos)
    {
        if (ms > long.MaxValue / NanosPerMilli || ms < long.MinValue / NanosPerMilli)
        {
            nanos = 0;
            return false;
        }
        nanos = ms * NanosPerMilli;
        return true;
    }

    private static bool TryParseIso(ReadOnlySpan<char> s, out long nanos)
    {
        nanos = 0;
        var p = 0;
        if (!Digits(s, ref p, 4, out var year))
        {
            return false;
        }
        int month = 1, day = 1, hour = 0, minute = 0, second = 0;
        long fraction = 0;
        if (p < s.Length && s[p] == '-')
        {
            p++;
            if (!Digits(s, ref p, 2, out month))
            {
                return false;
            }
            if (p < s.Length && s[p] == '-')
            {
                p++;
                if (!Digits(s, ref p, 2, out day))
                {
                    return false;
                }
            }
        }
        if (p < s.Length && (s[p] == 'T' || s[p] == 't' || s[p] == ' '))
        {
            p++;
            if (!Digits(s, ref p, 2, out hour))
            {
                return false;
            }
            if (p < s.Length && s[p] == ':')
            {
                p++;
                if (!Digits(s, ref p, 2, out minute))
                {
                    return false;
                }
                if (p < s.Length && s[p] == ':')
                {
                    p++;
                    if (!Digits(s, ref p, 2, out second))
                    {
                        return false;
                    }
                    if (p < s.Length && (s[p] == '.' || s[p] == ','))
                    {
                        p++;
                        var digits = 0;
                        while (p < s.Length && char.IsAsciiDigit(s[p]))
                        {
                            if (digits < 9)
                            {
                                fraction = (fraction * 10) + (s[p] - '0');
                            }
                            digits++;
                            p++;
                        }
                        if (digits == 0)
                        {
                            return false;
                        }
                        for (var i = digits; i < 9; i++)
                        {
                            fraction *= 10;
                        }
                    }
                }
            }
        }
        long offsetSeconds = 0;
        if (p < s.Length)
        {
            if (s[p] is 'Z' or 'z')
            {
                p++;
            }
            else if (s[p] is '+' or '-')
            {
                var sign = s[p] == '-' ? -1 : 1;
                p++;
                if (!Digits(s, ref p, 2, out var oh))
                {
                    return false;
                }
                var om = 0;
                if (p < s.Length && s[p] == ':')
                {
                    p++;
                }
                if (p < s.Length && !Digits(s, ref p, 2, out om))
                {
                    return false;
                }
                offsetSeconds = sign * ((oh * 3600L) + (om * 60L));
            }
        }
        if (p != s.Length || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 24
            || minute > 59 || second > 60 || year < 1)
        {
            return false;
        }
        var days = DaysFromCivil(year, month, day);
        var totalSeconds = (days * 86_400L) + (hour * 3600L) + (minute * 60L) + second - offsetSeconds;
        if (totalSeconds > (long.MaxValue / NanosPerSecond) - 1 || totalSeconds < (long.MinValue / NanosPerSecond) + 1)
        {
            return false;
        }
        nanos = (totalSeconds * NanosPerSecond) + fraction;
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, ref int p, int count, out int value)
    {
        value = 0;
        if (p + count > s.Length)
        {
            return false;
        }
        for (var i = 0; i < count; i++)
        {
            var c = s[p + i];
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        p += count;
        return true;
    }

    // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
    private static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var doy = ((153 * (m + (m > 2 ? -3 : 9))) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146_097) + doe - 719_468;
    }
}
