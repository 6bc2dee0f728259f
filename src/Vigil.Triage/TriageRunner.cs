using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Vigil.Triage.Readers;

namespace Vigil.Triage;

/// <summary>Options for <see cref="TriageRunner.Run"/>.</summary>
public sealed class TriageOptions
{
    /// <summary>Only events at or after this time go into the timeline (the packages and the added list are not filtered).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>A root file system of the image the container was started from; the added list is then the difference.</summary>
    public string? BaselineRoot { get; init; }

    /// <summary>
    /// Parses a <c>--since</c> value: an ISO 8601 date or time (UTC when no zone is given), <c>now</c>, or an age such as
    /// <c>90m</c>, <c>6h</c>, <c>2d</c>, <c>now-1h</c> counted back from <paramref name="now"/>.
    /// </summary>
    public static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since) => TryParseSince(text, now, out since, out _);

    /// <summary>
    /// As <see cref="TryParseSince(string, DateTimeOffset, out DateTimeOffset)"/>, with the reason when it fails (also when
    /// an age reaches back before year 1). The same forms as <c>vigil alerts list --since</c> (Vigil.Detection's
    /// <c>AlertTimes.ParseSince</c>); this copy exists because Vigil.Triage depends on no other Vigil project.
    /// </summary>
    public static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        since = default;
        error = null;
        var t = text.Trim();
        if (t.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            since = now;
            return true;
        }
        var age = t.StartsWith("now-", StringComparison.OrdinalIgnoreCase) ? t[4..] : t;
        long? unit = age.Length >= 2 ? age[^1] switch
        {
            's' => TimeSpan.TicksPerSecond,
            'm' => TimeSpan.TicksPerMinute,
            'h' => TimeSpan.TicksPerHour,
            'd' => TimeSpan.TicksPerDay,
            'w' => 7 * TimeSpan.TicksPerDay,
            _ => null,
        } : null;
        var digits = age.AsSpan(0, Math.Max(0, age.Length - 1));
        if (unit is { } u && digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9'))
        {
            // Checked by hand: TimeSpan arithmetic overflows and DateTimeOffset throws before year 1.
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                || n > (now.UtcTicks - DateTimeOffset.MinValue.UtcTicks) / u)
            {
                error = $"'{text}' is out of range: it reaches back before the year 1";
                return false;
            }
            since = new DateTimeOffset(now.UtcTicks - (n * u), TimeSpan.Zero);
            return true;
        }
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
        {
            return true;
        }
        error = $"'{text}' is neither a date (2024-05-01, 2024-05-01T08:00:00+02:00) nor an age (90m, 6h, 2d, 1w, now-1h)";
        return false;
    }
}

/// <summary>The result of a triage: timeline, packages present, and what was added after the image.</summary>
public sealed class TriageReport
{
    /// <summary>The root file system that was read.</summary>
    public required string Root { get; init; }

    /// <summary>The baseline root, when one was given.</summary>
    public string? Baseline { get; init; }

    /// <summary>Package managers whose records were found (dpkg, apt, apk, dnf, yum, rpm, pacman, pip).</summary>
    public required IReadOnlyList<string> Managers { get; init; }

    /// <summary>Package events in time order (events without a time last), after <see cref="TriageOptions.Since"/>.</summary>
    public required IReadOnlyList<PackageEvent> Events { get; init; }

    /// <summary>Packages present, by manager and name.</summary>
    public required IReadOnlyList<InstalledPackage> Packages { get; init; }

    /// <summary>How <see cref="Added"/> was decided: <c>baseline</c>, <c>earliest-batch</c> or <c>unknown</c> (no install times).</summary>
    public required string AddedMethod { get; init; }

    /// <summary>End of the earliest install batch (the image's own packages), for <c>earliest-batch</c>.</summary>
    public DateTimeOffset? ImageCutoff { get; init; }

    /// <summary>Packages present that were added after the image.</summary>
    public required IReadOnlyList<AddedPackage> Added { get; init; }

