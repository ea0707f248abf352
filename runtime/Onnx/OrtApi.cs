using System.Runtime.InteropServices;
using Sluice.Interop;

namespace Sluice.Onnx;

/// <summary>
/// The ONNX Runtime C API, reached the way the library expects: <c>OrtGetApiBase()</c>, then
/// <c>GetApi(version)</c>, then calls through the returned function table by index (see
/// docs/onnxruntime-abi.md for the indices). Every call that returns an <c>OrtStatus*</c> goes
/// through <see cref="Check"/>, which turns a non-null status into an <see cref="OnnxRuntimeException"/>.
/// </summary>
internal static unsafe class OrtApi
{
    // The table only ever grows, and GetApi(v) hands out the entries of versions 1..v. The newest
    // entries used here are the CUDA V2 provider options calls (204-208), added in API version 11
    // (ONNX Runtime 1.11), so that is the version asked for: any library from 1.11 on offers it.
    private const uint ApiVersion = 11;

    private static readonly Lazy<(IntPtr table, string version)> s_api = new(Load);

    private static IntPtr Table => s_api.Value.table;

    /// <summary>The loaded library's version string, e.g. "1.30.0".</summary>
    public static string Version => s_api.Value.version;

    private static (IntPtr, string) Load()
    {
        var library = NativeLibraries.Load("onnxruntime");
        var getApiBase = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(library, "OrtGetApiBase");
        var apiBase = getApiBase();
        if (apiBase == IntPtr.Zero) throw new OnnxRuntimeException("OrtGetApiBase returned null.");
        var getApi = (delegate* unmanaged<uint, IntPtr>)((IntPtr*)apiBase)[0];
        var getVersion = (delegate* unmanaged<IntPtr>)((IntPtr*)apiBase)[1];
        string version = Marshal.PtrToStringUTF8(getVersion()) ?? "unknown";
        var table = getApi(ApiVersion);
        if (table == IntPtr.Zero)
            throw new OnnxRuntimeException(
                $"ONNX Runtime {version} does not offer C API version {ApiVersion}; Sluice needs ONNX Runtime 1.{ApiVersion} or newer (scripts/setup-native.sh installs 1.30.0).");
        return (table, version);
    }

    private static IntPtr Fn(int index) => ((IntPtr*)Table)[index];

