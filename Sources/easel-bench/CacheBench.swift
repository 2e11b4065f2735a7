import EaselTerminal
import Foundation
import Glibc
import Synchronization

/// The cache-hit figure: what the UI pays on every redraw once a preview is encoded.
struct CacheResult {
    let label: String
    /// The request's rect in cells and the pixel box it maps to.
    let cells: CellSize
    let box: PixelSize
    /// Cost of the first `status(for:)` (a miss: it inserts `.encoding` and queues the encode), the first
    /// in this process; and of a miss on a second presenter afterwards (encode threads already running).
    let missCall: Double
    let laterMissCall: Double
    /// First `status(for:)` until the presenter's `wake` fired: the background decode + encode.
    let coldEncode: Double
    /// Seconds per `status(for:)` call, one entry per timed batch.
    let hitSamples: [Double]
    let callsPerSample: Int
    /// Times `wake` was called in total (one per finished encode): 1 means no re-encode.
    let wakes: Int
    /// Calls after the first `.ready` that answered anything but the same `.ready`.
    let notReady: Int

    var hitMedian: Double { hitSamples.median ?? .nan }
    /// How many times cheaper a hit is than the cold encode.
    var speedup: Double { coldEncode / hitMedian }

    /// No re-encode: exactly one encode finished, every later call answered `.ready` from the cache,
    /// and a hit costs under 1/100 of an encode (a re-encode could not hide in that time).
    var noReencode: Bool { wakes == 1 && notReady == 0 && speedup >= 100 }

    var verdict: String {
        if wakes != 1 { return "\(wakes) encodes finished, expected 1" }
        if notReady > 0 { return "\(notReady) calls did not answer .ready from the cache" }
        if !(speedup >= 100) { return String(format: "a hit is only %.0f× cheaper than the encode", speedup) }
        return "1 encode; \(hitSamples.count * callsPerSample) hits all .ready; a hit is \(roughly(speedup))× "
            + "cheaper than the encode"
    }

    /// `x` to two significant digits with thousands separators: 1518972 → "1,500,000".
    private func roughly(_ x: Double) -> String {
        guard x.isFinite, x >= 1 else { return String(format: "%.2g", x) }
        let step = pow(10, max(0, floor(log10(x)) - 1))
        let n = Int((x / step).rounded() * step)
        let f = NumberFormatter()
        f.numberStyle = .decimal
        f.usesGroupingSeparator = true
        f.groupingSeparator = ","
        return f.string(from: NSNumber(value: n)) ?? "\(n)"
    }
}

/// Drives a real `ImagePresenter` (Sixel, 10×20 cells, a counting `wake`) through miss → ready → hits.
struct CacheBench {
    let config: PreviewConfig

    private final class WakeCounter: Sendable {
        let count = Atomic<Int>(0)
    }

    func run(path: String, label: String, timeout: Double = 120) throws -> CacheResult {
        let counter = WakeCounter()
        let presenter = ImagePresenter(graphics: Sixel(), cell: config.cell,
                                       wake: { counter.count.add(1, ordering: .sequentiallyConsistent) })
        let request = ImagePresenter.Request(path: path, rect: Rect(x: 0, y: 0, width: config.columns, height: config.rows))

        let t0 = Clock.now()
        let first = presenter.status(for: request)
        let missCall = Clock.now() - t0
        guard first == .encoding else { throw BenchError("first status(for:) answered \(first), expected .encoding") }
        while counter.count.load(ordering: .sequentiallyConsistent) == 0 {
            guard Clock.now() - t0 < timeout else { throw BenchError("no encode finished within \(Int(timeout)) s") }
            usleep(200)
        }
        let coldEncode = Clock.now() - t0
        let ready = presenter.status(for: request)
        guard case .ready = ready else { throw BenchError("after wake, status(for:) answered \(ready)") }

        var samples: [Double] = []
        var notReady = 0
        let sampleCount = max(config.runs, 7)
        for _ in 0..<sampleCount {
            let start = Clock.now()
            for _ in 0..<config.cacheBatch where presenter.status(for: request) != ready {
                notReady += 1
            }
            samples.append((Clock.now() - start) / Double(config.cacheBatch))
        }
        // A re-encode would have been queued by a miss; give any such encode time to finish and call wake.
        usleep(UInt32(min(2.0, coldEncode * 3) * 1e6))
        let wakes = counter.count.load(ordering: .sequentiallyConsistent)

        // A later miss, on a fresh presenter (its own cache and counter), once the process has encoded before.
        let second = WakeCounter()
        let other = ImagePresenter(graphics: Sixel(), cell: config.cell,
                                   wake: { second.count.add(1, ordering: .sequentiallyConsistent) })
        let t1 = Clock.now()
        _ = other.status(for: request)
        let laterMiss = Clock.now() - t1
        while second.count.load(ordering: .sequentiallyConsistent) == 0 && Clock.now() - t1 < timeout { usleep(200) }

        return CacheResult(label: label, cells: CellSize(columns: config.columns, rows: config.rows),
                           box: config.box, missCall: missCall, laterMissCall: laterMiss, coldEncode: coldEncode,
                           hitSamples: samples, callsPerSample: config.cacheBatch, wakes: wakes, notReady: notReady)
    }
}
