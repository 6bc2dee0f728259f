using Vigil.Detection;

namespace Vigil.Cli.Commands;

/// <summary>Failures writing alerts, told apart from failures reading events (both are I/O errors underneath).</summary>
internal sealed class AlertOutputException(Exception inner) : Exception(inner.Message, inner);

/// <summary>Wraps the alert output so that its I/O errors surface as <see cref="AlertOutputException"/>.</summary>
internal sealed class OutputGuard(IAlertSink inner) : IAlertSink
{
    public void Write(Alert alert) => Guard(() => inner.Write(alert));

    public void Flush() => Guard(inner.Flush);

    public void Dispose() => Guard(inner.Dispose);

    private static void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AlertOutputException(ex);
        }
    }
}
