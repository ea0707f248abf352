using System.Diagnostics;
using Xunit;

namespace Sluice.Testing;

/// <summary>Runs a reference script with Debian's Python and reads the raw float32 files it writes.</summary>
internal static class PythonReference
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Writes <paramref name="script"/> to <paramref name="dir"/> and runs it with <paramref name="args"/>; fails the test with <paramref name="hint"/> and stderr when it fails.</summary>
    public static void Run(string dir, string script, string hint, params string[] args)
    {
        var path = Path.Combine(dir, "reference.py");
        File.WriteAllText(path, script);
        var psi = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit(120_000);
        if (p.ExitCode != 0) Assert.Fail($"{hint}: {err}");
    }

    /// <summary>A file of little-endian float32 values.</summary>
    public static float[] Floats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return floats;
    }
}
