import EaselCore
import EaselImaging

/// The procedural demo behind `easel serve` (the default generator): waits `latency` on `clock` (a wait a
/// cancel ends at once), reporting progress as it goes, then paints with `SketchGenerator` and encodes a PNG.
///
/// Progress: the job is cut into `min(steps, latency / 100 ms)` equal slices, one `.progress` per slice
/// boundary, timed on the continuous clock (as the status measures it); slices the ticker had not reached
/// when the wait on `clock` ended (a loaded machine, a manual clock) are reported before the picture, so a
/// stream sees every one. One step (or under 200 ms) reports none.
public struct SketchServerGenerator: ServerGenerator {
    public let latency: Duration
    public let clock: any Clock<Duration>

    public init(latency: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        self.latency = latency
        self.clock = clock
    }

    public var label: String { SketchGenerator.label }
    public var expectedDuration: Duration? { latency }

    public func generate(_ job: ServerGenerationRequest, resume upstreamID: String?,
                         events: @escaping @Sendable (ServerGenerationEvent) async -> Void) async throws(ServerGenerationError) -> [UInt8] {
        let slices = max(1, min(job.steps, Int(latency / .milliseconds(100))))
        let steps = job.steps, latency = latency, clock = clock
        let step: @Sendable (Int) -> Int = { slice in Int((Double(slice) / Double(slices) * Double(steps)).rounded(.down)) }
        let wait = Task { _ = try? await clock.sleep(for: latency, tolerance: nil) }
        let ticker = Task {
            var published = 0
            for slice in stride(from: 1, to: slices, by: 1) {
                do { try await Task.sleep(for: latency / slices) } catch { return published }
                await events(.progress(step: step(slice), of: steps))
                published = slice
            }
            return published
        }
        await withTaskCancellationHandler { await wait.value } onCancel: { wait.cancel() }
        ticker.cancel()
        let published = await ticker.value
        if Task.isCancelled { throw .canceled }
        for slice in stride(from: published + 1, to: slices, by: 1) { await events(.progress(step: step(slice), of: steps)) }
        let image = SketchGenerator().render(prompt: job.prompt, seed: job.seed, width: job.width, height: job.height)
        do {
            return try ImageCodec.encodePNG(image, text: [PNGText(key: "Software", text: "easel reference server - \(SketchGenerator.label)", international: false)])
        } catch {
            throw ServerGenerationError(.inferenceFailed, "could not encode the image: \(error.message)")
        }
    }
}
