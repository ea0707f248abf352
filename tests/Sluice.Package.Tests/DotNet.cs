using System.Diagnostics;
using System.Text;

namespace Sluice.Package.Tests;

/// <summary>What a finished child process did.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Output, TimeSpan Elapsed, bool TimedOut)
{
    public override string ToString() =>
        $"`{Command}` {(TimedOut ? "timed out" : $"exited {ExitCode}")} after {Elapsed.TotalSeconds:0.0} s; output:\n{Output}";
}

/// <summary>Runs the dotnet CLI as a child process with its output captured.</summary>
internal static class DotNet
{
    /// <summary>The dotnet host that runs these tests (set by the CLI), else the one on PATH.</summary>
    private static string Host =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    public static async Task<ProcessResult> RunAsync(string workingDirectory, TimeSpan timeout,
                                                     IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Host)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);

        // The `dotnet test` that runs us may have left MSBuild state in the environment; a child build
        // must start clean. No build servers or reused nodes: they would outlive the child, hold its
        // output pipes open and keep files of the temporary folders busy.
        foreach (var key in start.Environment.Keys.ToList())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)) start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };

        string command = $"dotnet {string.Join(' ', args)}";
        var clock = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        bool timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit(10_000);
            }
        }
        clock.Stop();
        string text;
        lock (output) text = output.ToString();
        return new ProcessResult(command, timedOut ? -1 : process.ExitCode, text, clock.Elapsed, timedOut);
    }
}
