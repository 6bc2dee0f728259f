namespace Vigil.Detection;

/// <summary>
/// Writes each alert id to a sink once: the same event and rule found twice (overlapping inputs, overlapping replay
/// windows) give the same deterministic id, and the repeat is counted, not written.
/// </summary>
internal sealed class DedupingAlertWriter(IAlertSink sink)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Alerts written.</summary>
    public long Written { get; private set; }

    /// <summary>Alerts dropped because their id was written before.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Writes the alerts of <paramref name="batch"/> not seen before; returns whether its first alert was new (for a sequence: its shell).</summary>
    public bool Write(IEnumerable<Alert> batch)
    {
        bool? firstNew = null;
        foreach (var a in batch)
        {
            var isNew = _seen.Add(a.Id);
            firstNew ??= isNew;
            if (isNew)
            {
                sink.Write(a);
                Written++;
            }
            else
            {
                Duplicates++;
            }
        }
        return firstNew ?? false;
    }
}
