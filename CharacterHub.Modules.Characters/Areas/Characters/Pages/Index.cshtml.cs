using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>The library: my characters and those shared with me; search, filters, sort, grid or list, keyset pages,
/// favourites, archive and bulk actions. htmx asks for the results fragment only.</summary>
[Authorize]
internal sealed class IndexModel(IMediator mediator, ICurrentUser me) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? Category { get; set; }
    [BindProperty(SupportsGet = true)] public string? Tag { get; set; }
    [BindProperty(SupportsGet = true)] public string? Visibility { get; set; }
    [BindProperty(SupportsGet = true)] public bool Fav { get; set; }
    [BindProperty(SupportsGet = true)] public bool Archived { get; set; }
    [BindProperty(SupportsGet = true)] public string Sort { get; set; } = "updated";
    [BindProperty(SupportsGet = true)] public string View { get; set; } = "grid";
    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }

    public LibraryPage Results { get; private set; } = new([], null);
    public IReadOnlyList<CategoryOption> Categories { get; private set; } = [];
    public string? Message { get; private set; }
    public long MeId => me.Id;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await Load(ct);
        Response.VaryOnHtmx();
        if (!Request.IsHtmx()) return Page();
        // "Load more" asks for the next items only; a filter change asks for the whole results block.
        return Cursor is not null ? Partial("_LibraryItems", this) : Partial("_LibraryResults", this);
    }

    public async Task<IActionResult> OnPostBulkAsync(string action, List<long> ids, string? bulkTag, CancellationToken ct)
    {
        if (ids.Count == 0) Message = "Select at least one character first.";
        else if (action == "export")
        {
            // A download needs a navigation, which an htmx swap is not: both paths go to the GET that builds the zip.
            var url = "/characters/export-selected?" + string.Join("&", ids.Distinct().Take(200).Select(id => $"ids={id}"));
            if (!Request.IsHtmx()) return Redirect(url);
            Response.Headers["HX-Redirect"] = url;
            return new EmptyResult();
        }
        else if (action == "delete") Message = $"Deleted {await mediator.Send(new BulkDelete(me.Id, ids), ct)} character(s).";
        else if (action == "tag")
            Message = string.IsNullOrWhiteSpace(bulkTag)
                ? "Type the tag to add."
                : $"Tagged {await mediator.Send(new BulkAddTag(me.Id, ids, bulkTag), ct)} character(s) with #{bulkTag.Trim().ToLowerInvariant().TrimStart('#')}.";
        Cursor = null;
        await Load(ct);
        return Request.IsHtmx() ? Partial("_LibraryResults", this) : Page();
    }

    private async Task Load(CancellationToken ct)
    {
        Categories = await mediator.Send(new ListCategories(), ct);
        var sort = Sort switch { "name" => LibrarySort.Name, "created" => LibrarySort.Created, "chats" => LibrarySort.Chats, _ => LibrarySort.Updated };
        Results = await mediator.Send(new LibraryQuery(me.Id, LibraryScope.Library, Q, Category, Tag, Visibility, Fav, Archived,
            Sort: sort, Cursor: Cursor), ct);
    }

    /// <summary>The current filters as a query string, with one value changed (for links and "load more").</summary>
    public string Link(string? cursor = null, string? view = null)
    {
        var parts = new List<string>();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) parts.Add($"{key}={Uri.EscapeDataString(value)}"); }
        Add("q", Q); Add("category", Category); Add("tag", Tag); Add("visibility", Visibility);
        if (Fav) Add("fav", "true");
        if (Archived) Add("archived", "true");
        Add("sort", Sort); Add("view", view ?? View); Add("cursor", cursor);
        return "/characters?" + string.Join("&", parts);
    }
}
