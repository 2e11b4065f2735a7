import Foundation
import Synchronization

/// A clock that moves only when the test calls `advance(by:)`. Sleepers wake in deadline order;
/// a cancelled sleeper throws `CancellationError` at once. `sleepsStarted` counts every `sleep`
/// begun, so a test can wait for "the worker is now waiting" as an event.
final class ManualClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        /// Time since the clock was made.
        var offset: Duration
        func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        let id: Int
        let deadline: Instant
        let resume: CheckedContinuation<Void, any Error>
    }

    private struct Inner {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var started = 0
        var nextID = 0
        var cancelled: Set<Int> = []
    }

    private let inner = Mutex(Inner())

    var now: Instant { inner.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// Sleeps begun so far (woken, cancelled or still waiting).
    var sleepsStarted: Int { inner.withLock { $0.started } }

    /// Deadlines of the sleepers still waiting, earliest first.
    var pendingDeadlines: [Instant] { inner.withLock { $0.sleepers.map(\.deadline).sorted() } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = inner.withLock { s in
            s.started += 1
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready: Result<Void, any Error>? = inner.withLock { s in
                    if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= s.now { return .success(()) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, resume: c))
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        } onCancel: {
            let sleeper: Sleeper? = inner.withLock { s in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else {
                    s.cancelled.insert(id)           // not registered yet: refuse it when it is
                    return nil
                }
                return s.sleepers.remove(at: i)
            }
            sleeper?.resume.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has come.
    func advance(by d: Duration) {
        let due: [Sleeper] = inner.withLock { s in
            s.now = s.now.advanced(by: d)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.resume.resume() }
    }

    /// Waits (polling every 5 ms of real time, at most `limit`) until `condition` holds.
    /// - Returns: false if it never did.
    func until(_ limit: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + limit
        while !condition() {
            if ContinuousClock.now > end { return false }
            do { try await Task.sleep(for: .milliseconds(5)) } catch { return false }
        }
        return true
    }
}
