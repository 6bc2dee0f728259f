using System.Text.Json;

namespace Vigil.Sensor.Tests;

internal static class JsonPath
{
    public static JsonElement Parse(SensorEvent ev) => JsonDocument.Parse(ev.Json).RootElement.Clone();

    public static JsonElement Parse(ReadOnlyMemory<byte> json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>Follows a dotted path through nested objects; fails the test if a step is missing.</summary>
    public static JsonElement At(this JsonElement e, string path)
    {
        foreach (string step in path.Split('.'))
        {
            Assert.True(e.ValueKind == JsonValueKind.Object && e.TryGetProperty(step, out e), $"missing '{path}' (at '{step}')");
        }

        return e;
    }

    public static bool Has(this JsonElement e, string path)
    {
        foreach (string step in path.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(step, out e))
            {
                return false;
            }
        }

        return true;
    }

    public static string Str(this JsonElement e, string path) => e.At(path).GetString()!;

    public static long Num(this JsonElement e, string path) => e.At(path).GetInt64();

    public static bool Bool(this JsonElement e, string path) => e.At(path).GetBoolean();

    public static string[] Strs(this JsonElement e, string path) => [.. e.At(path).EnumerateArray().Select(x => x.GetString()!)];
}
