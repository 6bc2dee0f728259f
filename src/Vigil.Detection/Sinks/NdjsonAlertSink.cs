namespace Vigil.Detection;

/// <summary>Writes one alert document per line.</summary>
public sealed class NdjsonAlertSink(Stream stream, bool ownsStream) : JsonLinesAlertSink(stream, ownsStream)
{
    /// <inheritdoc />
    public override void Write(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        alert.WriteTo(Writer);
        EndLine();
    }
}
