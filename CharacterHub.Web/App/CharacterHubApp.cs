using System.Net;
using System.Threading.RateLimiting;
using CharacterHub.Kernel.Data;
using CharacterHub.Kernel.Modules;
using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Text;
using CharacterHub.Modules.Characters;
using CharacterHub.Modules.Interaction;
using CharacterHub.Modules.Marketplace;
using CharacterHub.Modules.Memory;
using CharacterHub.Web.Accounts;
using CharacterHub.Web.Accounts.Api;
using CharacterHub.Web.Infrastructure.Auth;
using CharacterHub.Web.Infrastructure.Database;
using CharacterHub.Web.Infrastructure.Jobs;
using CharacterHub.Web.Infrastructure.Web;
using Hangfire;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;

namespace CharacterHub.Web.App;

public enum HostRole { All, Web, Worker }

public static class CharacterHubApp
{
    /// <summary>The feature modules, in the order their schemas are migrated.</summary>
    public static IReadOnlyList<IModule> Modules { get; } =
        [new CharactersModule(), new InteractionModule(), new MemoryModule(), new MarketplaceModule()];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--migrate"))
            return Migrate(args.Where(a => a != "--migrate").ToArray());
        var app = Build(args);
        await app.RunAsync();
        return 0;
    }

    /// <summary>`CharacterHub.Web --migrate`: applies pending migrations and exits (0 on success).</summary>
    private static int Migrate(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("Migrations");
        var cs = configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(cs))
        {
            logger.LogCritical("No connection string: set ConnectionStrings__Default.");
            return 2;
        }
        try
        {
            var applied = new DatabaseMigrator(cs, logger).Migrate();
            logger.LogInformation("Migrations: {Count} applied, database is up to date.", applied.Count);
            return 0;
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "Migration failed: {Message}", e.Message);
            return 1;
        }
    }

    public static WebApplication Build(string[] args, string? contentRoot = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(CharacterHubApp).Assembly.GetName().Name,
            ContentRootPath = contentRoot,
        });
        // Serves wwwroot and the modules' static assets from a build (not only from a publish) in any environment.
        builder.WebHost.UseStaticWebAssets();
        configure?.Invoke(builder);

        var configuration = builder.Configuration;
        var role = Enum.TryParse<HostRole>(configuration["role"] ?? "all", ignoreCase: true, out var r)
            ? r : throw new ArgumentException("--role must be web, worker or all.");
        var connectionString = configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException(
                "No database configured: set ConnectionStrings__Default, or start the site with ./characterhub run.");

        ConfigureLogging(builder);
        var services = builder.Services;
        DapperSetup.Configure();
        var dataSource = new NpgsqlDataSourceBuilder(WithAutoPrepare(connectionString)).Build();
        services.AddSingleton(dataSource);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<MarkdownRenderer>();
        services.AddHttpContextAccessor();
        services.AddScoped<ICurrentUser, CurrentUser>();
        services.AddMediator((Mediator.MediatorOptions o) =>
        {
            o.ServiceLifetime = ServiceLifetime.Scoped;
            // Module slices are internal; the generated mediator must not expose them publicly.
            o.GenerateTypesAsInternal = true;
            o.Assemblies =
            [
                typeof(CharacterHubApp), typeof(IModule), typeof(CharactersModule), typeof(InteractionModule), typeof(MemoryModule),
                typeof(MarketplaceModule),
            ];
        });

        services.AddDataProtection().SetApplicationName("CharacterHub");
        services.AddKeyRing(builder.Configuration);

        AddAuth(services);
        AddLimits(builder);
        // Razor would otherwise encode every non-ASCII letter as an entity (é → &#xE9;): still safe with all ranges
        // allowed, since <, >, &, quotes are always encoded, and pages in other languages stay readable and small.
        services.AddWebEncoders(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/Account");
            o.Conventions.AllowAnonymousToPage("/Account/Login");
            o.Conventions.AllowAnonymousToPage("/Account/Register");
        }).AddMvcOptions(o =>
        {
            o.ModelBinderProviders.Insert(0, new CheckboxSafeBooleanBinderProvider());
            o.Filters.Add<UnknownHandlerFilter>();
        });
        services.AddRouting(o => o.LowercaseUrls = true);
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "ch_af";
            o.HeaderName = "RequestVerificationToken";
        });
        ConfigureForwardedHeaders(services, configuration);

        var workers = configuration.GetValue("Jobs:WorkerCount", Math.Max(2, Environment.ProcessorCount * 2));
        services.AddJobs(connectionString, runServer: role is HostRole.All or HostRole.Worker, workers);
        foreach (var module in Modules) module.AddServices(services, configuration);

        // Pending migrations: applied here when allowed (Development, tests), otherwise the site refuses to serve.
        var migrator = new DatabaseMigrator(connectionString, LoggerFactory.Create(b => b.AddConsole()).CreateLogger("Migrations"));
        var autoMigrate = configuration.GetValue("Database:AutoMigrate", !builder.Environment.IsProduction());
        if (autoMigrate) migrator.Migrate();
        services.AddSingleton(new MigrationState(autoMigrate ? [] : migrator.Pending()));

        var app = builder.Build();
        if (builder.Environment.IsProduction() && app.Services.GetService<KeyEncryptionKey>() is null)
            app.Logger.LogWarning("{Setting} is not set: the Data Protection key ring (which opens stored API keys and sign-in cookies) " +
                "is stored unencrypted in PostgreSQL, so a copy of the database alone opens them. See the README's configuration.", KeyEncryptionKey.Setting);
        Configure(app, role);
        return app;
    }

    /// <summary>
    /// The site runs the same few hundred statements over and over (a chat turn is about a dozen): Npgsql prepares a
    /// statement on a pooled connection once it has been used twice, so PostgreSQL stops parsing and planning it on
    /// every turn. A connection string that sets "Max Auto Prepare" itself keeps its own choice (and its reset).
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) return connectionString;
        builder.MaxAutoPrepare = 128;
        builder.AutoPrepareMinUsages = 2;
        // The site's own statements leave nothing on a session (settings are set_config(..., true), locks are
        // transaction locks, no temporary tables, cursors or LISTEN), so the reset Npgsql would send ahead of the next
        // use of a pooled connection (RESET ALL, CLOSE ALL, UNLISTEN, DISCARD ...; three to four per chat turn) is
        // work for nothing. Hangfire and the migrator use connections of their own.
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    private static void ConfigureLogging(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        if (builder.Environment.IsDevelopment())
            builder.Logging.AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; });
        else
            builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; });
    }

    private static void AddAuth(IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "ch_auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/account/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/error/403";
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = CookieStampValidator.ValidateAsync;
            })
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TokenAuthenticationHandler>(
                TokenAuthenticationHandler.SchemeName, null);

        services.AddAuthorizationBuilder()
            .AddPolicy("Api", p => p.AddAuthenticationSchemes(TokenAuthenticationHandler.SchemeName).RequireAuthenticatedUser())
            .AddPolicy("Admin", p => p.RequireRole(Accounts.AccountClaims.AdminRole));
    }

    private static void AddLimits(WebApplicationBuilder builder)
    {
        var maxBody = builder.Configuration.GetValue<long>("Limits:MaxRequestBodyBytes", 1024 * 1024);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = maxBody; // uploads raise it per endpoint, with their own limit
        });
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = 64L * 1024 * 1024);

        var loginPerMinute = builder.Configuration.GetValue("RateLimits:LoginPerMinute", 30);
        var importPerMinute = builder.Configuration.GetValue("RateLimits:ImportPerMinute", 20);
        var generationPerMinute = builder.Configuration.GetValue("RateLimits:GenerationPerMinute", 30);
        // Per signed-in user; per address when the user is not known yet (the API authenticates after this runs).
        static string PerUser(HttpContext ctx) =>
            ctx.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } user
                ? "user:" + user
                : "ip:" + (ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "60";
                if (ctx.HttpContext.Request.IsApi())
                    await ctx.HttpContext.WriteProblem(429, "Too many requests. Wait a minute, then try again.");
                else
                {
                    ctx.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                    await ctx.HttpContext.Response.WriteAsync("Too many requests. Wait a minute, then try again.", ct);
                }
            };
            // A coarse per-address ceiling on sign-in and token requests; the per-username/IP failure limit
            // (5 failures a minute) is enforced in the database by VerifyCredentials.
            o.AddPolicy("login", ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = loginPerMinute, Window = TimeSpan.FromMinutes(1) }));
            // Imports decode images and unzip archives.
            o.AddPolicy("import", ctx => RateLimitPartition.GetFixedWindowLimiter(PerUser(ctx),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = importPerMinute, Window = TimeSpan.FromMinutes(1) }));
            // Chat replies cost the site's model money or GPU time.
            o.AddPolicy("generation", ctx => RateLimitPartition.GetFixedWindowLimiter(PerUser(ctx),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = generationPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });
    }

    private static void ConfigureForwardedHeaders(IServiceCollection services, IConfiguration configuration)
    {
        // Forwarded headers are believed only from proxies the operator names; by default from nobody.
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in configuration.GetSection("ReverseProxy:KnownProxies").Get<string[]>() ?? [])
                if (IPAddress.TryParse(proxy, out var ip)) o.KnownProxies.Add(ip);
            foreach (var network in configuration.GetSection("ReverseProxy:KnownNetworks").Get<string[]>() ?? [])
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            var hosts = configuration["AllowedHosts"];
            if (!string.IsNullOrEmpty(hosts) && hosts != "*") o.AllowedHosts = hosts.Split(';');
        });
    }

    private static void Configure(WebApplication app, HostRole role)
    {
        app.UseForwardedHeaders();
        app.UseMiddleware<CorrelationIdMiddleware>();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.UseMiddleware<PendingMigrationsGate>();

        HealthEndpoint.Map(app);
        if (app.Services.GetRequiredService<MigrationState>().IsReady)
        {
            var recurring = HangfireSetup.HostJobs.Concat(Modules.SelectMany(m => m.RecurringJobs));
            HangfireSetup.RegisterRecurringJobs(app.Services.GetRequiredService<IRecurringJobManager>(), recurring);
        }
        if (role == HostRole.Worker) return; // a worker serves /health and runs jobs; no pages, no API

        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<NulInFormsMiddleware>(); // before anything reads a form: see the class for why
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapRazorPages().WithStaticAssets();
        app.MapJobsDashboard();
        app.MapUserAvatars();

        var api = app.MapGroup("/api").RequireAuthorization("Api").DisableAntiforgery();
        api.MapAccountsApi();
        foreach (var module in Modules) module.MapEndpoints(app, api);
        // Unknown /api paths answer 404 as a problem document, not as an HTML page.
        api.MapFallback((HttpContext http) => http.WriteProblem(404, "No such API endpoint.")).AllowAnonymous();
    }
}
