// The hand-over slot: the newest frame wins, replaced frames are counted, nothing is handed out twice
// or out of order, and the drain flag wakes exactly one consumer.
import Imaging
import Pipeline
import XCTest

final class LatestFrameSlotTests: XCTestCase {
    private func frame(_ index: Int) -> Frame { Frame(index: index, time: 0, image: RGBImage(width: 1, height: 1)) }

    func testTheFirstPutWakesTheConsumerAndLaterPutsDoNot() {
        let slot = LatestFrameSlot()
        XCTAssertTrue(slot.put(frame(0)))
        XCTAssertFalse(slot.put(frame(1)), "a consumer is already draining")
        XCTAssertEqual(slot.take()?.index, 1)
        XCTAssertNil(slot.take(), "empty: the consumer goes idle")
        XCTAssertTrue(slot.put(frame(2)), "an idle consumer must be woken again")
    }

    func testAFrameNotYetTakenIsReplacedAndCounted() {
        let slot = LatestFrameSlot()
        _ = slot.put(frame(0))
        _ = slot.put(frame(1))
        _ = slot.put(frame(2))
        XCTAssertEqual(slot.dropped, 2)
        XCTAssertEqual(slot.take()?.index, 2)
        XCTAssertNil(slot.take())
        XCTAssertEqual(slot.dropped, 2, "taking does not count as a drop")
    }

    func testConcurrentProducerAndConsumerSeeIncreasingIndicesAndLoseNothingUncounted() {
        let slot = LatestFrameSlot()
        let total = 20_000
        final class Taken: @unchecked Sendable { var indices: [Int] = [] }  // touched only on `queue`
        let box = Taken()
        let queue = DispatchQueue(label: "consumer")
        let group = DispatchGroup()
        for i in 0..<total where slot.put(frame(i)) {
            group.enter()
            queue.async {
                while let f = slot.take() { box.indices.append(f.index) }
                group.leave()
            }
        }
        group.wait()
        let taken = queue.sync { box.indices }
        XCTAssertEqual(taken, taken.sorted(), "frames must leave in capture order")
        XCTAssertEqual(Set(taken).count, taken.count, "no frame handed out twice")
        XCTAssertEqual(taken.last, total - 1, "the newest frame is always processed")
        XCTAssertEqual(taken.count + slot.dropped, total, "every frame is either taken or counted as dropped")
    }

    func testWithSeveralSlotsFramesQueueInOrderAndOnlyTheOldestIsDroppedWhenFull() {
        let slot = LatestFrameSlot(capacity: 3)
        XCTAssertTrue(slot.put(frame(0)))
        for i in 1...2 { XCTAssertFalse(slot.put(frame(i))) }
        XCTAssertEqual(slot.dropped, 0, "three frames fit in three slots")
        XCTAssertEqual(slot.take()?.index, 0)
        _ = slot.put(frame(3))
        _ = slot.put(frame(4))  // full (1, 2, 3): frame 1 goes
        XCTAssertEqual(slot.dropped, 1)
        var taken: [Int] = []
        while let f = slot.take() { taken.append(f.index) }
        XCTAssertEqual(taken, [2, 3, 4])
    }
}
