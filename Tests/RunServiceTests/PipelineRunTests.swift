// The run service's contract, with scripted sources and a classifier that does no work: a run that ends by
// itself, one stopped by a signal, a source that never returns (ended within the stop grace), and set-up or
// loading errors that leave nothing open. The commands' own tests (LiveCommandTests, ReplayCommandTests,
// the session tests) hold the same behaviour end to end.
import Foundation
import Imaging
import Pipeline
import RunService
import TestSupport
import XCTest

final class PipelineRunTests: XCTestCase {
    private func spec(_ source: FrameSource, dropPolicy: FrameDropPolicy = .waitForProcessing, signals: Bool = false) -> RunSpec {
        RunSpec(input: .source(source), model: .given(NoWorkClassifier()), dropPolicy: dropPolicy, stopsOnSignals: signals)
    }

    /// `run.wait()` on another thread, failing (instead of hanging) after `timeout` seconds.
    private func outcome(of run: PipelineRun, within timeout: Double) -> (RunOutcome?, Double) {
        let done = expectation(description: "the run ended")
        nonisolated(unsafe) var result: RunOutcome?
        let start = MonotonicClock.now()
        DispatchQueue.global().async {
            result = run.wait()
            done.fulfill()
        }
        wait(for: [done], timeout: timeout)
        return (result, MonotonicClock.now() - start)
    }

    func testAnOutcomeReportsEveryFrameAndThatTheStreamEnded() throws {
        let source = CountedSource(frames: 6)
        let run = try PipelineRun(spec(source))
        let sink = CountingSink()
        run.start(sinks: [sink])
        let (outcome, _) = outcome(of: run, within: 10)
        run.close()
        let ended = try XCTUnwrap(outcome)
        XCTAssertEqual(ended.summary.framesProcessed, 6)
        XCTAssertEqual(sink.results, 6)
        XCTAssertEqual(sink.finishes, 1)
        XCTAssertNil(ended.error)
        XCTAssertFalse(ended.stopRequested)
        XCTAssertFalse(ended.stoppedBySignal)
        XCTAssertFalse(ended.endedWithoutSource)
        XCTAssertTrue(ended.headline.hasPrefix("finished: 6 frames captured"), ended.headline)
        XCTAssertNotNil(ended.stagesLine)
        XCTAssertTrue(source.closed)
    }

    func testASourceThatNeverReturnsIsLeftBehindWithinTheStopGrace() throws {
        let source = CountedSource(frames: 3, then: .stall)
        defer { source.release() }
        let run = try PipelineRun(spec(source))
        let sink = CountingSink()
        run.start(sinks: [sink])
        XCTAssertTrue(source.reachedEnd.wait(timeout: .now() + 10) == .success, "the source never stalled")
        let deadline = MonotonicClock.now() + 10
        while sink.results < 3 && MonotonicClock.now() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        run.stop()
        let (outcome, seconds) = outcome(of: run, within: 3)
        run.close()
        print("a stalled source was left behind \(String(format: "%.2f", seconds)) s after the stop (grace \(PipelineRun.stopGrace) s)")
        let ended = try XCTUnwrap(outcome, "the run waited for a source that never returns")
        XCTAssertLessThan(seconds, PipelineRun.stopGrace + 0.5)
        XCTAssertTrue(ended.endedWithoutSource)
        XCTAssertTrue(ended.stopRequested)
        XCTAssertEqual(ended.summary.framesProcessed, 3)
        XCTAssertEqual(sink.finishes, 1, "every sink is told once, as at the end of a stream")
    }

    func testASignalStopsTheRunAndTheOutcomeSaysSo() throws {
        try Sanitizers.skipIfSignalsAreNotDelivered()
        let source = CountedSource(frames: 1_000_000, interval: 0.005)
        let run = try PipelineRun(spec(source, dropPolicy: .dropStale, signals: true))
        let sink = CountingSink()
        run.start(sinks: [sink])
        let deadline = MonotonicClock.now() + 10
        while sink.results < 2 && MonotonicClock.now() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        kill(getpid(), SIGTERM)
        let (outcome, _) = outcome(of: run, within: 5)
        run.close()
        let ended = try XCTUnwrap(outcome)
        XCTAssertTrue(ended.stoppedBySignal)
        XCTAssertFalse(ended.endedWithoutSource, "a source that returns is waited for")
        XCTAssertTrue(ended.headline.hasPrefix("stopped: "), ended.headline)
        XCTAssertGreaterThanOrEqual(ended.summary.framesProcessed, 2)
        XCTAssertTrue(source.closed)
    }

