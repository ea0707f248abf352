namespace Sluice;

/// <summary>
/// Expands paths and globs into files. In a glob, <c>*</c> matches any part of a name, <c>?</c> one
/// character, <c>**</c> any number of directories, and <c>{a,b}</c> either alternative. As in a shell,
/// wildcards do not match names that start with '.' (unless the pattern's part does), and <c>**</c>
/// does not descend into hidden or symbolically linked directories.
/// </summary>
internal static class PathGlob
{
    private static readonly StringComparison s_names =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public static bool IsGlob(string pathOrGlob) => pathOrGlob.AsSpan().IndexOfAny("*?{") >= 0;

    /// <summary>
    /// The files, in argument order with each glob's matches sorted (ordinal), without duplicates.
    /// A missing path or a glob that matches nothing throws <see cref="FileNotFoundException"/> naming it.
    /// </summary>
    public static List<string> Expand(IEnumerable<string> pathsOrGlobs)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in pathsOrGlobs)
        {
            if (!IsGlob(item))
            {
                if (!File.Exists(item))
                    throw new FileNotFoundException(Directory.Exists(item)
                        ? $"Input '{item}' is a directory, not a file: use a glob such as '{Path.Join(item, "*.jsonl")}'."
                        : $"Input file '{item}' does not exist.", item);
                if (seen.Add(Path.GetFullPath(item))) files.Add(item);
                continue;
            }

            var matches = new List<string>();
            foreach (var pattern in ExpandBraces(item)) Match(pattern, matches);
            if (matches.Count == 0)
            {
                string root = LiteralPrefix(item);
                string hint = root.Length > 0 && !Directory.Exists(root) ? $" (directory '{root}' does not exist)" : "";
                throw new FileNotFoundException($"No files match '{item}'{hint}.", item);
            }
            matches.Sort(StringComparer.Ordinal);
            foreach (var m in matches)
                if (seen.Add(Path.GetFullPath(m))) files.Add(m);
        }
        return files;
    }

    /// <summary>Whether <paramref name="name"/> matches a pattern of <c>*</c> and <c>?</c> wildcards.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        if (name.Length > 0 && name[0] == '.' && (pattern.Length == 0 || pattern[0] != '.')) return false;
        bool ignoreCase = s_names == StringComparison.OrdinalIgnoreCase;
        int p = 0, n = 0, star = -1, starName = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                starName = n;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n] ||
                                            ignoreCase && char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(name[n])))
            {
                p++;
                n++;
            }
            else if (star >= 0)
            {
                // Let the last star take one more character and retry from there.
                p = star + 1;
                n = ++starName;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>
    /// Whether an object key (<c>data/2024/a.parquet</c>) matches a glob without braces, '/'-separated as a path is:
    /// <c>*</c> and <c>?</c> within one segment, <c>**</c> any number of segments.
    /// </summary>
    public static bool IsKeyMatch(string pattern, string key)
    {
        var p = pattern.Split('/');
        var k = key.Split('/');
        return MatchSegments(p, 0, k, 0);

        static bool MatchSegments(string[] p, int i, string[] k, int j)
        {
            while (i < p.Length)
            {
                if (p[i] == "**")
                {
                    if (i == p.Length - 1) return j < k.Length;
                    for (int skip = j; skip < k.Length; skip++)
                        if (MatchSegments(p, i + 1, k, skip)) return true;
                    return false;
                }
                if (j == k.Length || !IsMatch(p[i], k[j])) return false;
                i++;
                j++;
            }
            return j == k.Length;
        }
    }

    /// <summary>The part of a key glob before its first wildcard or brace (the prefix to list).</summary>
    public static string KeyPrefix(string glob)
    {
        int at = glob.AsSpan().IndexOfAny("*?{");
        return at < 0 ? glob : glob[..at];
    }

    /// <summary>"a/{b,c}/*.{csv,jsonl}" gives the four patterns without braces.</summary>
    public static IEnumerable<string> ExpandBraces(string pattern)
    {
        int open = pattern.IndexOf('{');
        if (open < 0) return new[] { pattern };
        int depth = 0, close = -1;
        var commas = new List<int>();
        for (int i = open; i < pattern.Length && close < 0; i++)
        {
            switch (pattern[i])
            {
                case '{': depth++; break;
                case '}': if (--depth == 0) close = i; break;
                case ',': if (depth == 1) commas.Add(i); break;
            }
        }
        if (close < 0) throw new ArgumentException($"The glob '{pattern}' has a '{{' without its '}}'.");

        var results = new List<string>();
        int start = open + 1;
        foreach (int end in commas.Append(close))
        {
            string alternative = pattern[start..end];
            results.AddRange(ExpandBraces(string.Concat(pattern.AsSpan(0, open), alternative, pattern.AsSpan(close + 1))));
            start = end + 1;
        }
        return results;
    }

    private static bool HasWildcard(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;

    private static string[] Segments(string path, out string root)
    {
        root = Path.IsPathRooted(path) ? Path.GetPathRoot(path) ?? "" : "";
        char[] separators = OperatingSystem.IsWindows() ? new[] { '/', '\\' } : new[] { '/' };
        return path[root.Length..].Split(separators, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The directory part of a glob before its first wildcard.</summary>
    private static string LiteralPrefix(string glob)
    {
        var segments = Segments(glob, out string dir);
        for (int i = 0; i < segments.Length - 1 && !HasWildcard(segments[i]) && segments[i].IndexOf('{') < 0; i++)
            dir = Join(dir, segments[i]);
        return dir;
    }

    private static void Match(string pattern, List<string> matches)
    {
        var segments = Segments(pattern, out string root);
        if (segments.Length > 0) Walk(root, segments, 0, matches);
    }

    private static void Walk(string dir, string[] segments, int i, List<string> matches)
    {
        string segment = segments[i];
        bool last = i == segments.Length - 1;
        if (segment == "**")
        {
            if (last)
            {
                AllFiles(dir, matches);
                return;
            }
            Walk(dir, segments, i + 1, matches);
            foreach (var sub in Subdirectories(dir, null)) Walk(sub, segments, i, matches);
            return;
        }
        if (!HasWildcard(segment))
        {
            string path = Join(dir, segment);
            if (last) { if (File.Exists(path)) matches.Add(path); }
            else if (Directory.Exists(path)) Walk(path, segments, i + 1, matches);
            return;
        }
        if (last)
        {
            foreach (var file in Files(dir, segment)) matches.Add(file);
        }
        else
        {
            foreach (var sub in Subdirectories(dir, segment)) Walk(sub, segments, i + 1, matches);
        }
    }

    private static void AllFiles(string dir, List<string> matches)
    {
        matches.AddRange(Files(dir, "*"));
        foreach (var sub in Subdirectories(dir, null)) AllFiles(sub, matches);
    }

    private static IEnumerable<string> Files(string dir, string pattern)
    {
        var info = new DirectoryInfo(dir.Length == 0 ? "." : dir);
        if (!info.Exists) yield break;
        foreach (var file in info.EnumerateFiles())
            if (IsMatch(pattern, file.Name)) yield return Join(dir, file.Name);
    }

    private static IEnumerable<string> Subdirectories(string dir, string? pattern)
    {
        var info = new DirectoryInfo(dir.Length == 0 ? "." : dir);
        if (!info.Exists) yield break;
        foreach (var sub in info.EnumerateDirectories())
        {
            if (pattern is null)
            {
                // Under **: skip hidden directories and links (a link may lead back up: an endless walk).
                if (sub.Name.StartsWith('.') || (sub.Attributes & FileAttributes.ReparsePoint) != 0) continue;
            }
            else if (!IsMatch(pattern, sub.Name))
            {
                continue;
            }
            yield return Join(dir, sub.Name);
        }
    }

    private static string Join(string dir, string name) => dir.Length == 0 ? name : Path.Join(dir, name);
}
