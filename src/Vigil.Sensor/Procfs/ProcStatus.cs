using System.Buffers.Text;

namespace Vigil.Sensor.Procfs;

/// <summary>The fields of <c>/proc/PID/status</c> the sensor uses.</summary>
/// <param name="RealUid">First value of <c>Uid:</c>.</param>
/// <param name="EffectiveUid">Second value of <c>Uid:</c>.</param>
/// <param name="RealGid">First value of <c>Gid:</c>.</param>
/// <param name="EffectiveGid">Second value of <c>Gid:</c>.</param>
/// <param name="NamespacePid">Last value of <c>NSpid:</c>: the pid as seen inside the innermost pid namespace.</param>
/// <param name="NamespaceDepth">How many values <c>NSpid:</c> has: 1 in the initial pid namespace.</param>
internal sealed record ProcStatus(uint RealUid, uint EffectiveUid, uint RealGid, uint EffectiveGid, int NamespacePid, int NamespaceDepth)
{
    /// <summary>Parses the content of a status file; null when Uid or Gid is missing.</summary>
    public static ProcStatus? Parse(ReadOnlySpan<byte> text)
    {
        uint ruid = 0, euid = 0, rgid = 0, egid = 0;
        bool haveUid = false, haveGid = false;
        int nsPid = 0, depth = 0;
        while (!text.IsEmpty)
        {
            int nl = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? text : text[..nl];
            text = nl < 0 ? default : text[(nl + 1)..];
            if (line.StartsWith("Uid:"u8))
            {
                haveUid = ReadTwo(line[4..], out ruid, out euid);
            }
            else if (line.StartsWith("Gid:"u8))
            {
                haveGid = ReadTwo(line[4..], out rgid, out egid);
            }
            else if (line.StartsWith("NSpid:"u8))
            {
                ReadOnlySpan<byte> values = line[6..];
                while (!values.IsEmpty)
                {
                    values = values.TrimStart("\t "u8);
                    if (values.IsEmpty)
                    {
                        break;
                    }

                    int end = values.IndexOfAny((byte)'\t', (byte)' ');
                    ReadOnlySpan<byte> token = end < 0 ? values : values[..end];
                    values = end < 0 ? default : values[end..];
                    if (Utf8Parser.TryParse(token, out int v, out _))
                    {
                        nsPid = v;
                        depth++;
                    }
                }
            }
        }

        return haveUid && haveGid ? new ProcStatus(ruid, euid, rgid, egid, nsPid, depth) : null;
    }

    /// <summary>Reads the hexadecimal <c>CapEff:</c> mask from status text; null when absent.</summary>
    public static ulong? ParseEffectiveCapabilities(string statusText)
    {
        foreach (string line in statusText.Split('\n'))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, null, out ulong caps))
            {
                return caps;
            }
        }

        return null;
    }

    private static bool ReadTwo(ReadOnlySpan<byte> values, out uint first, out uint second)
    {
        first = second = 0;
        values = values.TrimStart("\t "u8);
        if (!Utf8Parser.TryParse(values, out first, out int used))
        {
            return false;
        }

        values = values[used..].TrimStart("\t "u8);
        return Utf8Parser.TryParse(values, out second, out _);
    }
}
