using System.Globalization;
using Vigil.Detection;

namespace Vigil.Cli.Commands;

/// <summary>
/// Shows how far a scan has got on stderr: one line rewritten in place on a terminal, or one line per report (for logs).
/// </summary>
internal sealed class ScanProgressPrinter(TextWriter stderr, bool inPlace)
{
    private bool _shown;

    /// <summary>
    /// The printer <c>--progress</c> asks for, or null when off. Auto shows it in place when stderr is a terminal and the
    /// alerts do not go to that terminal too (a rewritten line would tangle with alert rows).
    /// </summary>
    public static ScanProgressPrinter? For(string mode, TextWriter stderr, bool alertsToTerminal) => mode switch
    {
        "off" => null,
        "lines" => new ScanProgressPrinter(stderr, inPlace: false),
        _ => Console.IsErrorRedirected || alertsToTerminal ? null : new ScanProgressPrinter(stderr, inPlace: true),
    };

    public void Report(ScanProgress p)
    {
        var text = Describe(p);
        if (inPlace)
        {
            // A line longer than the terminal would wrap, and the next rewrite would leave the wrapped part behind.
            var width = TerminalWidth();
            if (text.Length >= width)
            {
                text = text[..Math.Max(0, width - 2)] + "…";
            }
            stderr.Write("\r" + text + "\u001b[K");
            _shown = true;
        }
        else
        {
            stderr.WriteLine(text);
        }
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth > 10 ? Console.WindowWidth : 80;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException)
        {
            return 80;
        }
    }

    /// <summary>Clears the in-place line, so that the next message starts on a clean line.</summary>
    public void Clear()
    {
        if (_shown)
        {
            stderr.Write("\r\u001b[K");
            _shown = false;
        }
    }

    internal static string Describe(ScanProgress p)
    {
        var c = CultureInfo.InvariantCulture;
        var mb = p.BytesRead / 1e6;
        var seconds = Math.Max(p.Elapsed.TotalSeconds, 1e-3);
        var text = p.InputBytes is { } total && total > 0
            ? string.Format(c, "{0}: {1:F1} / {2:F1} MB ({3:F0} %)", p.Input, mb, total / 1e6, 100.0 * p.BytesRead / total)
            : string.Format(c, "{0}: {1:F1} MB", p.Input, mb);
        text += string.Format(c, ", {0:N0} events, {1:N0} alerts", p.EventsRead, p.Alerts);
        if (p.Done)
        {
            return "scanned " + text;
        }
        text += string.Format(c, ", {0:F0} MB/s", mb / seconds);
        if (p.InputBytes is { } size && size > p.BytesRead && p.BytesRead > 0)
        {
            var left = TimeSpan.FromSeconds((size - p.BytesRead) / (p.BytesRead / seconds));
            text += string.Format(c, ", about {0:F0} s left", Math.Ceiling(left.TotalSeconds));
        }
        return "scanning " + text;
    }
}
