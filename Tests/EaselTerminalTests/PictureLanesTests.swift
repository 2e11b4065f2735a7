import Dispatch
import EaselImaging
import EaselTerminal
import Foundation
import Synchronization
import Testing

/// Encodes held until the test lets them go, and the order they started in.
final class EncodeGates: Sendable {
    private struct State { var held: Set<String> = []; var started: [String] = []; var gates: [String: DispatchSemaphore] = [:] }
    private let state = Mutex(State())
    /// Signalled once per encode started.
    let started = DispatchSemaphore(value: 0)

    /// Encodes named `name` (`PIC<id>@<box width>`) wait until `release(name)`.
    func hold(_ name: String) { state.withLock { _ = $0.held.insert(name); $0.gates[name] = DispatchSemaphore(value: 0) } }
    func release(_ name: String) { state.withLock { $0.gates[name] }?.signal() }
    var order: [String] { state.withLock { $0.started } }

    func arrive(_ name: String) {
        let gate = state.withLock { s -> DispatchSemaphore? in
            s.started.append(name)
            return s.held.contains(name) ? s.gates[name] : nil
        }
        started.signal()
        gate?.wait()
    }
}

/// `NamedPictures` whose encodes pass through `EncodeGates`: the injected slow encoder.
struct GatedPictures: GraphicsProtocol {
    let name = "gated"
    let gates: EncodeGates
    func encode(_ image: RGBAImage, fitting box: PixelSize, cell: PixelSize) throws(GraphicsError) -> EncodedImage {
        gates.arrive("PIC\(image.pixels[0])@\(box.width)")
        return try NamedPictures().encode(image, fitting: box, cell: cell)
    }
}

/// Issue 16, item 14: pictures are never blocked behind a slow one; live frames: newest wins, the last one stays
/// drawn; a slow picture shows a draft first.
@Suite("Picture lanes: no picture waits behind a slow one")
struct PictureLanesTests {
    let cell = PixelSize(width: 6, height: 13)
    let preview = Rect(x: 1, y: 1, width: 20, height: 10)           // box 120×130 px
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("easel-lanes-\(UUID().uuidString)").path
    let gates = EncodeGates()
    let wakes = DispatchSemaphore(value: 0)

