using System.Text.Json;

namespace Vigil.Detection;

/// <summary>
/// An append-only NDJSON alert file that is idempotent by <c>kibana.alert.uuid</c> and durable on <see cref="Commit"/>
/// (fsync). The ids already in the file are read when it is opened, so a restarted worker that sees an event again does not
/// write its alert twice. A line cut short by a crash is ignored when reading and left in place.
/// </summary>
public sealed class DurableNdjsonAlertSink : IDurableAlertSink
{
    private readonly FileStream _file;
    private readonly NdjsonAlertSink _writer;
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    /// <summary>Opens (or creates) <paramref name="path"/>.</summary>
    public DurableNdjsonAlertSink(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            foreach (var id in ReadIds(path))
            {
                _ids.Add(id);
            }
        }
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        if (_file.Length > 0 && LastByte(path) != (byte)'\n')
        {
            // A torn last line from a crash: end it so the next alert starts on a line of its own.
            _file.WriteByte((byte)'\n');
        }
        _writer = new NdjsonAlertSink(_file, ownsStream: false);
    }

    /// <summary>Alerts in the file.</summary>
    public int Count => _ids.Count;

    /// <summary>The <c>kibana.alert.uuid</c> of every complete line of an alert file, in file order (repeats kept).</summary>
    public static IEnumerable<string> ReadIds(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }
            string? id = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("kibana.alert.uuid", out var v) && v.ValueKind == JsonValueKind.String)
                {
                    id = v.GetString();
                }
            }
            catch (JsonException)
            {
                // Torn line.
            }
            if (id is not null)
            {
                yield return id;
            }
        }
    }

    private static byte LastByte(string path)
    {
        using var f = File.OpenRead(path);
        f.Seek(-1, SeekOrigin.End);
        return (byte)f.ReadByte();
    }

    /// <inheritdoc />
    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_ids.Add(alert.Id))
        {
            _writer.Write(alert);
        }
    }

    /// <inheritdoc />
    public void Flush() => _writer.Flush();

    /// <inheritdoc />
    public void Commit()
    {
        _writer.Flush();
        _file.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Commit();
        _writer.Dispose();
        _file.Dispose();
    }
}
