namespace Vigil.Detection;

/// <summary>Sends every alert to several sinks in order (e.g. the console and the alert store).</summary>
public sealed class TeeAlertSink : IAlertSink
{
    private readonly IAlertSink[] _sinks;

    /// <summary>Writes to each of <paramref name="sinks"/>; disposing the tee disposes them.</summary>
    public TeeAlertSink(params IAlertSink[] sinks)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _sinks = sinks;
    }

    /// <inheritdoc />
    public void Write(Alert alert)
    {
        foreach (var sink in _sinks)
        {
            sink.Write(alert);
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        foreach (var sink in _sinks)
        {
            sink.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<Exception>? errors = null;
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Dispose();
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }
        if (errors is { Count: 1 })
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(errors[0]);
        }
        if (errors is not null)
        {
            throw new AggregateException(errors);
        }
    }
}
