import Dispatch
import EaselImaging
import Synchronization

/// Where pictures are encoded, so that no picture waits behind a slow one.
///
/// Every picture slot (the cells a picture is drawn in) has two lanes, one for live frames and one for stills
/// (a job's image, the history thumbnail); gallery tiles share one thumbnail lane. A lane runs one encode at a
/// time on its own thread, and keeps only the newest picture waiting: a newer request replaces the one queued
/// (the replaced one is encoded again if it is asked for again). So live frames are paced by encode completion,
/// the final image of a job never waits for a live frame or a thumbnail, and scrolling through the history never
/// leaves a backlog. An encode may run in two steps (a quick draft, then the full picture); between them, a newer
/// request in the lane goes first and the older picture keeps its draft.
final class PictureLanes: Sendable {
    /// What a slot can show: a finished encode and its serial number (each encode gets a new one, so the
    /// presenter can tell a replaced picture from the one it drew without comparing bytes).
    struct Finished: Sendable { let serial: UInt64; let image: EncodedImage }
    enum Entry: Sendable {
        /// Asked for; `draft` is a quick smaller encode shown meanwhile; `active` is false once a newer request
        /// replaced it in its lane (the next `status` queues it again).
        case pending(draft: Finished?, active: Bool)
        case ready(Finished)
        case failed(String)
    }
    struct Key: Hashable, Sendable {
        let path: String
        let box: PixelSize
        var thumbnail = false
        /// The slot (cells) the picture is for.
        let rect: Rect
        var live = false
        /// The colour a picture's last cell row is filled with (``GraphicsProtocol/encode(_:fitting:cell:filling:)``).
        var fill = RGB(0, 0, 0)
    }
    private enum LaneID: Hashable { case slot(Rect, live: Bool), thumbnails }
    private struct Lane { var running = false; var waiting: [(Key, Work)] = [] }
    /// An encode: `draft` (a quick smaller picture, or nil when the full one is quick enough) then `full`.
    struct Work: Sendable {
        let draft: @Sendable () throws(GraphicsError) -> EncodedImage?
        let full: @Sendable () throws(GraphicsError) -> EncodedImage
    }
    private struct State {
        var entries: [Key: Entry] = [:]
        var lanes: [LaneID: Lane] = [:]
        /// The newest finished live frame per slot: shown while the next frame (or the job's image) is encoded.
        var lastLive: [Rect: Finished] = [:]
        var serial: UInt64 = 0
        /// Finished gallery thumbnails in the order they were made, so scrolling through thousands keeps
        /// only the latest `thumbnailLimit` encodings in memory (older ones are made again from disk).
        var thumbnailOrder: [Key] = []
    }
    static let thumbnailLimit = 256
    private let state = Mutex(State())
    private let wake: @Sendable () -> Void

    /// - Parameter wake: called from a lane's thread whenever a draft or a picture is finished.
    init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

    /// The picture to show for `key` now: its own (full or draft) when there is one, else the slot's last live
    /// frame when `key` is a live frame or the still that follows them; `nil` while nothing can be shown.
    /// Queues `make()` when `key` has no encode under way.
    func status(_ key: Key, make: () -> Work) -> (shown: Finished?, entry: Entry) {
        let (start, answer) = state.withLock { s -> (LaneID?, (Finished?, Entry)) in
            let entry = s.entries[key]
            switch entry {
            case .ready(let f)?:
                if !key.live { s.lastLive[key.rect] = nil }
                return (nil, (f, .ready(f)))
            case .failed(let m)?:
                return (nil, (nil, .failed(m)))
            case .pending(let draft, true)?:
                return (nil, (draft ?? s.lastLive[key.rect], .pending(draft: draft, active: true)))
            case .pending(let draft, false)?:
                s.entries[key] = .pending(draft: draft, active: true)
            case nil:
                s.entries[key] = .pending(draft: nil, active: true)
            }
            let draft: Finished? = if case .pending(let d, _)? = entry { d } else { nil }
            let lane = Self.lane(for: key)
            let startNow = Self.enqueue(key, make(), in: lane, &s)
            return (startNow ? lane : nil, (draft ?? s.lastLive[key.rect], .pending(draft: draft, active: true)))
        }
        if let start { run(start) }
        return answer
    }

