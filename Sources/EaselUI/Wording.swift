import EaselCore
import EaselTerminal
import Glibc

/// Text shared by the views, so every pane says a state the same way.
enum Wording {
    static let spinner = ["◐", "◓", "◑", "◒"]

    static func spinnerFrame(_ job: Job, now: ContinuousClock.Instant) -> String {
        let ms = Int(job.elapsed(now: now).components.seconds * 1000 + job.elapsed(now: now).components.attoseconds / 1_000_000_000_000_000)
        return spinner[(ms / 250) % spinner.count]
    }

    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return s < 10 ? String(format: "%.1fs", s) : "\(Int(s))s"
    }

    static func clock(_ wall: Double) -> String {
        var t = time_t(wall)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }   // not String(format:): it is drawn per row per frame
        return two(parts.tm_hour) + ":" + two(parts.tm_min)
    }

    static func percent(_ p: Double?) -> String { p.map { "\(Int(($0 * 100).rounded(.down)))%" } ?? "" }

    static func glyph(_ state: JobState) -> String {
        switch state {
        case .pending, .waiting, .submitting, .canceling, .queued: "·"
        case .running, .downloading, .saving: "◐"
        case .complete: "✓"
        case .failed: "✗"
        case .canceled: "⊘"
        }
    }

    static func role(_ state: JobState) -> Role {
        switch state {
        case .pending, .waiting, .submitting, .canceling, .queued: .jobQueued
        case .running, .downloading, .saving: .jobRunning
        case .complete: .jobComplete
        case .failed, .canceled: .jobFailed
        }
    }

    /// Like `stateText`, plus the pacer's countdown for pending jobs ("pending — rate limit, next slot in 12s"),
    /// or what a pool's pending job waits for while every member is down (`AppState.poolWaitNote`).
    static func stateText(_ job: Job, in state: AppState) -> String {
        if let note = state.poolWaitNote(job) { return note }        // "waiting: all members down, next probe in 8s"
        if job.state == .pending, let ready = state.queue.pacerReadyAt, ready > state.now {
            return "pending — rate limit, next slot in \(Int((ready - state.now).components.seconds) + 1)s"
        }
        return stateText(job, now: state.now)
    }

    /// "processing 42% 12/30 ETA 4s" ("processing 40% KSampler 12/30 ETA 4s" when the service names the node and
    /// its steps, `Job.step`), "queued #2", "rate limited — retry in 3s", "submitting", "downloading 2/4"
    /// (the image in hand, of the several the service made).
    static func stateText(_ job: Job, now: ContinuousClock.Instant) -> String {
        switch job.state {
        case .queued(let position?): return "queued #\(position)"
        case .pending: return "pending"
        case .waiting(let until):
            let left = max(0, Int((until - now).components.seconds) + 1)
            return "rate limited — retry in \(left)s"
        case .running(let p?, _, _):
            var text: String
            if let step = job.step {
                let node = step.node.map { Sanitize.line(String($0.prefix(32))) + " " } ?? ""
                text = "processing \(percent(p)) \(node)\(step.step)/\(step.total)"
            } else {
                text = "processing \(percent(p)) \(Int(p * Double(job.request.steps)))/\(job.request.steps)"
            }
            if p > 0.05, let since = job.runningSince {
                let spent = now - since
                let left = spent * ((1 - p) / p)
                text += " ETA \(Int(left.components.seconds) + 1)s"
            }
            return text
        case .downloading, .saving:
            guard job.imageRefs.count > 1 else { return job.state.label }
            return "\(job.state.label) \(job.savedImages.count + 1)/\(job.imageRefs.count)"
        default: return job.state.label
        }
    }

    /// A progress bar `width` cells wide: `━` done, `─` to go.
    static func bar(_ p: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let filled = Int((min(1, max(0, p)) * Double(width)).rounded(.down))
        return String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
    }

    /// Prompt text on one line, sanitized.
    static func oneLine(_ s: String) -> String { Sanitize.line(s) }
}
