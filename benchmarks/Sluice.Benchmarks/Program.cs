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
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
