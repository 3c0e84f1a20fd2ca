// Where a batch's per-input folders live while they are written, and how a rerun knows which are done.
// Invariants:
// - An input is replayed into DIR/.<folder>.partial and renamed to DIR/<folder> only once its files and
//   its record (batch-entry.json, written last) are complete, so DIR/<folder> is never half-written. A
//   folder being replaced is first renamed to DIR/.<folder>.old, removed once the new one is in place.
// - One batch writes into DIR at a time: it holds an flock on DIR/.emonet-batch.lock for its whole run (the
//   kernel drops it when the process dies, even by SIGKILL). Holding it, the batch removes the .partial and
//   .old folders of its inputs and the temporary files of batch.csv/json that a killed run left behind.
// - A folder whose record names the same input (path, size and modification time) and the same settings
//   is this batch's: `ok` is done (a rerun reports it without replaying it), `failed` is replayed again,
//   both without --force. Any other existing folder is replaced only with --force, and never when it
//   holds files a batch does not write.
import Foundation
import SafeOutput

/// The record a batch writes into each input's folder, last: whose results these are, made how, and the
/// input's row (what a rerun or `emonet merge` puts in batch.csv without replaying the input).
struct BatchEntry: Codable, Equatable {
    static let fileName = "batch-entry.json"
    static let format = "emonet-batch-entry"

    var format = BatchEntry.format
    var version = 1
    var input: String
    /// `input` made absolute, links resolved: the same input given under another spelling or from another
    /// working directory is still this input.
    var canonicalInput: String
    /// The input's size and modification time (a session's files', each), to notice an input that changed.
    var stamp: String
    var settings: [String: String]
    var row: BatchRow

    static func read(folder: String) -> BatchEntry? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
              let entry = try? JSONDecoder().decode(BatchEntry.self, from: data), entry.format == format else { return nil }
        return entry
    }

    func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self) + Data("\n".utf8), to: (folder as NSString).appendingPathComponent(Self.fileName))
    }

    /// Size and modification time of `input` (a file, or each file of a session directory), as one string.
    static func stamp(of input: String) -> String {
        let paths = BatchInputs.isSession(input) ? OutputPlan.files(in: input).sorted() : [input]
        return paths.map { path -> String in
            var info = stat()
            guard stat(path, &info) == 0 else { return "\((path as NSString).lastPathComponent):missing" }
            return "\((path as NSString).lastPathComponent):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }.joined(separator: " ")
    }
}

/// What a batch finds at an input's folder before it starts.
enum FolderState: Equatable {
    /// Nothing there: replay the input.
    case absent
    /// This batch's complete result: report its row, replay nothing.
    case done(BatchRow)
    /// This batch's, to be replayed again (it failed, the input changed, or --force).
    case redo(reason: String)
}

/// The output directory of a batch (or of a merge): its folders' temporary names, the lock, the checks.
struct BatchFolders {
    let out: String
    /// The files a batch writes into an input's folder.
    static let ownFiles: Set<String> = ["results.jsonl", "results.csv", "summary.json", "timeline.png", BatchEntry.fileName]
    static let lockName = ".emonet-batch.lock"

    func final(_ folder: String) -> String { (out as NSString).appendingPathComponent(folder) }
    func partial(_ folder: String) -> String { (out as NSString).appendingPathComponent(".\(folder).partial") }
    func retired(_ folder: String) -> String { (out as NSString).appendingPathComponent(".\(folder).old") }

    /// Whether `folder` may be replayed into, and how; throws a one-line error for a folder that is not
    /// this batch's and may not be replaced (no --force, or files a batch does not write).
    func state(of folder: String, input: String, settings: [String: String], force: Bool) throws -> FolderState {
        let path = final(folder)
        guard let identity = OutputPlan.identity(path) else { return .absent }
        guard identity.isDirectory else {
            throw CLIMessage("\(path) is a file, where the batch puts the folder of \(input); move it or choose another --out")
        }
        let entry = BatchEntry.read(folder: path)
        var foreign: String?
        if let entry {
            if entry.canonicalInput != OutputPlan.canonical(input) {
                foreign = "it holds the results of \(entry.input)"
            } else if entry.settings != settings {
                let key = settings.keys.sorted().first { entry.settings[$0] != settings[$0] } ?? "settings"
                foreign = "it was made with other settings (\(key): \(entry.settings[key] ?? "none") there, \(settings[key] ?? "none") now)"
            }
        } else {
            foreign = "it holds no \(BatchEntry.fileName), so no batch made it"
        }
        if let foreign, !force {
            throw CLIMessage("\(path) already exists and is not this batch's: \(foreign); pass --force to replace it")
        }
        try requireOwnFiles(path)
        guard let entry, foreign == nil else { return .redo(reason: "replacing an existing folder (--force)") }
        if force { return .redo(reason: "replaying it again (--force)") }
        if entry.stamp != BatchEntry.stamp(of: input) { return .redo(reason: "the input changed since its results were written") }
        if entry.row.status == .ok { return .done(entry.row) }
        return .redo(reason: "it failed last time")
    }

    /// A folder is replaced whole, so it must hold only what a batch writes there.
    private func requireOwnFiles(_ path: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let others = names.filter { !Self.ownFiles.contains($0) }.sorted()
        if !others.isEmpty {
            throw CLIMessage("\(path) holds files a batch does not write (\(others.prefix(3).joined(separator: ", "))); "
                             + "not replacing it even with --force: move them or choose another --out")
        }
    }

    /// Takes the directory's lock for this process's life; one line when another batch holds it.
    func lock() throws {
        let path = (out as NSString).appendingPathComponent(Self.lockName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIMessage("cannot create the lock \(path): \(StagedFile.message(errno))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw CLIMessage("\(out) is being written by another emonet batch (it holds \(path)); wait for it or choose another --out")
        }
        // Kept open (and locked) until the process ends.
    }

    /// Removes what a killed run left for `folders`: their .partial and .old folders, and batch.csv/json's
    /// temporary files. Call with the lock held. Returns the folders that had a .partial: the inputs that run
    /// was replaying when it ended (killed, out of memory, or crashed on the input itself).
    @discardableResult
    func removeLeftovers(of folders: [String]) -> Set<String> {
        var interrupted: Set<String> = []
        for folder in folders {
            if OutputPlan.identity(partial(folder)) != nil { interrupted.insert(folder) }
            for path in [partial(folder), retired(folder)] where OutputPlan.identity(path) != nil {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [] where name.hasPrefix(".batch.tmp-") {
            try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent(name))
        }
        return interrupted
    }

    /// A fresh, empty .partial folder for `folder`.
    func makePartial(_ folder: String) throws -> String {
        let path = partial(folder)
        if OutputPlan.identity(path) != nil { try? FileManager.default.removeItem(atPath: path) }
        try OutputPlan.makeDirectory(path)
        return path
    }

    /// Puts the complete .partial folder in place as `folder` (replacing one there), then flushes DIR.
    func commit(_ folder: String) throws {
        let target = final(folder), old = retired(folder)
        if OutputPlan.identity(target) != nil {
            guard rename(target, old) == 0 else { throw OutputError.unwritable(path: target, reason: StagedFile.message(errno)) }
        }
        guard rename(partial(folder), target) == 0 else { throw OutputError.unwritable(path: target, reason: StagedFile.message(errno)) }
        if OutputPlan.identity(old) != nil { try? FileManager.default.removeItem(atPath: old) }
        let dir = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// Gives up on a .partial folder (the input was stopped part way).
    func discard(_ folder: String) {
        try? FileManager.default.removeItem(atPath: partial(folder))
    }
}
