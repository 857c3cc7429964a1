using System.Net;
using System.Net.Sockets;

namespace CharacterHub.Modules.Interaction.Llm;

/// <summary>Thrown from inside the HTTP stack when <see cref="EndpointGuard"/> refuses an address.</summary>
internal sealed class EndpointRefusedException(string message) : Exception(message);

/// <summary>
/// SSRF protection for user-supplied endpoints. A host is refused when any address it resolves to is loopback,
/// private, link-local, CGNAT, unspecified, multicast, reserved or a cloud metadata address, unless private
/// endpoints are allowed site-wide or the host is on the allow-list. The check runs in the HTTP handler's
/// <c>ConnectCallback</c> on every new connection, and the socket connects to the address that was checked, so a
/// DNS answer that changes between check and connect (rebinding) or a redirect to an internal host is refused too.
/// </summary>
internal sealed class EndpointGuard
{
    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");
    private static readonly IPAddress MetadataV4 = IPAddress.Parse("169.254.169.254");

    private readonly HashSet<string> allowedHosts;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;

    /// <param name="allowPrivateEndpoints">Self-hosters running the model on their own network turn this on.</param>
    /// <param name="allowedHosts">Host names (or literal IPs) exempt from the address check, e.g. one LAN server.</param>
    /// <param name="resolve">DNS lookup; replaceable so tests can make a name resolve to a chosen address.</param>
    public EndpointGuard(bool allowPrivateEndpoints, IEnumerable<string>? allowedHosts = null,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        AllowPrivateEndpoints = allowPrivateEndpoints;
        this.allowedHosts = new HashSet<string>(allowedHosts?.Select(NormalizeHost) ?? [], StringComparer.OrdinalIgnoreCase);
        this.resolve = resolve ?? Dns.GetHostAddressesAsync;
    }

    public bool AllowPrivateEndpoints { get; }

    /// <summary>Syntax and scheme check of a base URL, without any network access. Null when acceptable.</summary>
    public static string? CheckUrlSyntax(string baseUrl)
    {
        var normalized = LlmConnection.NormalizeBaseUrl(baseUrl);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri))
        {
            return $"'{baseUrl}' is not an absolute URL; expected something like https://api.example.com/v1 or http://192.168.1.20:11434.";
        }
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"Only http and https endpoints are supported, not '{uri.Scheme}'.";
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "Put credentials in the API key field, not in the URL.";
        }
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "The base URL must not contain a query string or fragment.";
        }
        return null;
    }

    /// <summary>
    /// Full check for a settings form: syntax, then DNS and every resolved address. Null when acceptable. The same
    /// address check runs again on each connection, so passing here grants nothing later.
    /// </summary>
    public async Task<string?> CheckAsync(string baseUrl, CancellationToken cancellationToken = default)
    {
        if (CheckUrlSyntax(baseUrl) is { } problem) return problem;
        var uri = new Uri(LlmConnection.NormalizeBaseUrl(baseUrl));
        try
        {
            await ResolveAllowedAsync(uri.IdnHost, cancellationToken);
            return null;
        }
        catch (EndpointRefusedException ex)
        {
            return ex.Message;
        }
        catch (SocketException ex)
        {
            return $"Could not resolve '{uri.Host}': {ex.Message}";
        }
    }

    /// <summary>The addresses a connection to <paramref name="host"/> may use; throws when any is forbidden.</summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        host = NormalizeHost(host);
        var exempt = AllowPrivateEndpoints || allowedHosts.Contains(host);
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolve(host, cancellationToken);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        if (exempt) return addresses;

        foreach (var address in addresses)
        {
            if (WhyForbidden(address) is { } reason)
            {
                var shown = IPAddress.TryParse(host, out _) ? host : $"'{host}' resolves to {address}, which";
                throw new EndpointRefusedException(
                    $"Refused to connect: {shown} is a {reason} address. This site does not allow model endpoints on " +
                    "private or internal networks; use a public endpoint, or ask the administrator to allow private endpoints.");
            }
        }
        return addresses;
    }

    /// <summary>Why <paramref name="address"/> must not be reached from a user-supplied URL, or null when it may.</summary>
    public static string? WhyForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b switch
            {
                [0, ..] => "unspecified",
                [127, ..] => "loopback",
                [10, ..] => "private",
                [172, >= 16 and <= 31, ..] => "private",
                [192, 168, ..] => "private",
                [169, 254, 169, 254] => "cloud metadata",
                [169, 254, ..] => "link-local",
                [100, >= 64 and <= 127, ..] => "shared (CGNAT)",
                [>= 224 and <= 239, ..] => "multicast",
                [>= 240, ..] => "reserved or broadcast",
                _ => null,
            };
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any)) return "unspecified";
            if (address.Equals(IPAddress.IPv6Loopback)) return "loopback";
            if (address.Equals(AwsMetadataV6)) return "cloud metadata";
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            if ((b[0] & 0xFE) == 0xFC) return "private (unique local)";
            if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "link-local";
            if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return "private (site-local)";
            if (b[0] == 0xFF) return "multicast";
            // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) addresses reach the embedded IPv4 address.
            var nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].IndexOfAnyExcept((byte)0) < 0;
            var compatible = b[..12].IndexOfAnyExcept((byte)0) < 0;
            if (nat64 || compatible)
            {
                return WhyForbidden(new IPAddress(b[12..])) is { } embedded ? embedded + " (embedded IPv4)" : null;
            }
            return null;
        }

        return "non-IP";
    }

    /// <summary>
    /// A handler for user-supplied endpoints. Proxies are off because the check must see the real destination, and
    /// redirects stay on (an https upgrade is common) because each new connection is checked again. The callback is
    /// installed even when private endpoints are allowed, so name resolution is the same in both modes.
    /// </summary>
    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 3,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        handler.ConnectCallback = ConnectAsync;
        return handler;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAllowedAsync(context.DnsEndPoint.Host, cancellationToken);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static string NormalizeHost(string host) => host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.');
}