    /// <summary>Throws when <paramref name="status"/> is an error, releasing it.</summary>
    public static void Check(IntPtr status)
    {
        if (status == IntPtr.Zero) return;
        var message = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr, IntPtr>)Fn(2))(status))?.TrimEnd() ?? "unknown error";
        int code = ((delegate* unmanaged<IntPtr, int>)Fn(1))(status);
        ((delegate* unmanaged<IntPtr, void>)Fn(93))(status);
        throw new OnnxRuntimeException($"ONNX Runtime error {code}: {message}");
    }

    public static IntPtr CreateEnv(int logLevel, string logId)
    {
        IntPtr env;
        var id = Marshal.StringToCoTaskMemUTF8(logId);
        try { Check(((delegate* unmanaged<int, IntPtr, IntPtr*, IntPtr>)Fn(3))(logLevel, id, &env)); }
        finally { Marshal.FreeCoTaskMem(id); }
        return env;
    }

    public static IntPtr CreateSession(IntPtr env, string path, IntPtr options)
    {
        IntPtr session;
        var p = Marshal.StringToCoTaskMemUTF8(path);
        try { Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr*, IntPtr>)Fn(7))(env, p, options, &session)); }
        finally { Marshal.FreeCoTaskMem(p); }
        return session;
    }

    public static void Run(IntPtr session, IntPtr runOptions, IntPtr* inputNames, IntPtr* inputs, nuint inputCount, IntPtr* outputNames, nuint outputCount, IntPtr* outputs) =>
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)Fn(9))(
            session, runOptions, inputNames, inputs, inputCount, outputNames, outputCount, outputs));

    public static IntPtr CreateRunOptions()
    {
        IntPtr options;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(39))(&options));
        return options;
    }

    /// <summary>AddRunConfigEntry (165): one of ONNX Runtime's string run options, e.g. "memory.enable_memory_arena_shrinkage".</summary>
    public static void AddRunConfigEntry(IntPtr runOptions, string key, string value) => AddConfigEntry(165, runOptions, key, value);

    /// <summary>Calls the <c>OrtStatus* (target, const char* key, const char* value)</c> entry at <paramref name="index"/>.</summary>
    private static void AddConfigEntry(int index, IntPtr target, string key, string value)
    {
        var k = Marshal.StringToCoTaskMemUTF8(key);
        var v = Marshal.StringToCoTaskMemUTF8(value);
        try { Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr>)Fn(index))(target, k, v)); }
        finally
        {
            Marshal.FreeCoTaskMem(k);
            Marshal.FreeCoTaskMem(v);
        }
    }

    public static void ReleaseRunOptions(IntPtr runOptions) => ((delegate* unmanaged<IntPtr, void>)Fn(97))(runOptions);

    public static IntPtr CreateSessionOptions()
    {
        IntPtr options;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(10))(&options));
        return options;
    }

    public static void SetGraphOptimizationLevel(IntPtr options, int level) => Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(23))(options, level));
    public static void SetIntraOpNumThreads(IntPtr options, int n) => Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(24))(options, n));
    public static void SetInterOpNumThreads(IntPtr options, int n) => Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(25))(options, n));

    /// <summary>AddSessionConfigEntry (130): one of ONNX Runtime's string session options, e.g. "session.intra_op.allow_spinning".</summary>
    public static void AddSessionConfigEntry(IntPtr options, string key, string value) => AddConfigEntry(130, options, key, value);

    public static void DisableMemPattern(IntPtr options) => Check(((delegate* unmanaged<IntPtr, IntPtr>)Fn(17))(options));
    public static void DisableCpuMemArena(IntPtr options) => Check(((delegate* unmanaged<IntPtr, IntPtr>)Fn(19))(options));

    /// <summary>The execution providers this library was built with (which does not promise they load).</summary>
    public static string[] AvailableProviders()
    {
        IntPtr* names;
        int count;
        Check(((delegate* unmanaged<IntPtr**, int*, IntPtr>)Fn(125))(&names, &count));
        try
        {
            var result = new string[count];
            for (int i = 0; i < count; i++) result[i] = Marshal.PtrToStringUTF8(names[i]) ?? "";
            return result;
        }
        finally { Check(((delegate* unmanaged<IntPtr*, int, IntPtr>)Fn(126))(names, count)); }
    }

    /// <summary>An opaque OrtCUDAProviderOptionsV2 with the defaults; release it with <see cref="ReleaseCudaProviderOptions"/>.</summary>
    public static IntPtr CreateCudaProviderOptions()
    {
        IntPtr options;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(205))(&options));
        return options;
    }

    /// <summary>Sets CUDA provider options by name (e.g. "device_id" = "0").</summary>
    public static void UpdateCudaProviderOptions(IntPtr cudaOptions, IReadOnlyList<(string key, string value)> entries)
    {
        var keys = new IntPtr[entries.Count];
        var values = new IntPtr[entries.Count];
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                keys[i] = Marshal.StringToCoTaskMemUTF8(entries[i].key);
                values[i] = Marshal.StringToCoTaskMemUTF8(entries[i].value);
            }
            fixed (IntPtr* k = keys)
            fixed (IntPtr* v = values)
                Check(((delegate* unmanaged<IntPtr, IntPtr*, IntPtr*, nuint, IntPtr>)Fn(206))(cudaOptions, k, v, (nuint)entries.Count));
        }
        finally
        {
            foreach (var p in keys) Marshal.FreeCoTaskMem(p);
            foreach (var p in values) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>The CUDA provider options serialized by the library ("device_id=0;..."), for diagnostics.</summary>
    public static string CudaProviderOptionsAsString(IntPtr cudaOptions)
    {
        IntPtr allocator, text;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(78))(&allocator));
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr>)Fn(207))(cudaOptions, allocator, &text));
        try { return Marshal.PtrToStringUTF8(text) ?? ""; }
        finally { Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr>)Fn(76))(allocator, text)); }
    }

    /// <summary>Appends the CUDA execution provider (V2 options) to session options; fails when it cannot load.</summary>
    public static void AppendCudaExecutionProvider(IntPtr options, IntPtr cudaOptions) =>
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr>)Fn(204))(options, cudaOptions));

    public static void ReleaseCudaProviderOptions(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(208))(p);

    public static nuint InputCount(IntPtr session) { nuint n; Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(30))(session, &n)); return n; }
    public static nuint OutputCount(IntPtr session) { nuint n; Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(31))(session, &n)); return n; }

    public static string InputName(IntPtr session, nuint index) => Name(36, session, index);
    public static string OutputName(IntPtr session, nuint index) => Name(37, session, index);

    private static string Name(int fn, IntPtr session, nuint index)
    {
        IntPtr allocator, name;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(78))(&allocator));
        Check(((delegate* unmanaged<IntPtr, nuint, IntPtr, IntPtr*, IntPtr>)Fn(fn))(session, index, allocator, &name));
        try { return Marshal.PtrToStringUTF8(name) ?? ""; }
        finally { Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr>)Fn(76))(allocator, name)); }
    }

    /// <summary>The declared shape of input or output <paramref name="index"/> (-1 for symbolic dimensions).</summary>
    public static long[] Shape(IntPtr session, nuint index, bool input)
    {
        IntPtr typeInfo, tensorInfo;
        Check(((delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)Fn(input ? 33 : 34))(session, index, &typeInfo));
        try
        {
            Check(((delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)Fn(55))(typeInfo, &tensorInfo));
            if (tensorInfo == IntPtr.Zero) throw new OnnxRuntimeException($"{(input ? "Input" : "Output")} {index} is not a tensor.");
            return Dimensions(tensorInfo);
        }
        finally { ((delegate* unmanaged<IntPtr, void>)Fn(98))(typeInfo); }
    }

    private static long[] Dimensions(IntPtr tensorInfo)
    {
        nuint count;
        Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(61))(tensorInfo, &count));
        var dims = new long[(int)count];
        fixed (long* d = dims) Check(((delegate* unmanaged<IntPtr, long*, nuint, IntPtr>)Fn(62))(tensorInfo, d, count));
        return dims;
    }

    /// <summary>The actual shape of a tensor value.</summary>
    public static long[] ValueShape(IntPtr value)
    {
        IntPtr info;
        Check(((delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)Fn(65))(value, &info));
        try { return Dimensions(info); }
        finally { ((delegate* unmanaged<IntPtr, void>)Fn(99))(info); }
    }

    public static IntPtr CreateCpuMemoryInfo()
    {
        IntPtr info;
        Check(((delegate* unmanaged<int, int, IntPtr*, IntPtr>)Fn(69))(0 /* device allocator */, 0 /* default memory */, &info));
        return info;
    }

    /// <summary>A float tensor over caller memory (no copy): the memory must stay pinned while the value lives.</summary>
    public static IntPtr CreateFloatTensor(IntPtr memoryInfo, float* data, nuint count, long* shape, nuint rank)
    {
        IntPtr value;
        Check(((delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)Fn(49))(
            memoryInfo, data, count * sizeof(float), shape, rank, 1 /* FLOAT */, &value));
        return value;
    }

    public static float* TensorData(IntPtr value)
    {
        void* data;
        Check(((delegate* unmanaged<IntPtr, void**, IntPtr>)Fn(51))(value, &data));
        return (float*)data;
    }

    public static void ReleaseEnv(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(92))(p);
    public static void ReleaseMemoryInfo(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(94))(p);
    public static void ReleaseSession(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(95))(p);
    public static void ReleaseValue(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(96))(p);
    public static void ReleaseSessionOptions(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(100))(p);
}

/// <summary>An error reported by ONNX Runtime (its code and message).</summary>
public sealed class OnnxRuntimeException(string message) : Exception(message);