    func picture(_ id: UInt8) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var pixels = [UInt8](repeating: 255, count: 8 * 8 * 4)
        pixels[0] = id
        let path = dir + "/\(id).png"
        try Data(try ImageCodec.encodePNG(RGBAImage(width: 8, height: 8, pixels: pixels))).write(to: URL(fileURLWithPath: path))
        return path
    }

    func presenter(draftAbove: Int = .max) -> ImagePresenter {
        let wakes = self.wakes
        let p = ImagePresenter(graphics: GatedPictures(gates: gates), cell: cell) { wakes.signal() }
        p.draftAbove = draftAbove
        return p
    }

    /// Waits for an event; a bound only so a broken scheduler fails instead of hanging.
    func arrives(_ s: DispatchSemaphore) -> Bool { s.wait(timeout: .now() + 10) == .success }

    func named(_ status: PreviewStatus) -> String? {
        guard case .ready(let image) = status else { return nil }
        return String(decoding: image.bytes, as: UTF8.self)
    }

    @Test func theJobsImageIsNotHeldBehindASlowLiveFrame() throws {
        let p = presenter()
        let frame = ImagePresenter.Request(path: try picture(1), rect: preview, live: true)
        let final = ImagePresenter.Request(path: try picture(2), rect: preview)
        gates.hold("PIC1@120")
        defer { gates.release("PIC1@120") }
        #expect(p.status(for: frame) == .encoding)
        #expect(arrives(gates.started))
        #expect(p.status(for: final) == .encoding)
        #expect(arrives(wakes), "the image was encoded while the live frame's encode still ran")
        #expect(named(p.status(for: final)) == "PIC2:20x10")
    }

    @Test func aThumbnailBeingMadeDoesNotHoldBackThePreview() throws {
        let p = presenter()
        let tile = ImagePresenter.Request(path: try picture(3), rect: Rect(x: 30, y: 1, width: 10, height: 5), thumbnail: true)
        let final = ImagePresenter.Request(path: try picture(4), rect: preview)
        gates.hold("PIC3@60")
        defer { gates.release("PIC3@60") }
        _ = p.status(for: tile)
        #expect(arrives(gates.started))
        _ = p.status(for: final)
        #expect(arrives(wakes))
        #expect(named(p.status(for: final)) == "PIC4:20x10")
    }

    @Test func liveFramesNewestWinsAndTheLastFinishedStaysDrawn() throws {
        let p = presenter()
        let frames = try (5...8).map { ImagePresenter.Request(path: try picture($0), rect: preview, live: true) }
        gates.hold("PIC5@120")
        #expect(p.status(for: frames[0]) == .encoding)
        #expect(arrives(gates.started))
        #expect(p.status(for: frames[1]) == .encoding)            // nothing finished yet
        gates.hold("PIC7@120")
        #expect(p.status(for: frames[2]) == .encoding)            // replaces frame 6, which never starts
        gates.release("PIC5@120")
        #expect(arrives(wakes))
        #expect(arrives(gates.started))                             // frame 7 began
        #expect(gates.order == ["PIC5@120", "PIC7@120"])
        // Frame 7 is still being encoded: frame 5 stays on screen, for frame 8 too.
        #expect(named(p.status(for: frames[2])) == "PIC5:20x10")
        #expect(named(p.status(for: frames[3])) == "PIC5:20x10")
        let term = ModelTerminal(columns: 40, rows: 14)
        p.prepare(term, showing: [frames[3]]) { _ in false }
        p.present(term, showing: [frames[3]])
        #expect(term.writes == 1)
        gates.release("PIC7@120")
        #expect(arrives(wakes))                                      // frame 7 done; frame 8 (queued after it) follows
        #expect(arrives(wakes))
        #expect(gates.order == ["PIC5@120", "PIC7@120", "PIC8@120"])
        #expect(named(p.status(for: frames[3])) == "PIC8:20x10")
        p.prepare(term, showing: [frames[3]]) { _ in false }      // the newer frame replaces the drawn one
        term.draw()
        p.present(term, showing: [frames[3]])
        #expect(term.writes == 2 && term.owners(in: Rect(x: 1, y: 1, width: 20, height: 10)) == ["PIC8"])
        // The frame that was replaced while waiting is made when it is asked for again, not left "encoding".
        _ = p.status(for: frames[1])
        #expect(arrives(wakes))
        #expect(named(p.status(for: frames[1])) == "PIC6:20x10")
    }

    @Test func aSlowPictureShowsADraftFirstThenTheFullOne() throws {
        let p = presenter(draftAbove: 1000)                         // 120×120 px fitted: slow
        let final = ImagePresenter.Request(path: try picture(9), rect: preview)
        gates.hold("PIC9@120")
        #expect(p.status(for: final) == .encoding)
        #expect(arrives(wakes), "the draft was shown before the full encode finished")
        #expect(named(p.status(for: final)) == "PIC9:10x5")         // half the box: 60×65 px
        let term = ModelTerminal(columns: 40, rows: 14)
        p.prepare(term, showing: [final]) { _ in false }
        term.draw()
        p.present(term, showing: [final])
        #expect(term.owners(in: Rect(x: 6, y: 3, width: 10, height: 5)) == ["PIC9"])
        gates.release("PIC9@120")
        #expect(arrives(wakes))
        #expect(named(p.status(for: final)) == "PIC9:20x10")
        p.prepare(term, showing: [final]) { _ in false }
        term.draw()
        p.present(term, showing: [final])
        #expect(term.writes == 2 && term.scrubbed == [Rect(x: 6, y: 3, width: 10, height: 5)])
        #expect(gates.order == ["PIC9@60", "PIC9@120"])
    }

    @Test func aQuickPictureIsEncodedOnceWithoutADraft() throws {
        let p = presenter(draftAbove: 120 * 120)                    // exactly at the limit: quick enough
        let final = ImagePresenter.Request(path: try picture(10), rect: preview)
        _ = p.status(for: final)
        #expect(arrives(wakes))
        #expect(named(p.status(for: final)) == "PIC10:20x10")
        #expect(gates.order == ["PIC10@120"])
    }
}