    /// Removes the finished and failed entries made from `path` (pending ones finish as they would).
    func forget(_ path: String) {
        state.withLock { s in
            for (key, entry) in s.entries where key.path == path {
                if case .pending = entry { continue }
                s.entries[key] = nil
            }
            s.thumbnailOrder.removeAll { $0.path == path }
        }
    }

    private static func lane(for key: Key) -> LaneID { key.thumbnail ? .thumbnails : .slot(key.rect, live: key.live) }

    /// Adds `work` to `lane`; true when the lane was idle and must be started.
    private static func enqueue(_ key: Key, _ work: Work, in lane: LaneID, _ s: inout State) -> Bool {
        var l = s.lanes[lane] ?? Lane()
        if case .slot = lane {                      // newest wins: the one waiting is replaced
            for (old, _) in l.waiting { Self.drop(old, &s) }
            l.waiting = []
        }
        l.waiting.append((key, work))
        let idle = !l.running
        l.running = true
        s.lanes[lane] = l
        return idle
    }

    /// A request that will not be encoded now: it keeps its draft and is queued again when asked for.
    private static func drop(_ key: Key, _ s: inout State) {
        if case .pending(let draft?, _)? = s.entries[key] { s.entries[key] = .pending(draft: draft, active: false) }
        else { s.entries[key] = nil }
    }

    /// Runs `lane`'s waiting encodes one after another on a thread of its own, until none waits.
    private func run(_ lane: LaneID) {
        DispatchQueue(label: "easel.preview.encode", qos: .userInitiated).async { [self] in
            while let (key, work) = next(in: lane) {
                switch Result(catching: { () throws(GraphicsError) in try work.draft() }) {
                case .success(nil):
                    break
                case .success(let image?):
                    finish(key, .success(image), draft: true)
                    wake()
                    if newerWaits(in: lane, replacing: key) { continue }   // it keeps its draft
                case .failure(let error):
                    finish(key, .failure(error), draft: false)
                    wake()
                    continue
                }
                finish(key, Result(catching: { () throws(GraphicsError) in try work.full() }), draft: false)
                Memory.returnFreedPages()
                wake()
            }
        }
    }

    /// After a draft: whether a newer request waits in `lane` (a slot's, where the newest wins), in which case
    /// `key`'s full encode is dropped and made when it is asked for again.
    private func newerWaits(in lane: LaneID, replacing key: Key) -> Bool {
        state.withLock { s in
            guard case .slot = lane, !(s.lanes[lane]?.waiting.isEmpty ?? true) else { return false }
            Self.drop(key, &s)
            return true
        }
    }

    private func next(in lane: LaneID) -> (Key, Work)? {
        state.withLock { s in
            guard var l = s.lanes[lane], !l.waiting.isEmpty else { s.lanes[lane] = nil; return nil }
            let first = l.waiting.removeFirst()
            s.lanes[lane] = l
            return first
        }
    }

    /// Stores a finished step.
    private func finish(_ key: Key, _ result: Result<EncodedImage, GraphicsError>, draft: Bool) {
        state.withLock { s in
            s.serial += 1
            switch result {
            case .success(let image):
                let f = Finished(serial: s.serial, image: image)
                if draft { s.entries[key] = .pending(draft: f, active: true); return }
                s.entries[key] = .ready(f)
                if key.live { s.lastLive[key.rect] = f }
                if key.thumbnail {
                    s.thumbnailOrder.append(key)
                    if s.thumbnailOrder.count > Self.thumbnailLimit {
                        for k in s.thumbnailOrder.prefix(s.thumbnailOrder.count - Self.thumbnailLimit) { s.entries[k] = nil }
                        s.thumbnailOrder.removeFirst(s.thumbnailOrder.count - Self.thumbnailLimit)
                    }
                }
            case .failure(let e):
                s.entries[key] = .failed(e.message)
            }
        }
    }
}
