namespace Vigil.Detection;

/// <summary>
/// Writes alerts as an Elasticsearch <c>_bulk</c> body: per alert a <c>create</c> action for the Kibana security alerts
/// index with the alert uuid as <c>_id</c>, then the document. <c>create</c> (not <c>index</c>) is what Kibana uses, so
/// loading the same file twice adds nothing (the second load answers 409 per alert) and no analyst's status is overwritten.
/// </summary>
public sealed class ElasticBulkAlertSink : JsonLinesAlertSink
{
    /// <summary>The alias Kibana writes security alerts of the default space to.</summary>
    public const string DefaultIndex = ".alerts-security.alerts-default";

    private readonly string _index;

    /// <summary>Writes to <paramref name="stream"/> for <paramref name="index"/>; disposes the stream when <paramref name="ownsStream"/>.</summary>
    public ElasticBulkAlertSink(Stream stream, bool ownsStream, string index = DefaultIndex)
        : base(stream, ownsStream)
    {
        ArgumentException.ThrowIfNullOrEmpty(index);
        _index = index;
    }

    /// <inheritdoc />
    public override void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        Writer.WriteStartObject();
        Writer.WriteStartObject("create");
        Writer.WriteString("_index", _index);
        Writer.WriteString("_id", alert.Id);
        Writer.WriteEndObject();
        Writer.WriteEndObject();
        EndLine();
        alert.WriteTo(Writer);
        EndLine();
    }
}
