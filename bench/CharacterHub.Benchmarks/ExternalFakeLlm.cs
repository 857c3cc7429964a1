using System.Diagnostics;
using System.Globalization;
using CharacterHub.FakeLlm;

namespace CharacterHub.Benchmarks;

/// <summary>
/// The fake OpenAI-compatible server in a process of its own, so a benchmark's figures (and its CPU counters) hold
/// only the site's work: the model's side (parsing and tokenising a 30 KB prompt, pacing 500 streams) runs elsewhere,
/// as a real upstream would. Started as <c>CharacterHub.Benchmarks serve-fake-llm [--tps N] [--first-token-ms N]
/// [--text "..."]</c>; it prints its base URL on the first line and stops when its standard input closes.
/// </summary>
internal sealed class ExternalFakeLlm : IAsyncDisposable
{
    public const string Command = "serve-fake-llm";

    private readonly Process process;

    private ExternalFakeLlm(Process process, string baseUrl)
    {
        this.process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public int ProcessId => process.Id;

    public static async Task<ExternalFakeLlm> StartAsync(string text, double tokensPerSecond = 0, int firstTokenMs = 0)
    {
        var entry = typeof(ExternalFakeLlm).Assembly.Location;
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Run with "dotnet x.dll" (how ./characterhub bench runs it) or as an apphost.
        if (!Path.GetFileNameWithoutExtension(host).Equals(Path.GetFileNameWithoutExtension(entry), StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(entry);
        start.ArgumentList.Add(Command);
        start.ArgumentList.Add("--tps");
        start.ArgumentList.Add(tokensPerSecond.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--first-token-ms");
        start.ArgumentList.Add(firstTokenMs.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--text");
        start.ArgumentList.Add(text);
        // Server GC would reserve a heap per core in the child too; the fake needs little.
        start.Environment["DOTNET_gcServer"] = "0";
        // A profiler attached to the benchmark must not attach to (and pause) the fake as well.
        start.Environment.Remove("DOTNET_DiagnosticPorts");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the fake model process");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null || !line.StartsWith("http", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the fake model process said '{line}' instead of its address");
        }
        return new ExternalFakeLlm(process, line.Trim());
    }

    /// <summary>The child's side: serve until standard input closes (the parent exited or disposed us).</summary>
    public static async Task<int> ServeAsync(IReadOnlyList<string> args)
    {
        string Arg(string name, string fallback)
        {
            var i = args.ToList().IndexOf(name);
            return i >= 0 && i + 1 < args.Count ? args[i + 1] : fallback;
        }
        await using var server = await FakeLlmServer.StartAsync();
        server.Script(FakeLlmBehavior.Reply(Arg("--text", "She nods and pours another cup.")) with
        {
            TokensPerSecond = double.Parse(Arg("--tps", "0"), CultureInfo.InvariantCulture),
            FirstTokenDelay = TimeSpan.FromMilliseconds(int.Parse(Arg("--first-token-ms", "0"), CultureInfo.InvariantCulture)),
        });
        // Requests are not kept: 500 streams for minutes would otherwise pile up recorded bodies.
        _ = Task.Run(async () =>
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                server.ClearRequests();
            }
        });
        server.RecordAnswerTimes = true;
        Console.WriteLine(server.BaseUrl);
        // Until standard input closes: "answer-times" asks for the model's own time per completion since the last
        // ask (one line of milliseconds, comma-separated, in completion order).
        while (await Console.In.ReadLineAsync() is { } command)
        {
            if (command.Trim() == "answer-times")
                Console.WriteLine(string.Join(',', server.TakeAnswerTimes().Select(t => t.ToString("R", CultureInfo.InvariantCulture))));
        }
        return 0;
    }

    /// <summary>The fake model's own time for each chat completion since the last call (see
    /// <see cref="FakeLlmServer.TakeAnswerTimes"/>), in completion order, in milliseconds.</summary>
    public async Task<IReadOnlyList<double>> TakeAnswerTimesAsync()
    {
        await process.StandardInput.WriteLineAsync("answer-times");
        await process.StandardInput.FlushAsync();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("the fake model process ended");
        return line.Length == 0 ? [] : line.Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }
}
