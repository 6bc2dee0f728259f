using System.Text.Json;

namespace Vigil.Detection;

/// <summary>Writes one alert document per line.</summary>
public sealed class NdjsonAlertSink : IAlertSink
{
    // Alerts are read by people and grep as much as by programs: keep '&', '<', '`' and non-ASCII text as they are
    // (still valid JSON; only quotes, backslashes and control characters are escaped).
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        SkipValidation = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly Utf8JsonWriter _writer;

    /// <summary>Writes to <paramref name="stream"/>; disposes it when <paramref name="ownsStream"/>.</summary>
    public NdjsonAlertSink(Stream stream, bool ownsStream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _ownsStream = ownsStream;
        _writer = new Utf8JsonWriter(stream, Options);
    }

    /// <inheritdoc />
    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        alert.Document.WriteTo(_writer);
        _writer.Flush();
        _writer.Reset();
        _stream.WriteByte((byte)'\n');
    }

    /// <inheritdoc />
    public void Flush()
    {
        _writer.Flush();
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Flush();
        _writer.Dispose();
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }
}
