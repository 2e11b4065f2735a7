import EaselApp
import EaselBackends
import EaselCore
import EaselStore
import FakeServices
import Foundation
import Synchronization
import Testing

/// A pool of three fake job servers of different speeds on loopback (port 0), driven by the same
/// headless loop as `easel generate --backend gpus -`. The servers' own logs count the submits.
@Suite("A backend pool against three servers on loopback", .serialized)
struct PoolLoopbackTests {
    /// Three members, fast to slow in polls per job; `members` is the pool's order.
    static func fakes() -> [String: FakeJobAPI] {
        ["fast": FakeJobAPI(idPrefix: "fast-", runningPolls: 1), "mid": FakeJobAPI(idPrefix: "mid-", runningPolls: 3),
         "slow": FakeJobAPI(idPrefix: "slow-", runningPolls: 6)]
    }

    static func state(members: [String], strategy: PoolStrategy = .leastBusy, slots: [String: Int] = [:]) -> AppState {
        var s = AppState(backendName: "gpus", pollPolicy: PollPolicy(interval: .milliseconds(20), deadline: .seconds(60)),
                         parameters: GenerationParameters(width: 8, height: 8, seed: 1, steps: 1), seeds: SeedSource(seed: 3), now: .now)
        s.queue.concurrency = 1
        s.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
        s.backends = members.map { BackendChoice(name: $0, summary: $0, concurrency: slots[$0]) }
            + [BackendChoice(name: "gpus", summary: "gpus — pool", pool: BackendPool(name: "gpus", members: members, strategy: strategy))]
        s.backendKey = "gpus"
        return s
    }

    static func runner(_ fakes: [String: FakeJobAPI], urls: [String: String]) -> (@escaping @Sendable (Action) -> Void) -> EffectRunner {
        { send in
            EffectRunner(backends: urls.mapValues { SeedJobAPI(baseURL: $0) as any GenerationBackend },
                         gallery: Gallery(directory: tempDir()), send: send)
        }
    }

    static func start(_ fakes: [String: FakeJobAPI]) async throws -> [String: String] {
        var urls: [String: String] = [:]
        for (name, fake) in fakes {
            try await fake.start()
            urls[name] = await fake.baseURL
        }
        return urls
    }

    static func stopAll(_ fakes: [String: FakeJobAPI]) async { for fake in fakes.values { await fake.stop() } }

