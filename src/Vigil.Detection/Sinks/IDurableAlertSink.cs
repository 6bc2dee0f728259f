namespace Vigil.Detection;

/// <summary>
/// An alert sink that can say when alerts are safe: after <see cref="Commit"/> returns, every alert written before it
/// survives a crash of this process. A consumer of an at-least-once queue acknowledges a message only after the commit
/// that covers its alerts. Writing the same alert id twice must keep one copy (redelivery writes it again).
/// </summary>
public interface IDurableAlertSink : IAlertSink
{
    /// <summary>Makes every alert written so far durable; returns only once it is.</summary>
    void Commit();
}
