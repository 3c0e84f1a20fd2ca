// The live path end to end with doubles: frames come out in order, a slow processor makes the slot drop
// (and count) stale frames instead of queueing them, a fast one drops nothing, and every way a run ends
// (end of stream, stop, source error, a source that never returns) tells the sinks exactly once.
import Imaging
import Pipeline
import TestSupport
import XCTest

final class LivePipelineTests: XCTestCase {
    private func run(_ source: ScriptedSource, finder: ScriptedFinder, sink: CollectingSink,
                     timeout: Double = 20) -> (LivePipeline, Error?) {
        let processor = FrameProcessor(finder: finder, classifier: FixedClassifier(),
                                       configuration: PipelineConfiguration(detectEvery: 1))
        let pipeline = LivePipeline(source: source, processor: processor, sinks: [sink])
        pipeline.start()
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: timeout), "the pipeline did not finish")
        return (pipeline, pipeline.waitUntilFinished())
    }

    func testASlowProcessorDropsStaleFramesButKeepsOrderAndTheLastFrame() {
        let source = ScriptedSource(count: 200, fps: 400)  // a frame every 2.5 ms
        let finder = ScriptedFinder(delay: 0.01) { _ in [Rect(x: 0, y: 0, width: 4, height: 4)] }  // 10 ms a frame
        let sink = CollectingSink()
        let (pipeline, error) = run(source, finder: finder, sink: sink)
        XCTAssertNil(error)
        let indices = sink.results.map(\.frameIndex)
        XCTAssertEqual(indices, indices.sorted())
        XCTAssertEqual(Set(indices).count, indices.count)
        XCTAssertEqual(indices.last, 199, "the newest frame is processed at the end of the stream")
        let summary = pipeline.stats.snapshot()
        XCTAssertEqual(summary.framesCaptured, 200)
        XCTAssertEqual(summary.framesProcessed, indices.count)
        XCTAssertGreaterThan(summary.framesDropped, 100, "about 3 of 4 frames arrive while one is processed")
        XCTAssertEqual(summary.framesProcessed + summary.framesDropped, 200, "each frame processed or counted")
        XCTAssertTrue(source.closed)
        XCTAssertEqual(sink.finishCount, 1)
    }

    func testAFastProcessorDropsNothing() {
        // 50 ms between frames: processing takes well under 1 ms, so only a thread left unscheduled for
        // 50 ms could drop one (at 10 ms it happened under ASan on a fully loaded machine).
        let source = ScriptedSource(count: 30, fps: 20)
        let sink = CollectingSink()
        let (pipeline, _) = run(source, finder: ScriptedFinder { _ in [] }, sink: sink)
        XCTAssertEqual(sink.results.map(\.frameIndex), Array(0..<30))
        XCTAssertEqual(pipeline.stats.snapshot().framesDropped, 0)
        XCTAssertGreaterThan(pipeline.stats.snapshot().latencyP95, 0)
    }

    /// Starts `pipeline` and asks it to stop once `sink` has the result of frame `index` (at most 10 s).
    private func startAndStop(_ pipeline: LivePipeline, afterFrame index: Int, of sink: CollectingSink) {
        let reached = expectation(description: "the result of frame \(index)")
        reached.assertForOverFulfill = false
        sink.onResult = { if $0.frameIndex >= index { reached.fulfill() } }
        pipeline.start()
        wait(for: [reached], timeout: 10)
        pipeline.stop()
    }

    func testStopEndsAnEndlessSourcePromptly() {
        let source = ScriptedSource(count: .max, fps: 200)
        let sink = CollectingSink()
        let processor = FrameProcessor(finder: ScriptedFinder { _ in [] }, classifier: FixedClassifier())
        let pipeline = LivePipeline(source: source, processor: processor, sinks: [sink])
        startAndStop(pipeline, afterFrame: 10, of: sink)
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: 5))
        XCTAssertNil(pipeline.waitUntilFinished())
        XCTAssertEqual(sink.finishCount, 1)
        XCTAssertTrue(source.closed)
    }

    func testASourceErrorEndsTheRunAndReachesTheSinks() {
        let source = ScriptedSource(count: 100, failAfter: 5)
        let sink = CollectingSink()
        let (_, error) = run(source, finder: ScriptedFinder { _ in [] }, sink: sink)
        XCTAssertTrue(error is ScriptedSource.Failure)
        XCTAssertTrue(sink.finishError is ScriptedSource.Failure)
        XCTAssertEqual(sink.results.last?.frameIndex, 4, "frames before the error are still processed")
        XCTAssertTrue(source.closed)
    }

    func testARunEndsWithoutASourceThatNeverReturns() {
        let source = StalledSource(count: 3)
        defer { source.release() }
        let sink = CollectingSink()
        let processor = FrameProcessor(finder: ScriptedFinder { _ in [] }, classifier: FixedClassifier())
        // Replay's policy, so that no frame is dropped for being stale.
        let pipeline = LivePipeline(source: source, processor: processor, sinks: [sink], dropPolicy: .waitForProcessing)
        startAndStop(pipeline, afterFrame: 2, of: sink)
        XCTAssertFalse(pipeline.waitUntilFinished(timeout: 0.3), "the capture thread is still waiting in nextFrame()")
        pipeline.finishWithoutSource()
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: 5))
        XCTAssertEqual(sink.finishCount, 1)
        XCTAssertEqual(sink.results.map(\.frameIndex), [0, 1, 2], "the frames read before are all processed")
        // The source returns at last: its frame is dropped and the sinks are not told twice.
        source.release()
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(sink.results.map(\.frameIndex), [0, 1, 2])
        XCTAssertEqual(sink.finishCount, 1)
        // Under load the capture thread may take a while to come back from nextFrame(): wait for it, up to 5 s.
        let deadline = Date().addingTimeInterval(5)
        while !source.closed && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertTrue(source.closed, "the capture thread closes the source when it returns")
    }
}
