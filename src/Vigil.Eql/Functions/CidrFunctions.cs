using System.Net;

namespace Vigil.Eql.Functions;

/// <summary><c>cidrMatch(ip, cidr, ...)</c> for IPv4 and IPv6.</summary>
internal static class CidrFunctions
{
    public static EqlValue CidrMatch(ReadOnlySpan<EqlValue> a, bool ci)
    {
        var text = StringFunctions.Text(a[0]);
        if (text is null)
        {
            return EqlValue.Null;
        }
        if (!IPAddress.TryParse(text, out var ip))
        {
            return EqlValue.From(false);
        }
        for (var i = 1; i < a.Length; i++)
        {
            var cidr = StringFunctions.Text(a[i]);
            if (cidr is not null && TryParseNetwork(cidr, out var network) && network!.Value.Contains(Normalize(ip)))
            {
                return EqlValue.From(true);
            }
        }
        return EqlValue.From(false);
    }

    private static IPAddress Normalize(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;

    /// <summary>Parses <c>a.b.c.d/n</c>, <c>x::/n</c> or a bare address (a /32 or /128 network).</summary>
    internal static bool TryParseNetwork(string cidr, out IPNetwork? network)
    {
        if (IPNetwork.TryParse(cidr, out var n))
        {
            network = n;
            return true;
        }
        // Elasticsearch accepts CIDRs whose host bits are set (10.0.0.1/8); IPNetwork.TryParse does not.
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && IPAddress.TryParse(cidr[..slash], out var addr) && int.TryParse(cidr[(slash + 1)..], out var len))
        {
            addr = Normalize(addr);
            var bits = addr.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            if (len >= 0 && len <= bits)
            {
                var bytes = addr.GetAddressBytes();
                for (var i = 0; i < bytes.Length; i++)
                {
                    var keep = Math.Clamp(len - (i * 8), 0, 8);
                    bytes[i] &= (byte)(0xFF << (8 - keep));
                }
                network = new IPNetwork(new IPAddress(bytes), len);
                return true;
            }
        }
        if (slash < 0 && IPAddress.TryParse(cidr, out var single))
        {
            single = Normalize(single);
            network = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        network = null;
        return false;
    }
}
