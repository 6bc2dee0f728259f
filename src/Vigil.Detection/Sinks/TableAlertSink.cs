using System.Globalization;

namespace Vigil.Detection;

/// <summary>
/// A table for people: time, rule, severity, host, container, user and command line per alert. Rows are written as alerts
/// arrive (a live console cannot wait for the end), with fixed column widths; long values are shortened with an ellipsis.
/// </summary>
public sealed class TableAlertSink : IAlertSink
{
    private static readonly (string Title, int Width)[] Columns =
    [
        ("TIME", 27), ("RULE", 40), ("SEVERITY", 8), ("HOST", 16), ("CONTAINER", 12), ("USER", 10), ("COMMAND LINE", 0),
    ];

    /// <summary>The command line is shortened past this many characters; the NDJSON output keeps it whole.</summary>
    private const int MaxLastColumn = 200;

    private readonly TextWriter _out;
    private readonly bool _ownsWriter;
    private bool _headerWritten;

    /// <summary>Writes to <paramref name="writer"/>.</summary>
    public TableAlertSink(TextWriter writer, bool ownsWriter = false)
    {
        _out = writer ?? throw new ArgumentNullException(nameof(writer));
        _ownsWriter = ownsWriter;
    }

    /// <inheritdoc />
    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!_headerWritten)
        {
            WriteRow(Columns.Select(c => c.Title).ToArray());
            _headerWritten = true;
        }
        var command = alert.Field("process.command_line");
        if (string.IsNullOrEmpty(command))
        {
            var args = alert.Fields("process.args");
            command = args.Count > 0 ? string.Join(' ', args) : alert.Field("process.name") ?? "-";
        }
        WriteRow(
        [
            alert.Field("kibana.alert.original_time") ?? "-",
            alert.Rule.Rule.Name,
            alert.Rule.Rule.Severity.ToString().ToLowerInvariant(),
            alert.Field("host.name") ?? alert.Field("host.hostname") ?? "-",
            alert.Field("container.id") is { Length: > 0 } c ? c[..Math.Min(12, c.Length)] : "-",
            alert.Field("user.name") ?? alert.Field("user.id") ?? "-",
            command,
        ]);
    }

    /// <summary>Writes a note under the table when no alert was written.</summary>
    public bool WroteAny => _headerWritten;

    private void WriteRow(string[] cells)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            var width = Columns[i].Width;
            var text = Clean(cells[i]);
            if (width == 0)
            {
                _out.Write(text.Length > MaxLastColumn ? string.Concat(text.AsSpan(0, MaxLastColumn - 1), "…") : text);
                break;
            }
            if (text.Length > width)
            {
                text = string.Concat(text.AsSpan(0, width - 1), "…");
            }
            _out.Write(text.PadRight(width));
            _out.Write("  ");
        }
        _out.WriteLine();
    }

    private static string Clean(string s) =>
        string.Create(s.Length, s, static (span, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                span[i] = char.IsControl(src[i]) ? ' ' : src[i];
            }
        });

    /// <inheritdoc />
    public void Flush() => _out.Flush();

    /// <inheritdoc />
    public void Dispose()
    {
        Flush();
        if (_ownsWriter)
        {
            _out.Dispose();
        }
    }

    internal static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