    func testASourceErrorIsTheOutcomesError() throws {
        let source = CountedSource(frames: 4, then: .failure)
        let run = try PipelineRun(spec(source))
        run.start(sinks: [])
        let (outcome, _) = outcome(of: run, within: 10)
        run.close()
        let ended = try XCTUnwrap(outcome)
        XCTAssertTrue(ended.error is CountedSource.Failure, "\(String(describing: ended.error))")
        XCTAssertEqual(ended.summary.framesProcessed, 4)
    }

    func testAMissingModelIsOneLineNamingItAndClosesTheOpenedSource() {
        let source = CountedSource(frames: 1)
        XCTAssertThrowsError(try PipelineRun(RunSpec(input: .source(source), model: .file(path: "/nonexistent/m.safetensors")))) { error in
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.hasPrefix("model file /nonexistent/m.safetensors not found: ") == true,
                          "\(error)")
        }
        XCTAssertTrue(source.closed, "the source opened while the model loaded is closed again")
    }

    func testASetUpErrorBeforeTheStartClosesTheSource() throws {
        struct SetUpFailed: Error {}
        let source = CountedSource(frames: 1)
        let run = try PipelineRun(spec(source))
        XCTAssertThrowsError(try run.prepare { throw SetUpFailed() })
        XCTAssertTrue(source.closed)
    }

    func testTheSettingsGivenComeBeforeTheDefaults() {
        let tuning = PipelineTuning(detectEvery: 2, views: .single)
        let configuration = tuning.configuration()
        XCTAssertEqual(configuration.detectEvery, 2)
        XCTAssertEqual(configuration.views, .single)
        XCTAssertEqual(configuration.smoothing, PipelineConfiguration().smoothing)
    }
}

// MARK: - Doubles

/// `frames` blank frames (one every `interval` seconds), then what `ending` says: the end of the stream, an
/// error, or a `nextFrame()` that does not return, cancelled or not, until `release()`.
final class CountedSource: FrameSource, @unchecked Sendable {
    enum Ending { case end, failure, stall }
    struct Failure: Error {}
    let frames: Int, ending: Ending, interval: Double
    let description = "counted source"
    let width = 32, height = 24, framesPerSecond = 0.0
    let reachedEnd = DispatchSemaphore(value: 0)
    private let stall = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var state = (read: 0, cancelled: false, closed: false)

    init(frames: Int, then ending: Ending = .end, interval: Double = 0) {
        (self.frames, self.ending, self.interval) = (frames, ending, interval)
    }

    var closed: Bool { lock.withLock { state.closed } }

    func nextFrame() throws -> Frame? {
        let (index, cancelled) = lock.withLock { () -> (Int, Bool) in
            state.read += 1
            return (state.read - 1, state.cancelled)
        }
        if index < frames {
            if cancelled { return nil }
            if interval > 0 { Thread.sleep(forTimeInterval: interval) }
            return Frame(index: index, time: Double(index) / 30, image: RGBImage(width: width, height: height))
        }
        switch ending {
        case .end: return nil
        case .failure: throw Failure()
        case .stall:
            reachedEnd.signal()
            stall.wait()
            return nil
        }
    }

    func cancel() { lock.withLock { state.cancelled = true } }
    func close() { lock.withLock { state.closed = true } }

    /// Lets a stalled `nextFrame()` return (at the end of the test).
    func release() { stall.signal() }
}

/// Counts results and finishes.
final class CountingSink: FrameSink, @unchecked Sendable {
    private let lock = NSLock()
    private var resultCount = 0
    private var finishCount = 0

    var results: Int { lock.withLock { resultCount } }
    var finishes: Int { lock.withLock { finishCount } }

    func pipeline(didProduce result: FrameResult, for frame: Frame) { lock.withLock { resultCount += 1 } }

    func pipelineDidFinish(summary: PipelineSummary, error: Error?) { lock.withLock { finishCount += 1 } }
}

/// Uniform probabilities, no work (blank frames have no faces anyway).
final class NoWorkClassifier: FaceClassifying, @unchecked Sendable {
    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
        faces.map { _ in [Float](repeating: 1.0 / 7, count: 7) }
    }
}
