import EaselCore
import EaselTerminal
@testable import EaselUI
import Testing
import TestSupport

/// The loop's `PaneCache`: a pane whose inputs did not change is copied from the last frame, never drawn
/// again, and the copy is the frame a full render gives. Counted in draws, not timed.
@Suite("Panes drawn only when their inputs change")
struct PaneCacheTests {
    static let size = CellSize(columns: 120, rows: 36)
    static let cell = PixelSize(width: 10, height: 20)

    /// A state with `count` finished jobs (every 7th failed), newest last, as the journal restores them
    /// (set directly: `.restored` also fills the prompt history, which 100,000 jobs would make slow).
    static func history(_ count: Int, focus: Pane = .prompt) -> AppState {
        var state = AppState.fixture(prompt: "a lighthouse")
        let jobs = (1...count).map { i in
            Job(id: JobID(i), request: .fixture(prompt: "harbour \(i)", seed: UInt32(i)),
                state: i % 7 == 0 ? .failed(.server(status: 502, message: "Bad Gateway")) : .complete(SavedImage(path: "/g/\(i).png", width: 768, height: 768)),
                createdAt: t0, finishedAt: t0 + .seconds(2), createdWallTime: 1_700_000_000 + Double(i))
        }
        state.queue.jobs = jobs
        state.focus = focus
        return state
    }

    func frame(_ state: AppState, cache: PaneCache?, status: @escaping (ImagePresenter.Request) -> PreviewStatus = { _ in .unavailable }) -> Frame {
        render(state, size: Self.size, cell: Self.cell, cache: cache, previewStatus: status)
    }

    @Test func typingInThePromptDrawsTheQueueHistoryAndPreviewPanesOnce() {
        var state = Self.history(500)
        let cache = PaneCache()
        _ = frame(state, cache: cache)
        for key in "dusk".map(Key.char) + [.backspace, .left] {
            #expect(reduce(&state, .key(key)) == [])          // editing orders nothing
            #expect(reduce(&state, .tick(t0 + .seconds(1), wallTime: 1_700_000_600)) == [])
            let cached = frame(state, cache: cache)
            #expect(cached.buffer == frame(state, cache: nil).buffer)
        }
        #expect(cache.draws == [.queue: 1, .history: 1, .preview: 1])
    }

    @Test func movingTheHistorySelectionRedrawsTheHistoryAndPreviewPanesOnly() {
        var state = Self.history(500, focus: .history)
        let cache = PaneCache()
        _ = frame(state, cache: cache)
        for key in [Key.down, .down, .up] {
            #expect(reduce(&state, .key(key)) == [])
            #expect(frame(state, cache: cache).buffer == frame(state, cache: nil).buffer)
        }
        #expect(cache.draws == [.queue: 1, .history: 4, .preview: 4])
    }

    @Test func aPictureWhoseEncodeEndedRedrawsThePaneThatAskedForIt() {
        let state = Self.history(3)
        let cache = PaneCache()
        var answer = PreviewStatus.encoding
        _ = frame(state, cache: cache, status: { _ in answer })
        #expect(frame(state, cache: cache, status: { _ in answer }).buffer.lines.contains { $0.contains("rendering preview…") })
        answer = .failed("not a PNG")
        let after = frame(state, cache: cache, status: { _ in answer })
        #expect(after.buffer.lines.contains { $0.contains("cannot preview: not a PNG") })
        #expect(cache.draws[.preview] == 2)
    }

    @Test func aRunningJobRedrawsItsPanesOnEveryTick() {
        var state = AppState.fixture(prompt: "a lighthouse")
        #expect(reduce(&state, .key(.enter)).count == 1)          // its submit
        #expect(reduce(&state, .submitted(JobID(1), RemoteJobID("r1"), status: .running(progress: 0.42))).count == 1)  // its first poll
        let cache = PaneCache()
        for ms in [100, 400, 700] {
            #expect(reduce(&state, .tick(t0 + .milliseconds(ms), wallTime: 0)) == [])
            #expect(frame(state, cache: cache).buffer == frame(state, cache: nil).buffer)
        }
        #expect(cache.draws[.queue] == 3 && cache.draws[.preview] == 3)
        #expect(cache.draws[.history] == 1)                     // finished jobs only: nothing there moves
    }

    @Test func aResizedScreenDrawsEveryPaneAgain() {
        let state = Self.history(20)
        let cache = PaneCache()
        _ = frame(state, cache: cache)
        let wide = render(state, size: CellSize(columns: 140, rows: 40), cell: Self.cell, cache: cache, previewStatus: { _ in .unavailable })
        #expect(wide.buffer == render(state, size: CellSize(columns: 140, rows: 40), cell: Self.cell, previewStatus: { _ in .unavailable }).buffer)
        #expect(cache.draws == [.queue: 2, .history: 2, .preview: 2])
    }
}
