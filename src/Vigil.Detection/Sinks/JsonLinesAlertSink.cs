using System.Text.Json;

namespace Vigil.Detection;

/// <summary>
/// Base of the sinks that write JSON values one per line (NDJSON, Elasticsearch <c>_bulk</c>): one writer, one newline
/// after each value, the stream flushed on <see cref="Flush"/> and disposed with the sink when it is ours.
/// </summary>
public abstract class JsonLinesAlertSink : IAlertSink
{
    // Alerts are read by people and grep as much as by programs: keep '&', '<', '`' and non-ASCII text as they are
    // (still valid JSON; only quotes, backslashes and control characters are escaped).
    private static readonly JsonWriterOptions Options = Alert.WriterOptions;
    private readonly Stream _stream;
    private readonly bool _ownsStream;

    /// <summary>Writes to <paramref name="stream"/>; disposes it when <paramref name="ownsStream"/>.</summary>
    protected JsonLinesAlertSink(Stream stream, bool ownsStream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _ownsStream = ownsStream;
        Writer = new Utf8JsonWriter(stream, Options);
    }

    /// <summary>The writer of the current line; end each value with <see cref="EndLine"/>.</summary>
    protected Utf8JsonWriter Writer { get; }

    /// <inheritdoc />
    public abstract void Write(Alert alert);

    /// <summary>Ends the value just written with a newline.</summary>
    protected void EndLine()
    {
        Writer.Flush();
        Writer.Reset();
        _stream.WriteByte((byte)'\n');
    }

    /// <inheritdoc />
    public void Flush()
    {
        Writer.Flush();
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Flushes and releases the writer, and the stream when it is ours.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        Flush();
        Writer.Dispose();
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }
}
