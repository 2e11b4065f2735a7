import Foundation

/// The generation step of a job: the configured `ServerGenerator` run on a task of its own (which a cancel
/// or `stop` cancels), its events turned into the job's status and event stream.
extension ReferenceServer {
    /// The outcome of one job: its PNG bytes or why it failed.
    typealias Outcome = Result<[UInt8], ServerGenerationError>

    /// The generator the queue runs: `Configuration.generator`, else the demo on `latency` and `clock`.
    var generator: any ServerGenerator {
        configuration.generator ?? SketchServerGenerator(latency: configuration.latency, clock: configuration.clock)
    }

    /// Runs `job` on the generator; `upstreamID` (recorded earlier from `.accepted`) resumes that upstream
    /// job instead of submitting. Returns when the generator does, or at once with `.canceled` when
    /// `cancelRunning` or `stop` cancels it.
    func produce(_ job: ServerJob, resume upstreamID: String?) async -> Outcome {
        let id = job.id, generator = generator, p = job.params
        let request = ServerGenerationRequest(id: id, prompt: p.prompt, negativePrompt: p.negativePrompt, width: p.width,
                                              height: p.height, seed: p.seed, steps: p.steps)
        let task = Task { () -> Outcome in
            do throws(ServerGenerationError) {
                return .success(try await generator.generate(request, resume: upstreamID) { [weak self] event in
                    await self?.record(id, event)
                })
            } catch { return .failure(error) }
        }
        running[id] = task
        defer {
            running[id] = nil
            if running.isEmpty { endIdleWaits() }
        }
        return await task.value
    }

    /// Cancels job `id`'s generation when it runs (a cancel route call).
    func cancelRunning(_ id: String) { running[id]?.cancel() }

    /// A generator event of job `id`, dropped once the job is no longer processing (a late progress tick).
    private func record(_ id: String, _ event: ServerGenerationEvent) {
        guard jobs[id]?.state == .processing else { return }
        switch event {
        case .accepted(let upstreamID):
            jobs[id]?.upstreamID = upstreamID
            log("accepted", job: id, ["upstream": upstreamID])
        case .progress(let step, let total):
            guard total > 0 else { return }
            let fraction = min(1, max(0, Double(step) / Double(total)))
            jobs[id]?.progress = fraction
            publish(id, "progress", ["progress": fraction, "step": min(max(0, step), total), "steps": total])
        }
    }
}
