using System.CommandLine;
using Vigil.Detection;
using Vigil.Rules;

namespace Vigil.Cli.Commands;

/// <summary>The <c>vigil scan</c> options of scheduled replay, and how they become <see cref="ReplayOptions"/>.</summary>
internal sealed class ReplaySettings
{
    public Option<bool> Replay { get; } = new("--replay")
    {
        Description = "Emulate Kibana's scheduler: run each rule every 'interval' over the window [from, to], with max_signals and dedup of overlapping windows.",
    };

    public Option<string?> Start { get; } = new("--start")
    {
        Description = "With --replay: time of the first execution (ISO 8601 or date math such as now-1d). Default: the earliest event time.",
    };

    public Option<string?> End { get; } = new("--end")
    {
        Description = "With --replay: no execution after this time (ISO 8601 or date math). Default: run until the latest event time is covered.",
    };

    public Option<string[]> Gap { get; } = new("--gap")
    {
        Description = "With --replay: FROM..TO, a scheduler outage (repeatable); the first execution after it catches up as Kibana does.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public IEnumerable<Option> All => [Replay, Start, End, Gap];

    /// <summary>
    /// False after a usage error was written to <paramref name="stderr"/>; true otherwise, with <paramref name="options"/> null when replay is off.
    /// </summary>
    public bool TryGet(ParseResult parse, string? defaultIndex, TextWriter stderr, DateTimeOffset now, out ReplayOptions? options)
    {
        options = null;
        var start = parse.GetValue(Start);
        var end = parse.GetValue(End);
        var gaps = parse.GetValue(Gap) ?? [];
        if (!parse.GetValue(Replay))
        {
            if (start is not null || end is not null || gaps.Length > 0)
            {
                stderr.WriteLine("vigil: --start, --end and --gap need --replay");
                return false;
            }
            return true;
        }
        DateTimeOffset? startTime = null, endTime = null;
        if (start is not null)
        {
            if (!TryTime("--start", start, now, stderr, out var s))
            {
                return false;
            }
            startTime = s;
        }
        if (end is not null)
        {
            if (!TryTime("--end", end, now, stderr, out var e))
            {
                return false;
            }
            endTime = e;
        }
        if (startTime is { } a && endTime is { } b && b < a)
        {
            stderr.WriteLine($"vigil: --end {end} is before --start {start}");
            return false;
        }
        var parsedGaps = new List<ReplayGap>();
        foreach (var gap in gaps)
        {
            var parts = gap.Split("..", 2);
            if (parts.Length != 2)
            {
                stderr.WriteLine($"vigil: --gap '{gap}' must be FROM..TO (for example 2026-08-21T10:00:00Z..2026-08-21T11:00:00Z)");
                return false;
            }
            if (!TryTime("--gap", parts[0], now, stderr, out var from) || !TryTime("--gap", parts[1], now, stderr, out var to))
            {
                return false;
            }
            if (to <= from)
            {
                stderr.WriteLine($"vigil: --gap '{gap}' ends before it starts");
                return false;
            }
            parsedGaps.Add(new ReplayGap(from, to));
        }
        options = new ReplayOptions
        {
            Start = startTime,
            End = endTime,
            Gaps = parsedGaps,
            DefaultIndex = defaultIndex,
            OnWarning = w => stderr.WriteLine(w.ToString()),
        };
        return true;
    }

    private static bool TryTime(string option, string text, DateTimeOffset now, TextWriter stderr, out DateTimeOffset value)
    {
        if (RuleSchedule.TryResolveDateMath(text, now, out value, out var outOfRange))
        {
            value = value.ToUniversalTime();
            if (value >= ReplayOptions.EarliestTime && value <= ReplayOptions.LatestTime)
            {
                return true;
            }
            outOfRange = true;
        }
        if (outOfRange)
        {
            stderr.WriteLine($"vigil: {option} '{text}' is out of range: replay times must lie between {ReplayOptions.EarliestTime.Year} and {ReplayOptions.LatestTime.Year}");
            return false;
        }
        stderr.WriteLine($"vigil: {option} '{text}' is neither an ISO 8601 time (2026-08-21T10:00:00Z) nor date math (now-1d, now-6h/h)");
        return false;
    }
}
