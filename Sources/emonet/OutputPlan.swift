// What a command will write, checked before any work starts: nothing is written over one of the
// command's own inputs (same file by device and inode, so links and other spellings are caught; refused
// even with --force), an existing output is replaced only with --force, and no two outputs of one run
// are the same file. The writes themselves are atomic (SafeOutput), so a failure leaves the old file whole.
import Foundation

struct OutputPlan {
    /// The files the command reads (nil entries are ignored: options that were not given).
    let inputs: [String]
    let force: Bool

    init(inputs: [String?], force: Bool) {
        self.inputs = inputs.compactMap { $0 }
        self.force = force
    }

    /// Throws a one-line CLIMessage for the first output that must not be written.
    func check(_ outputs: [String]) throws {
        var seen: [String: String] = [:]
        for output in outputs {
            let key = Self.canonical(output)
            if let earlier = seen[key] {
                throw CLIMessage("\(output): two outputs of this run would be the same file (\(earlier)); give distinct paths")
            }
            seen[key] = output
            if let identity = Self.identity(output) {
                if let input = inputs.first(where: { Self.identity($0) == identity }) {
                    let same = input == output ? "" : " (\(input))"
                    throw CLIMessage("\(output) is one of this command's inputs\(same); refusing to write over it (choose another output path)")
                }
                if identity.isDirectory {
                    throw CLIMessage("\(output) is a directory; give a file path for this output")
                }
                if !force {
                    throw CLIMessage("\(output) already exists; pass --force to replace it")
                }
            }
        }
    }

    /// Creates `directory` (and its parents) for outputs; one line naming it when that fails.
    static func makeDirectory(_ directory: String) throws {
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw CLIMessage("\(directory) is a file; outputs need a directory there")
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw CLIMessage("cannot create the output directory \(directory): \((error as NSError).localizedDescription)")
        }
    }

    /// The folder part of `path` ("" for a bare name). By hand: NSString's deletingLastPathComponent traps
    /// (SIGILL) on a one-letter path such as "q" in this Foundation.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The regular files directly in `directory` (a session's files, as inputs).
    static func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).map {
            (directory as NSString).appendingPathComponent($0)
        }
    }

    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
        var isDirectory: Bool
    }

    /// The file at `path` (following links), or nil when there is none.
    static func identity(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), isDirectory: (info.st_mode & S_IFMT) == S_IFDIR)
    }

    /// An absolute, standardised spelling (for outputs that do not exist yet).
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
