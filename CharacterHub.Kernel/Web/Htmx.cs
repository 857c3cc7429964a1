using Microsoft.AspNetCore.Http;

namespace CharacterHub.Kernel.Web;

public static class Htmx
{
    /// <summary>True when htmx made the request (it sends HX-Request: true), so a fragment is wanted.</summary>
    public static bool IsHtmx(this HttpRequest request) =>
        request.Headers.TryGetValue("HX-Request", out var v) && v == "true";

    /// <summary>Marks the response as varying on HX-Request, so caches keep the page and the fragment apart.</summary>
    public static void VaryOnHtmx(this HttpResponse response) => response.Headers.Append("Vary", "HX-Request");

    /// <summary>Asks htmx to navigate the whole page (used after a successful post).</summary>
    public static void HxRedirect(this HttpResponse response, string url) => response.Headers["HX-Redirect"] = url;
}
