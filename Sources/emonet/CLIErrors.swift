// One place where library errors become the single line a user sees, and a non-zero exit.
import ArgumentParser
import Foundation

enum CLIErrors {
    /// Runs `body`; any error is printed as `emonet: <message>` on stderr and exits with status 1.
    static func reporting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            let message = message(error)
            FileHandle.standardError.write(Data("emonet: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The one line a user sees for `error`.
    static func message(_ error: Error) -> String {
        ((error as? LocalizedError)?.errorDescription ?? String(describing: error))
            .replacingOccurrences(of: "\n", with: " ")
    }
}

/// A user-facing error raised by the CLI itself (a bad path or argument found while running).
struct CLIMessage: Error, LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var errorDescription: String? { message }
}
