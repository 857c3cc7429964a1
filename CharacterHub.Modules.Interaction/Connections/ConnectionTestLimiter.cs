using System.Threading.RateLimiting;
using Microsoft.Extensions.Configuration;

namespace CharacterHub.Modules.Interaction.Connections;

/// <summary>
/// "Test connection" per user: at most <c>RateLimits:ConnectionTestPerMinute</c> (default 10) a minute, with the same
/// fixed-window limiter the site's "generation" policy uses. Each test makes the server resolve a host name and call
/// an address the user chose, so without a limit the button is a free port scanner and request amplifier.
/// It is taken inside the slice rather than as an endpoint policy: the rate-limiting middleware runs before the API's
/// Bearer tokens are authenticated (an API caller would be limited per address, not per user), and a Razor page's
/// policy would cover all of the page's handlers; here the page and the API share one count per user, and the page
/// can say what happened in words. In memory per node, like the middleware's limiters.
/// </summary>
internal sealed class ConnectionTestLimiter : IDisposable
{
    public const string ConfigKey = "RateLimits:ConnectionTestPerMinute";
    public const int DefaultPerMinute = 10;

    private readonly PartitionedRateLimiter<long> limiter;

    public ConnectionTestLimiter(IConfiguration configuration)
    {
        PerMinute = Math.Max(1, configuration.GetValue(ConfigKey, DefaultPerMinute));
        limiter = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetFixedWindowLimiter(userId,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = PerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
    }

    public int PerMinute { get; }

    /// <summary>Null when the user may test now; otherwise how long until the window opens again.</summary>
    public TimeSpan? TryTake(long userId)
    {
        using var lease = limiter.AttemptAcquire(userId);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero
            ? retryAfter
            : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => limiter.Dispose();
}
