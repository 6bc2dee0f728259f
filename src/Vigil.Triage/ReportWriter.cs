using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vigil.Triage;

/// <summary>Renders a <see cref="TriageReport"/> as a table for people or a JSON document for tools.</summary>
public static class ReportWriter
{
    private const int MaxCommandWidth = 60;

    /// <summary>Writes the report as text tables: timeline, added packages, flagged packages present, counts.</summary>
    public static void WriteTable(TriageReport report, TextWriter output)
    {
        output.WriteLine($"root: {report.Root}" + (report.Baseline is null ? string.Empty : $"  baseline: {report.Baseline}"));
        output.WriteLine($"package managers: {(report.Managers.Count == 0 ? "none found" : string.Join(", ", report.Managers))}");
        output.WriteLine();

        output.WriteLine($"TIMELINE ({report.Events.Count} events)");
        Table(output, ["TIME", "MANAGER", "ACTION", "PACKAGE", "VERSION", "FLAG", "COMMAND"],
            report.Events.Select(e => new[]
            {
                Time(e.Time), e.Manager, e.Action.ToString().ToLowerInvariant(), e.Package,
                e.PreviousVersion is null ? e.Version ?? string.Empty : $"{e.PreviousVersion} -> {e.Version}",
                ToolCatalog.Name(e.Flag), Clip(e.CommandLine),
            }));
        output.WriteLine();

        var how = report.AddedMethod switch
        {
            "baseline" => "compared with the baseline",
            "earliest-batch" => $"installed after the image's first batch, which ended {Time(report.ImageCutoff)}",
            _ => "unknown: no install times recorded (apk keeps none); give --baseline ROOT",
        };
        output.WriteLine($"ADDED AFTER THE IMAGE ({report.Added.Count}; {how})");
        Table(output, ["TIME", "MANAGER", "PACKAGE", "VERSION", "FLAG", "COMMAND", "WHY"],
            report.Added.Select(a => new[]
            {
                Time(a.Time), a.Package.Manager, a.Package.Name, a.Package.Version ?? string.Empty,
                ToolCatalog.Name(a.Package.Flag), Clip(a.CommandLine), a.Reason,
            }));
        if (report.Baseline is not null)
        {
            output.WriteLine();
            output.WriteLine($"REMOVED SINCE THE BASELINE ({report.Removed.Count})");
            Table(output, ["MANAGER", "PACKAGE", "VERSION", "FLAG"],
                report.Removed.Select(p => new[] { p.Manager, p.Name, p.Version ?? string.Empty, ToolCatalog.Name(p.Flag) }));
        }
        output.WriteLine();

        var flagged = report.Packages.Where(p => p.Flag != ToolKind.None).ToList();
        output.WriteLine($"FLAGGED PACKAGES PRESENT ({flagged.Count})");
        Table(output, ["MANAGER", "PACKAGE", "VERSION", "FLAG", "EXPLICIT"],
            flagged.Select(p => new[] { p.Manager, p.Name, p.Version ?? string.Empty, ToolCatalog.Name(p.Flag), p.Explicit switch { true => "yes", false => "no", _ => "?" } }));
        output.WriteLine();
        var counts = report.Packages.GroupBy(p => p.Manager).Select(g => $"{g.Key} {g.Count()}");
        output.WriteLine($"packages present: {report.Packages.Count} ({string.Join(", ", counts)}); --format json lists them all");
    }

    /// <summary>Writes the report as one indented JSON document (snake_case keys, times in ISO 8601 UTC).</summary>
    public static void WriteJson(TriageReport report, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("root", report.Root);
        Nullable(w, "baseline", report.Baseline);
        w.WriteStartArray("managers");
        foreach (var m in report.Managers)
        {
            w.WriteStringValue(m);
        }
        w.WriteEndArray();

        w.WriteStartArray("events");
        foreach (var e in report.Events)
        {
            w.WriteStartObject();
            Nullable(w, "time", e.Time);
            w.WriteString("manager", e.Manager);
            w.WriteString("action", e.Action.ToString().ToLowerInvariant());
            w.WriteString("package", e.Package);
            Nullable(w, "version", e.Version);
            Nullable(w, "previous_version", e.PreviousVersion);
            Nullable(w, "command_line", e.CommandLine);
            Nullable(w, "requested_by", e.RequestedBy);
            Nullable(w, "flag", e.Flag == ToolKind.None ? null : ToolCatalog.Name(e.Flag));
            w.WriteString("source", e.Source);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("packages");
        foreach (var p in report.Packages)
        {
            Package(w, p);
        }
        w.WriteEndArray();

        w.WriteStartObject("added");
        w.WriteString("method", report.AddedMethod);
        Nullable(w, "image_cutoff", report.ImageCutoff);
        w.WriteStartArray("packages");
        foreach (var a in report.Added)
        {
            w.WriteStartObject();
            w.WriteString("manager", a.Package.Manager);
            w.WriteString("name", a.Package.Name);
            Nullable(w, "version", a.Package.Version);
            Nullable(w, "flag", a.Package.Flag == ToolKind.None ? null : ToolCatalog.Name(a.Package.Flag));
            Nullable(w, "time", a.Time);
            Nullable(w, "command_line", a.CommandLine);
            w.WriteString("reason", a.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("removed");
        foreach (var p in report.Removed)
        {
            Package(w, p);
        }
        w.WriteEndArray();

        w.WriteStartArray("warnings");
        foreach (var warning in report.Warnings)
        {
            w.WriteStartObject();
            w.WriteString("file", warning.File);
            if (warning.Line is { } line)
            {
                w.WriteNumber("line", line);
            }
            else
            {
                w.WriteNull("line");
            }
            w.WriteString("message", warning.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary>The JSON document as a string.</summary>
    public static string ToJson(TriageReport report)
    {
        using var stream = new MemoryStream();
        WriteJson(report, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Package(Utf8JsonWriter w, InstalledPackage p)
    {
        w.WriteStartObject();
        w.WriteString("manager", p.Manager);
        w.WriteString("name", p.Name);
        Nullable(w, "version", p.Version);
        Nullable(w, "architecture", p.Architecture);
        Nullable(w, "installed_at", p.InstalledAt);
        if (p.Explicit is { } e)
        {
            w.WriteBoolean("explicit", e);
        }
        else
        {
            w.WriteNull("explicit");
        }
        Nullable(w, "flag", p.Flag == ToolKind.None ? null : ToolCatalog.Name(p.Flag));
        w.WriteString("source", p.Source);
        w.WriteEndObject();
    }

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void Nullable(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } t)
        {
            w.WriteString(name, t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Time(DateTimeOffset? t) =>
        t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "?";

    private static string Clip(string? s) =>
        s is null ? string.Empty : s.Length <= MaxCommandWidth ? s : s[..(MaxCommandWidth - 3)] + "...";

    private static void Table(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        if (all.Count == 0)
        {
            output.WriteLine("  (none)");
            return;
        }
        var widths = header.Select((h, i) => Math.Max(h.Length, all.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Row(header, widths));
        foreach (var r in all)
        {
            output.WriteLine(Row(r, widths));
        }
    }

    private static string Row(string[] cells, int[] widths)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            // Control characters from a hostile log must not drive the responder's terminal.
            var cell = new string(cells[i].Select(c => char.IsControl(c) ? '?' : c).ToArray());
            sb.Append(i == cells.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
        }
        return sb.ToString().TrimEnd();
    }
}
