// The inputs of a batch replay, as a sorted list with one output folder name each. Where they come from:
// - a file given on the command line or in a manifest: taken as it is, whatever its extension (one that
//   does not exist or does not decode becomes a `failed` row, not an error for the whole batch);
// - a session directory (it holds session.json): one input;
// - any other directory: searched, depth first, for session directories and files whose extension is
//   one of `videoExtensions` (any case); hidden entries and links to directories are skipped, nothing
//   below a session directory is searched, and neither is the batch's own --out directory;
// - `--manifest FILE`: one path per line, UTF-8; blank lines and lines starting with # ignored, leading
//   and trailing spaces trimmed, relative paths relative to the manifest's folder. A line that is not a
//   path (not UTF-8, a control character, longer than `maxLineBytes`) stops the batch before it starts
//   with one line naming the manifest and the line number.
// All inputs are then sorted by path (byte order); one given twice (the same file by device and inode)
// is kept once and its later mentions become `skipped` rows. Each input's folder is its file (or session
// directory) name; a name already taken gets -2, -3 … in that sorted order; batch.csv and batch.json are
// never folder names.
import Foundation
import Session

struct BatchInput: Equatable {
    /// The path as given (or as found in a directory, or resolved against the manifest's folder).
    var path: String
    /// Its folder under --out; nil for a repeat of an earlier input.
    var folder: String?
    /// The earlier input this one repeats.
    var repeatOf: String?
}

enum BatchInputs {
    /// File extensions a directory search takes as videos (compared ignoring case).
    static let videoExtensions = ["y4m", "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "wmv", "flv"]
    /// The files a batch writes beside the input folders.
    static let reportNames = ["batch.csv", "batch.json"]
    static let maxLineBytes = 4096
    static let maxManifestBytes = 64 << 20
    static let maxDepth = 32

    /// A directory that is searched for inputs (a directory that is not a session).
    static func isSearchedDirectory(_ path: String) -> Bool {
        isDirectory(path) && !isSession(path)
    }

    static func isSession(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(SessionFiles.manifest))
    }

    /// The bytes of the file at `path`, or of a session's recorded frames (what replaying it reads); 0 for what
    /// cannot be read (it fails when its turn comes, with its own error).
    static func bytes(at path: String) -> Int {
        let file = isDirectory(path) ? (path as NSString).appendingPathComponent(SessionFiles.frames) : path
        return ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The batch of `arguments` and the manifest's lines, sorted, repeats marked, folders named.
    static func collect(arguments: [String], manifest: String?, excluding out: String?) throws -> [BatchInput] {
        var given = arguments
        if let manifest { given += try lines(ofManifest: manifest) }
        let excluded = out.map(OutputPlan.canonical)
        var paths: [String] = []
        for path in given {
            if isSearchedDirectory(path) {
                paths += search(path, excluding: excluded, depth: 0)
            } else {
                paths.append(path)
            }
        }
        return name(paths.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    /// Folder names and repeats for `paths` in their (sorted) order.
    static func name(_ paths: [String]) -> [BatchInput] {
        var taken = Set(reportNames)
        var seen: [OutputPlan.Identity: String] = [:]
        var seenSpelling: [String: String] = [:]
        return paths.map { path in
            let identity = OutputPlan.identity(path)
            if let earlier = identity.flatMap({ seen[$0] }) ?? seenSpelling[OutputPlan.canonical(path)] {
                return BatchInput(path: path, folder: nil, repeatOf: earlier)
            }
            if let identity { seen[identity] = path }
            seenSpelling[OutputPlan.canonical(path)] = path
            var base = (path as NSString).lastPathComponent
            if base.isEmpty || base == "." || base == ".." || base == "/" { base = "input" }
            var folder = base, k = 1
            while taken.contains(folder) {
                k += 1
                folder = "\(base)-\(k)"
            }
            taken.insert(folder)
            return BatchInput(path: path, folder: folder, repeatOf: nil)
        }
    }

    /// Sessions and videos under `directory`, in no particular order (the batch sorts them).
    static func search(_ directory: String, excluding excluded: String?, depth: Int) -> [String] {
        guard depth < maxDepth, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let isLink = (info.st_mode & S_IFMT) == S_IFLNK
            if isDirectory(path) {
                if isLink || OutputPlan.canonical(path) == excluded { continue }
                if isSession(path) { found.append(path) } else { found += search(path, excluding: excluded, depth: depth + 1) }
            } else if videoExtensions.contains((name as NSString).pathExtension.lowercased()) {
                found.append(path)
            }
        }
        return found
    }

    /// The paths a manifest lists; a line that is not a path is one error naming the manifest and line.
    static func lines(ofManifest manifest: String) throws -> [String] {
        guard let handle = FileHandle(forReadingAtPath: manifest) else {
            let reason = FileManager.default.fileExists(atPath: manifest) ? "not readable" : "no such file"
            throw CLIMessage("cannot read the manifest \(manifest): \(reason)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxManifestBytes + 1)) ?? Data()
        if data.count > maxManifestBytes {
            throw CLIMessage("manifest \(manifest) is larger than \(maxManifestBytes >> 20) MiB (expected one path per line)")
        }
        let folder = OutputPlan.folder(of: manifest)
        var paths: [String] = []
        for (index, raw) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard raw.count <= maxLineBytes else {
                throw CLIMessage("manifest \(manifest) line \(number): longer than \(maxLineBytes) bytes (expected one path per line)")
            }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw CLIMessage("manifest \(manifest) line \(number): not UTF-8 text (expected one path per line)")
            }
            let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw CLIMessage("manifest \(manifest) line \(number): a control character in the path (expected one path per line)")
            }
            paths.append(line.hasPrefix("/") || folder.isEmpty ? line : (folder as NSString).appendingPathComponent(line))
        }
        return paths
    }
}
