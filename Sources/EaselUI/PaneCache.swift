import EaselCore
import EaselTerminal

/// What the loop keeps from one frame to the next, so that a pane whose inputs did not change is copied
/// from the last frame instead of drawn again: typing in the prompt redraws the prompt and the status bar,
/// not the history pane's rows of 100,000 jobs' window, nor the queue or the preview.
///
/// Each cached pane has a ``Key``: the state fields its view reads (the job list compares in O(1) while it
/// is the same array, the common case; `now` only while something on the pane moves with time). A pane is
/// copied when its key and rect are the ones of the last frame *and* the graphics layer still gives the
/// same answers to the pictures the pane asked about (an encode that finished redraws it).
///
/// Owned by the loop's thread, like the screen; not thread-safe. Use one cache per screen and keymap.
public final class PaneCache {
    /// The panes kept here.
    public enum Pane: Hashable, Sendable { case queue, history, preview }

    /// How many times each pane was drawn (not copied) since the cache was made: for tests and the bench.
    public private(set) var draws: [Pane: Int] = [:]
    private var memos: [Pane: Memo] = [:]

    public init() {}

    /// One pane as last drawn: its inputs, its cells, and the pictures it asked about.
    private struct Memo {
        let key: Key
        let rect: Rect
        let cells: [Cell]
        let asked: [(ImagePresenter.Request, PreviewStatus)]
        let picture: ImagePresenter.Request?
    }

    /// The picture requests a pane made while it was drawn, with the answers.
    private final class Asked { var list: [(ImagePresenter.Request, PreviewStatus)] = [] }

    /// The inputs of a pane: the fields of `AppState` its view reads, plus the view's own settings.
    struct Key: Equatable {
        var focused = false
        var jobs: [Job] = []
        var selection: JobID?
        var filter = "", filterEditing = false
        var backend = ""
        /// `now` while a shown time or animation moves (an active job, or a finished one without an end time).
        var clock: ContinuousClock.Instant?
        var pacerReadyAt: ContinuousClock.Instant?
        var covered = false
        var cell = PixelSize(width: 0, height: 0)
        var keymap: Keymap = .default
    }

    /// Whether `jobs` hold a job in flight / a finished job without an end time: one scan per job list.
    private var motion: (jobs: [Job], active: Bool, unended: Bool)?

    /// `now` when a pane showing `state.jobs` changes with time (a job in flight, or a finished one without an
    /// end time, whose elapsed time still grows), else nil. `finishedOnly`: for a pane that shows finished jobs.
    /// The scan is done again only when the job list is another one.
    func clock(_ state: AppState, finishedOnly: Bool = false) -> ContinuousClock.Instant? {
        let jobs = state.jobs                     // once: each `state.jobs` copies the queue state
        if motion.map({ $0.jobs != jobs }) ?? true {
            var active = false, unended = false
            for job in jobs {
                if job.state.isActive { active = true } else if job.finishedAt == nil { unended = true }
                if active && unended { break }
            }
            motion = (jobs, active, unended)
        }
        guard let motion else { return nil }
        return motion.unended || (motion.active && !finishedOnly) ? state.now : nil
    }

    /// Draws `pane` into `rect` with `draw`, or copies it from the last frame when `key`, `rect` and the
    /// answers of `status` to the pane's picture requests are unchanged.
    /// - Returns: what `draw` returned (the picture for the graphics layer), or what it returned last time.
    func pane(_ pane: Pane, key: Key, rect: Rect, status: @escaping (ImagePresenter.Request) -> PreviewStatus,
              into buffer: inout CellBuffer,
              draw: (_ status: @escaping (ImagePresenter.Request) -> PreviewStatus, _ buffer: inout CellBuffer) -> ImagePresenter.Request?)
        -> ImagePresenter.Request? {
        if let memo = memos[pane], memo.key == key, memo.rect == rect,
           memo.asked.allSatisfy({ status($0.0) == $0.1 }) {
            buffer.paste(memo.cells, in: rect)
            return memo.picture
        }
        let asked = Asked()
        let picture = draw({ request in
            let answer = status(request)
            asked.list.append((request, answer))
            return answer
        }, &buffer)
        draws[pane, default: 0] += 1
        memos[pane] = Memo(key: key, rect: rect, cells: buffer.cells(in: rect), asked: asked.list, picture: picture)
        return picture
    }
}
