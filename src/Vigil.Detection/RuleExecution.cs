namespace Vigil.Detection;

/// <summary>
/// One execution of the rules (a scan, a scheduled run, a streaming session): every alert it creates carries the same
/// <c>kibana.alert.rule.execution.uuid</c> and creation time, as in Kibana.
/// </summary>
/// <param name="Uuid">Execution id.</param>
/// <param name="StartedAt">When the execution started; the alerts' <c>@timestamp</c>.</param>
/// <param name="Type"><c>manual</c>, <c>scheduled</c> or <c>streaming</c>.</param>
public sealed record RuleExecution(string Uuid, DateTimeOffset StartedAt, string Type)
{
    /// <summary>A new execution starting now.</summary>
    public static RuleExecution Start(TimeProvider time, string type) => new(Guid.NewGuid().ToString(), (time ?? TimeProvider.System).GetUtcNow(), type);
}