    /// Prompts each server received, by server name.
    static func received(_ fakes: [String: FakeJobAPI]) async -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (name, fake) in fakes { out[name] = await fake.received.map(\.prompt) }
        return out
    }

    @Test func thirtyJobsOnThreeServersOfDifferentSpeedsAllCompleteNoneLostOrDuplicated() async throws {
        let fakes = Self.fakes()
        let urls = try await Self.start(fakes)
        try await withTeardown({ await Self.stopAll(fakes) }) {
            let prompts = (1...30).map { "harbour \($0)" }
            let outcome = await Headless.run(prompts: prompts, state: Self.state(members: ["slow", "mid", "fast"]),
                                             makeRunner: Self.runner(fakes, urls: urls))
            #expect(outcome.jobs.count == 30 && outcome.jobs.allSatisfy { if case .complete = $0.state { true } else { false } })
            let got = await Self.received(fakes)
            let all = got.values.flatMap { $0 }
            #expect(all.count == 30 && Set(all) == Set(prompts), "each prompt submitted exactly once: \(got)")
            // Each job names the member that ran it, and that member's log has its prompt.
            for job in outcome.jobs {
                #expect(job.pool == "gpus")
                #expect(got[job.backend ?? ""]?.contains(job.request.prompt) == true, "\(job.id) on \(job.backend ?? "-")")
            }
            // Spread by speed: the fast member runs more jobs than the slow one, and every member runs some.
            #expect(got.values.allSatisfy { !$0.isEmpty })
            #expect(got["fast"]!.count > got["slow"]!.count, "\(got.mapValues(\.count))")
        }
    }

    @Test func aKilledMembersAcceptedJobIsNeverResentElsewhereAndTheRestComplete() async throws {
        let fakes = Self.fakes()
        let urls = try await Self.start(fakes)
        try await withTeardown({ await Self.stopAll(fakes) }) {
            // Job 1 goes first to "slow" (listed first) and stays processing there until the server dies.
            let prompts = ["held [[running]]"] + (2...30).map { "harbour \($0)" }
            let slow = fakes["slow"]!
            let killed = Mutex(false)
            let outcome = await Headless.run(
                prompts: prompts, state: Self.state(members: ["slow", "mid", "fast"]), makeRunner: Self.runner(fakes, urls: urls),
                progress: { line in
                    guard line.hasPrefix("job 1/30: processing"), line.contains("on slow"),
                          killed.withLock({ let first = !$0; $0 = true; return first }) else { return }
                    Task { await slow.stop() }                       // killed while it runs job 1
                })
            let got = await Self.received(fakes)
            #expect(killed.withLock { $0 })
            // Job 1 was accepted by slow: it was never sent to another member; it failed with its usual category.
            #expect(got["slow"]!.contains(prompts[0]) && !got["mid"]!.contains(prompts[0]) && !got["fast"]!.contains(prompts[0]))
            guard case .failed(let error) = outcome.jobs[0].state else { Issue.record("\(outcome.jobs[0].state)"); return }
            #expect(error.kind == "network" && outcome.jobs[0].backend == "slow")
            // Every other job completed exactly once, none lost, none submitted twice.
            let rest = outcome.jobs.dropFirst()
            #expect(rest.allSatisfy { if case .complete = $0.state { true } else { false } }, "\(rest.map(\.state.label))")
            for prompt in prompts.dropFirst() {
                #expect(got.values.reduce(0) { $0 + $1.count { $0 == prompt } } == 1, "\(prompt): \(got)")
            }
        }
    }

    @Test func jobsAMemberThatCannotBeReachedNeverAcceptedMoveToTheOthers() async throws {
        let fakes = Self.fakes()
        let urls = try await Self.start(fakes)
        await fakes["slow"]!.stop()                                // dead before the run: every connect is refused
        try await withTeardown({ await Self.stopAll(fakes) }) {
            let prompts = (1...12).map { "harbour \($0)" }
            let outcome = await Headless.run(prompts: prompts, state: Self.state(members: ["slow", "mid", "fast"]),
                                             makeRunner: Self.runner(fakes, urls: urls))
            #expect(outcome.jobs.allSatisfy { if case .complete = $0.state { true } else { false } }, "\(outcome.jobs.map(\.state))")
            #expect(outcome.jobs.allSatisfy { $0.backend != "slow" })
            #expect(outcome.jobs[0].attempts == 2, "job 1 was tried on slow first, then moved")
            let got = await Self.received(fakes)
            #expect(got["slow"]!.isEmpty && got["mid"]!.count + got["fast"]!.count == 12)
        }
    }

    @Test func priorityNeverTouchesTheOverflowWhileTheFirstMemberHasFreeSlots() async throws {
        let fakes = Self.fakes()
        let urls = try await Self.start(fakes)
        try await withTeardown({ await Self.stopAll(fakes) }) {
            // "fast" has 3 slots and 3 prompts: the overflow ("slow") gets nothing.
            let outcome = await Headless.run(prompts: (1...3).map { "harbour \($0)" },
                                             state: Self.state(members: ["fast", "slow"], strategy: .priority, slots: ["fast": 3]),
                                             makeRunner: Self.runner(fakes, urls: urls))
            #expect(outcome.jobs.allSatisfy { if case .complete = $0.state { true } else { false } })
            let got = await Self.received(fakes)
            #expect(got["fast"]!.count == 3 && got["slow"]!.isEmpty)
        }
    }

    /// A member refusing every submit (429 with `Retry-After`, or 503 without): its job moves to the idle
    /// member at once; the refuser is paced and sees that job once, never again while it runs elsewhere.
    @Test(arguments: [(429, 2), (503, nil)] as [(Int, Int?)])
    func aJobARefusingMemberNeverAcceptedMovesToTheIdleMemberAndIsSentThereOnce(status: Int, retryAfter: Int?) async throws {
        let fakes = ["busy": FakeJobAPI(idPrefix: "busy-", refuseSubmits: (status, retryAfter)), "idle": FakeJobAPI(idPrefix: "idle-")]
        let urls = try await Self.start(fakes)
        try await withTeardown({ await Self.stopAll(fakes) }) {
            var state = Self.state(members: ["busy", "idle"], slots: ["idle": 3])
            state.pollPolicy.refusalDeadline = .seconds(5)           // as `easel generate`: without the move it fails
            let prompts = (1...3).map { "harbour \($0)" }
            let start = ContinuousClock.now
            let outcome = await Headless.run(prompts: prompts, state: state, makeRunner: Self.runner(fakes, urls: urls))
            #expect(outcome.jobs.allSatisfy { if case .complete = $0.state { true } else { false } }, "\(outcome.jobs.map(\.state))")
            #expect(outcome.jobs.allSatisfy { $0.backend == "idle" })
            let got = await Self.received(fakes)
            #expect(got["busy"] == ["harbour 1"], "one submit to the refuser: \(got)")
            #expect(got["idle"]!.sorted() == prompts, "each job once on the idle member: \(got)")
            #expect(ContinuousClock.now - start < .seconds(2), "no wait on the refuser's Retry-After")
        }
    }
}
