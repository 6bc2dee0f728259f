namespace Vigil.Detection;

/// <summary>Where alerts go: console, NDJSON file, alert store.</summary>
public interface IAlertSink : IDisposable
{
    /// <summary>Writes one alert. Called in detection order.</summary>
    void Write(Alert alert);

    /// <summary>Flushes anything buffered.</summary>
    void Flush();
}
