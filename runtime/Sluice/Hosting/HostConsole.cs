namespace Sluice;

/// <summary>
/// Where the host prints and what it may assume about the terminal. The process's console by default;
/// tests pass writers and flags to run the host in-process.
/// </summary>
internal sealed class HostConsole
{
    /// <summary>Standard output: help and version only.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: progress, the summary and errors.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Whether <see cref="Error"/> is an interactive terminal (not redirected, not CI), where a live table can be drawn.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Print stack traces with errors (<c>SLUICE_DEBUG=1</c>).</summary>
    public bool Debug { get; init; }

    /// <summary>
    /// Handle SIGINT and SIGTERM (Ctrl-C): the first cancels the run (the rows in flight finish), the second stops it
    /// now (they are dropped; the output, dead letters and report close at a whole row and agree), a third ends the
    /// process.
    /// </summary>
    public bool HandleSignals { get; init; }

    /// <summary>Acts as the second Ctrl-C when cancelled (for tests; the first is the run's cancellation token).</summary>
    internal CancellationToken StopNow { get; init; }

    /// <summary>How often plain progress prints a line.</summary>
    public TimeSpan PlainInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the live table is redrawn.</summary>
    public TimeSpan RichInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The process's console, environment and signals.</summary>
    public static HostConsole FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        IsTerminal = !Console.IsErrorRedirected && !IsContinuousIntegration() &&
                     !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal),
        Debug = Environment.GetEnvironmentVariable("SLUICE_DEBUG") is "1" or "true",
        HandleSignals = true,
    };

    // CI runners often attach a pseudo-terminal whose log cannot replay cursor movement.
    private static bool IsContinuousIntegration()
    {
        var ci = Environment.GetEnvironmentVariable("CI");
        if (!string.IsNullOrEmpty(ci) && !string.Equals(ci, "false", StringComparison.OrdinalIgnoreCase) && ci != "0") return true;
        foreach (var name in (string[])["GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TEAMCITY_VERSION"])
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) return true;
        return false;
    }
}
