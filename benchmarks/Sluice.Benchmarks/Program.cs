using BenchmarkDotNet.Running;

namespace Sluice.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project benchmarks/Sluice.Benchmarks -- --filter '*Fusion*'
    public static void Main(string[] args)
    {
        if (args is ["--alloc-per-run"])
        {
            AllocationProbe.Run();
            return;
        }
        // dotnet run -c Release --project benchmarks/Sluice.Benchmarks -- --preprocess DIR [--reps N] [--workers W] [--full-decode]
        if (args is ["--preprocess", ..])
        {
            Environment.ExitCode = PreprocessPeer.Run(args);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