    /// <summary>Packages of the baseline that are gone (only with a baseline).</summary>
    public required IReadOnlyList<InstalledPackage> Removed { get; init; }

    /// <summary>Records that could not be read and paths that were refused.</summary>
    public required IReadOnlyList<TriageWarning> Warnings { get; init; }
}

/// <summary>Package forensics of a container's root file system. Reads only; never writes under the root.</summary>
public static class TriageRunner
{
    /// <summary>Reads every package manager's records under <paramref name="root"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The root (or the baseline) is not a directory.</exception>
    public static TriageReport Run(string root, TriageOptions? options = null)
    {
        options ??= new TriageOptions();
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{root}: not a directory, or not readable by this user");
        }
        if (options.BaselineRoot is { } b && !Directory.Exists(b))
        {
            throw new DirectoryNotFoundException($"{b}: not a directory, or not readable by this user");
        }
        var warnings = new List<TriageWarning>();
        using var fs = new RootFs(root, warnings);
        using var baselineFs = options.BaselineRoot is null ? null : new RootFs(options.BaselineRoot, warnings, "baseline:");
        var ctx = Collect(fs);
        TriageContext? baseline = baselineFs is null ? null : Collect(baselineFs);

        var events = ctx.Events
            .Select((e, i) => (e, i))
            .OrderBy(x => x.e.Time is null ? 1 : 0).ThenBy(x => x.e.Time).ThenBy(x => x.i)
            .Select(x => x.e).ToList();
        var packages = ctx.Packages.OrderBy(p => p.Manager, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Architecture, StringComparer.Ordinal).ToList();

        string method;
        DateTimeOffset? cutoff = null;
        var added = new List<AddedPackage>();
        var removed = new List<InstalledPackage>();
        if (baseline is not null)
        {
            method = "baseline";
            var before = baseline.Packages.GroupBy(Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var now = packages.Select(Key).ToHashSet(StringComparer.Ordinal);
            foreach (var p in packages)
            {
                var last = LastInstall(events, p);
                if (!before.TryGetValue(Key(p), out var old))
                {
                    added.Add(new AddedPackage(p, last?.Time ?? p.InstalledAt, last?.CommandLine, "not in the baseline"));
                }
                else if (old.Version != p.Version)
                {
                    added.Add(new AddedPackage(p, last?.Time ?? p.InstalledAt, last?.CommandLine, $"version {old.Version} in the baseline"));
                }
            }
            removed.AddRange(baseline.Packages.Where(p => !now.Contains(Key(p)))
                .OrderBy(p => p.Manager, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal));
        }
        else
        {
            (cutoff, var firstBatch) = ImageCutoff(events, packages);
            method = cutoff is null ? "unknown" : "earliest-batch";
            if (cutoff is { } c)
            {
                foreach (var p in packages)
                {
                    var last = LastInstall(events, p);
                    // An event of the first batch is the image's even when a database's exact install time falls a
                    // little after the log's coarser one (pacman's old log format has minutes only).
                    var isAdded = last is not null
                        ? last.Time > c && last.Batch != firstBatch
                        : p.InstalledAt > c + (firstBatch is null ? TimeSpan.Zero : TimeSpan.FromMinutes(1));
                    var time = last?.Time ?? p.InstalledAt;
                    if (isAdded)
                    {
                        var what = last?.Action is PackageAction.Upgrade or PackageAction.Downgrade ? last.Action.ToString().ToLowerInvariant() + "d" : "installed";
                        added.Add(new AddedPackage(p, time, last?.CommandLine, $"{what} after the image's first install batch"));
                    }
                }
            }
        }

        var timeline = options.Since is { } since ? events.Where(e => e.Time >= since).ToList() : events;
        var managers = new SortedSet<string>(ctx.Managers, StringComparer.Ordinal);
        return new TriageReport
        {
            Root = root,
            Baseline = options.BaselineRoot,
            Managers = managers.ToList(),
            Events = timeline,
            Packages = packages,
            AddedMethod = method,
            ImageCutoff = cutoff,
            Added = added.OrderBy(a => a.Time is null ? 1 : 0).ThenBy(a => a.Time).ThenBy(a => a.Package.Name, StringComparer.Ordinal).ToList(),
            Removed = removed,
            Warnings = warnings,
        };
    }

