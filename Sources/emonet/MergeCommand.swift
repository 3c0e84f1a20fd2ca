// `emonet merge DIR... --out DIR`: the --out folders of a sharded batch (`emonet replay … --shard I/N`, one
// per pod or array task) combined into one batch folder equal, apart from timings, to an unsharded run's:
// every input's folder copied in (each into a temporary folder renamed into place, as a batch writes them)
// and one batch.csv/batch.json with every row in the whole batch's order. Checked before anything is
// copied: every DIR holds a batch report of the same batch (its id, size and settings), every shard 0..<N is
// there exactly once, every row's folder exists. Rerunning a merge copies only what is not yet in place.
import ArgumentParser
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the --out folders of a sharded batch replay into one batch.",
        discussion: """
            Each DIR is the --out of one `emonet replay … --shard I/N --out DIR` (batch.csv, batch.json and a \
            folder per input). The merged --out holds every input's folder (copied; the shards are left as they \
            are) and one batch.csv/batch.json in the whole batch's order, as one unsharded run would have written \
            them apart from the timings. All N shards must be given, from the same batch (same inputs, model, \
            cascade and settings). Folders already in --out from an earlier merge of the same batch are kept; \
            anything else there is replaced only with --force. The exit status is 1 when any input failed. \
            See docs/scale.md.
            """)

    @Argument(help: "The shards' --out folders.")
    var shards: [String] = []

    @Option(help: "Folder for the merged batch (created).")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if shards.isEmpty { throw ValidationError("give the shards' --out folders: emonet merge DIR... --out DIR") }
    }

    func run() throws {
        try CLIErrors.reporting { try BatchMerge(shards: shards, out: out, force: output.force).execute() }
    }
}

struct BatchMerge {
    let shards: [String]
    let out: String
    let force: Bool

    /// One shard's report and where it came from.
    private struct Part {
        var directory: String
        var report: BatchReportFile
        var shard: Shard
    }

    private func parts() throws -> [Part] {
        let outKey = OutputPlan.canonical(out)
        return try shards.map { directory in
            if OutputPlan.canonical(directory) == outKey {
                throw CLIMessage("\(directory) is both a shard and --out; merge into a new folder")
            }
            let report = try BatchReportFile.read(directory: directory).get()
            let shard = try report.batch.shard.map { try Shard.parse($0, environment: [:]) } ?? Shard(index: 0, count: 1)
            return Part(directory: directory, report: report, shard: shard)
        }
    }

    /// The shards' rows in the whole batch's order, after checking that they are one batch, all of it.
    private func rows(_ parts: [Part]) throws -> [BatchRow] {
        let first = parts[0]
        for part in parts.dropFirst() {
            let what: String?
            if part.report.batch.id != first.report.batch.id || part.report.batch.inputs != first.report.batch.inputs {
                what = "another batch (\(part.report.batch.inputs) inputs, id \(part.report.batch.id); \(first.directory): "
                    + "\(first.report.batch.inputs) inputs, id \(first.report.batch.id))"
            } else if part.report.settings != first.report.settings {
                what = "the same inputs replayed with other settings"
            } else if part.shard.count != first.shard.count {
                what = "shard \(part.shard.index)/\(part.shard.count) of another split (\(first.directory) is shard \(first.shard.index)/\(first.shard.count))"
            } else {
                what = nil
            }
            if let what { throw CLIMessage("\(part.directory) is not a shard of the batch in \(first.directory): it holds \(what)") }
        }
        var byShard: [Int: String] = [:]
        for part in parts {
            if let earlier = byShard[part.shard.index] {
                throw CLIMessage("\(part.directory) and \(earlier) are both shard \(part.shard.index)/\(part.shard.count)")
            }
            byShard[part.shard.index] = part.directory
        }
        let missing = (0..<first.shard.count).filter { byShard[$0] == nil }
        if !missing.isEmpty {
            let listed = missing.prefix(5).map { "\($0)/\(first.shard.count)" }.joined(separator: ", ") + (missing.count > 5 ? " …" : "")
            throw CLIMessage("shards missing: \(listed) (\(missing.count) of \(first.shard.count)); give every shard's --out folder")
        }
        let total = first.report.batch.inputs
        var rows = [BatchRow?](repeating: nil, count: total)
        for part in parts {
            for row in part.report.rows {
                guard (1...max(total, 1)).contains(row.index), part.shard.contains(position: row.index - 1), rows[row.index - 1] == nil else {
                    throw CLIMessage("\(part.directory)/batch.json: row \(row.index) (\(row.input)) does not belong to shard "
                                     + "\(part.shard.index)/\(part.shard.count) of \(total) inputs")
                }
                rows[row.index - 1] = row
            }
        }
        if let gap = rows.firstIndex(where: { $0 == nil }) {
            throw CLIMessage("\(byShard[gap % first.shard.count]!)/batch.json has no row \(gap + 1) of \(total); that shard did not finish writing its report")
        }
        return rows.compactMap { $0 }
    }

    func execute() throws {
        let parts = try parts()
        let rows = try rows(parts)
        let settings = parts[0].report.settings
        let folders = BatchFolders(out: out)
        // Where each row's folder comes from, checked before anything is copied.
        var copies: [(folder: String, from: String)] = []
        for part in parts {
            for row in part.report.rows {
                guard let folder = row.output else { continue }
                let source = (part.directory as NSString).appendingPathComponent(folder)
                guard BatchEntry.read(folder: source)?.input == row.input else {
                    throw CLIMessage("\(source) is missing or is not \(row.input)'s folder (listed in \(part.directory)/batch.json)")
                }
                if case .done = try folders.state(of: folder, input: row.input, settings: settings, force: force) { continue }
                copies.append((folder, source))
            }
        }
        try checkReports(settings: settings, identity: parts[0].report.batch)
        try OutputPlan.makeDirectory(out)
        try folders.lock()
        folders.removeLeftovers(of: rows.compactMap(\.output))
        for (k, copy) in copies.enumerated() {
            let partial = folders.partial(copy.folder)
            do {
                try FileManager.default.copyItem(atPath: copy.from, toPath: partial)
            } catch {
                throw CLIMessage("cannot copy \(copy.from) to \(partial): \((error as NSError).localizedDescription)")
            }
            try folders.commit(copy.folder)
            if (k + 1) % 100 == 0 { note("emonet: merge: \(k + 1)/\(copies.count) folders copied") }
        }
        var identity = parts[0].report.batch
        identity.shard = nil
        let report = BatchReportFile(batch: identity, settings: settings, rows: rows)
        try report.write(directory: out)
        print("merge: \(parts.count) shard\(parts.count == 1 ? "" : "s"), \(report.line); \(copies.count) folders copied; "
              + "rows in \((out as NSString).appendingPathComponent("batch.csv")) and batch.json")
        if report.failed > 0 { throw ExitCode.failure }
    }

    /// batch.csv/json in --out: replaced when they are this batch's merged report (a merge run again), or with --force.
    private func checkReports(settings: [String: String], identity: BatchIdentity) throws {
        let paths = BatchInputs.reportNames.map { (out as NSString).appendingPathComponent($0) }
        guard !force, let existing = paths.first(where: { OutputPlan.identity($0) != nil }) else { return }
        if case .success(let report) = BatchReportFile.read(directory: out), report.settings == settings,
           report.batch.id == identity.id, report.batch.shard == nil {
            return
        }
        throw CLIMessage("\(existing) already exists and is not this batch's merged report; pass --force to replace it")
    }
}
