using System.Text.Json;

namespace Vigil.Detection;

/// <summary>
/// Writes alerts as an Elasticsearch <c>_bulk</c> body: per alert a <c>create</c> action for the Kibana security alerts
/// index with the alert uuid as <c>_id</c>, then the document. <c>create</c> (not <c>index</c>) is what Kibana uses, so
/// loading the same file twice adds nothing (the second load answers 409 per alert) and no analyst's status is overwritten.
/// </summary>
public sealed class ElasticBulkAlertSink : IAlertSink
{
    /// <summary>The alias Kibana writes security alerts of the default space to.</summary>
    public const string DefaultIndex = ".alerts-security.alerts-default";

    private static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly string _index;
    private readonly Utf8JsonWriter _writer;

    /// <summary>Writes to <paramref name="stream"/> for <paramref name="index"/>; disposes the stream when <paramref name="ownsStream"/>.</summary>
    public ElasticBulkAlertSink(Stream stream, bool ownsStream, string index = DefaultIndex)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        ArgumentException.ThrowIfNullOrEmpty(index);
        _ownsStream = ownsStream;
        _index = index;
        _writer = new Utf8JsonWriter(stream, Options);
    }

    /// <inheritdoc />
    public void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _writer.WriteStartObject();
        _writer.WriteStartObject("create");
        _writer.WriteString("_index", _index);
        _writer.WriteString("_id", alert.Id);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        EndLine();
        alert.Document.WriteTo(_writer);
        EndLine();
    }

    private void EndLine()
    {
        _writer.Flush();
        _writer.Reset();
        // The bulk API reads one JSON object per line, the body ending with a newline.
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