    private static TriageContext Collect(RootFs fs)
    {
        var ctx = new TriageContext(fs);
        DpkgReader.Read(ctx);
        var aptRuns = AptHistoryReader.Read(ctx);
        AttachAptRuns(ctx, aptRuns);
        ApkReader.Read(ctx);
        RpmHistoryReader.Read(ctx);
        PacmanReader.Read(ctx);
        PipReader.Read(ctx);
        return ctx;
    }

    /// <summary>dpkg's log has no command line; the apt run whose window holds a dpkg line caused it.</summary>
    private static void AttachAptRuns(TriageContext ctx, List<AptHistoryReader.Run> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }
        for (int i = 0; i < ctx.Events.Count; i++)
        {
            var e = ctx.Events[i];
            if (e.Manager != "dpkg" || e.Time is not { } t)
            {
                continue;
            }
            var run = runs.FirstOrDefault(r => r.Start <= t && t <= r.End);
            if (run is not null)
            {
                ctx.Events[i] = e with { CommandLine = run.CommandLine, RequestedBy = run.RequestedBy, Batch = run.Batch };
            }
        }
        // apt's history and dpkg's log then tell the same event twice: keep dpkg's line, which has the exact time.
        var told = ctx.Events.Where(e => e.Manager == "dpkg").Select(DuplicateKey).ToHashSet(StringComparer.Ordinal);
        ctx.Events.RemoveAll(e => e.Manager == "apt" && told.Contains(DuplicateKey(e)));
    }

    private static string DuplicateKey(PackageEvent e) => $"{e.Batch}\0{e.Package}\0{e.Action}\0{e.Version}";

    /// <summary>The family a package's records come from: apt and dpkg both describe dpkg packages, dnf and yum rpm ones.</summary>
    private static string Family(string manager) => manager switch
    {
        "apt" or "dpkg" => "dpkg",
        "dnf" or "yum" or "rpm" => "rpm",
        _ => manager,
    };

    private static string Key(InstalledPackage p) => $"{p.Manager}\0{p.Name}\0{p.Architecture}";

    private static PackageEvent? LastInstall(List<PackageEvent> events, InstalledPackage p)
    {
        PackageEvent? last = null;
        foreach (var e in events)
        {
            if (e.Package == p.Name && Family(e.Manager) == p.Manager && e.Time is not null
                && e.Action is PackageAction.Install or PackageAction.Upgrade or PackageAction.Downgrade or PackageAction.Reinstall
                && (last is null || e.Time >= last.Time))
            {
                // Prefer the record that knows the command line when apt and dpkg report the same moment.
                if (last is not null && e.Time == last.Time && e.CommandLine is null && last.CommandLine is not null)
                {
                    continue;
                }
                last = e;
            }
        }
        return last;
    }

    /// <summary>
    /// The end of the earliest install batch of the OS package manager (pip excluded: an image rarely starts with pip).
    /// Without events, pacman's install dates stand in; apk records no times at all.
    /// </summary>
    private static (DateTimeOffset? Cutoff, string? Batch) ImageCutoff(List<PackageEvent> events, List<InstalledPackage> packages)
    {
        var os = events.Where(e => e.Time is not null && e.Manager != "pip").ToList();
        if (os.Count > 0)
        {
            var first = os[0];
            return (os.Where(e => e.Batch == first.Batch).Max(e => e.Time), first.Batch);
        }
        var dated = packages.Where(p => p.InstalledAt is not null && p.Manager != "pip").Select(p => p.InstalledAt!.Value).Order().ToList();
        if (dated.Count == 0)
        {
            return (null, null);
        }
        var end = dated[0];
        foreach (var t in dated)
        {
            if (t - end > TriageContext.BatchGap)
            {
                break;
            }
            end = t;
        }
        return (end, null);
    }

}
