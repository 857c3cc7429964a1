using System.Diagnostics;
using System.Reflection;

namespace CharacterHub.Benchmarks;

/// <summary>A benchmark: a named, self-contained measurement that prints its figures and returns them for
/// BENCHMARKS.md. Discovered by reflection, so adding one is adding one file.</summary>
internal interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context);
}

/// <summary>One figure: what was measured, its value, its unit and the target it must meet (if any).</summary>
internal sealed record Measurement(string What, double Value, string Unit, string? Target = null, bool? Met = null);

internal sealed record BenchContext(string? ConnectionString, IReadOnlyList<string> Args)
{
    public string RequireDatabase() => ConnectionString
        ?? throw new InvalidOperationException("This benchmark needs ConnectionStrings__Default (./characterhub bench sets it).");
}

/// <summary>The real host as the chat benchmarks run it: Production, migrating the benchmark database, web role
/// only; with <paramref name="modelBaseUrl"/> the site's model is that OpenAI-compatible server.</summary>
internal static class BenchHost
{
    public static Task<CharacterHub.Tests.Support.TestApp> StartAsync(string connectionString, string? modelBaseUrl = null)
    {
        Environment.SetEnvironmentVariable(CharacterHub.Tests.Support.TestDatabase.EnvironmentVariable, connectionString);
        var settings = new Dictionary<string, string?> { ["Database:AutoMigrate"] = "true", ["AllowedHosts"] = "*", ["role"] = "web" };
        if (modelBaseUrl is not null)
        {
            settings["Llm:BaseUrl"] = modelBaseUrl;
            settings["Llm:Model"] = "bench-model";
        }
        return CharacterHub.Tests.Support.TestApp.StartAsync(connectionString, environment: "Production", settings: settings);
    }
}

/// <summary>Latency statistics over a set of samples, in milliseconds.</summary>
internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> sortedMs, double p)
    {
        if (sortedMs.Count == 0) return double.NaN;
        var rank = p / 100.0 * (sortedMs.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sortedMs[lo] + (sortedMs[hi] - sortedMs[lo]) * (rank - lo);
    }

    public static async Task<List<double>> TimeAsync(int iterations, Func<int, Task> action)
    {
        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action(i);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        samples.Sort();
        return samples;
    }
}

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == ExternalFakeLlm.Command) return await ExternalFakeLlm.ServeAsync(args.Skip(1).ToList());
        var benchmarks = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        if (args.Length == 0 || args[0] is "-h" or "--help" or "list")
        {
            Console.WriteLine("usage: ./characterhub bench <name>|all [args]\n");
            foreach (var b in benchmarks) Console.WriteLine($"  {b.Name,-24} {b.Description}");
            return args.Length == 0 ? 2 : 0;
        }
        var selected = args[0] == "all" ? benchmarks : benchmarks.Where(b => b.Name == args[0]).ToList();
        if (selected.Count == 0)
        {
            Console.Error.WriteLine($"no benchmark named {args[0]}");
            return 2;
        }
        var context = new BenchContext(Environment.GetEnvironmentVariable("ConnectionStrings__Default"), args.Skip(1).ToList());
        var allMet = true;
        foreach (var benchmark in selected)
        {
            Console.WriteLine($"== {benchmark.Name}: {benchmark.Description}");
            var results = await benchmark.RunAsync(context);
            foreach (var m in results)
            {
                var verdict = m.Met switch { true => "met", false => "MISSED", null => "" };
                Console.WriteLine($"   {m.What,-56} {m.Value,12:0.###} {m.Unit,-8} {(m.Target is null ? "" : "target " + m.Target)} {verdict}");
                if (m.Met == false) allMet = false;
            }
        }
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {Assembly.GetEntryAssembly()!.GetName().Name}");
        return allMet ? 0 : 1;
    }
}
