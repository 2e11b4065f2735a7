import EaselCore
import Testing

/// The pool scheduler binds a starting job to one member: least-busy by share of slots, round-robin in
/// turn, priority filling the first member before overflowing; down, paced and full members are skipped;
/// a member that lists its models and lacks the job's is never chosen.
@Suite("Backend pool scheduling")
struct BackendPoolTests {
    func scheduler(_ strategy: PoolStrategy, _ members: [String] = ["gpu1", "gpu2", "cloud"]) -> PoolScheduler {
        PoolScheduler(pool: BackendPool(name: "gpus", members: members, strategy: strategy))
    }

    @Test func leastBusyPicksTheSmallestShareOfSlotsThenTheFirstListed() {
        var s = scheduler(.leastBusy)
        let loads = [PoolMemberLoad(name: "gpu1", slots: 2, busy: 1), PoolMemberLoad(name: "gpu2", slots: 4, busy: 1),
                     PoolMemberLoad(name: "cloud", slots: 8, busy: 2)]
        #expect(s.pick(from: loads) == .member("gpu2"))   // 1/4 ties 2/8: gpu2 is listed first
        let idle = loads.map { PoolMemberLoad(name: $0.name, slots: $0.slots) }
        #expect(s.pick(from: idle) == .member("gpu1"))
    }

    @Test func priorityNeverTouchesTheOverflowWhileTheFirstHasAFreeSlot() {
        var s = scheduler(.priority, ["gpu1", "cloud"])
        var busy = 0
        var picks: [PoolChoice] = []
        for _ in 0..<5 {
            let choice = s.pick(from: [PoolMemberLoad(name: "gpu1", slots: 3, busy: busy), PoolMemberLoad(name: "cloud", slots: 10)])
            picks.append(choice)
            if choice == .member("gpu1") { busy += 1 }
        }
        #expect(picks == [.member("gpu1"), .member("gpu1"), .member("gpu1"), .member("cloud"), .member("cloud")])
    }

    @Test func roundRobinTakesTurnsAndSkipsFullOrDownMembers() {
        var s = scheduler(.roundRobin)
        let free = ["gpu1", "gpu2", "cloud"].map { PoolMemberLoad(name: $0, slots: 1) }
        #expect((0..<4).map { _ in s.pick(from: free) } == [.member("gpu1"), .member("gpu2"), .member("cloud"), .member("gpu1")])
        let gpu2Down = [PoolMemberLoad(name: "gpu1", slots: 1, busy: 1), PoolMemberLoad(name: "gpu2", slots: 1, isDown: true),
                        PoolMemberLoad(name: "cloud", slots: 1)]
        #expect(s.pick(from: gpu2Down) == .member("cloud"))
        #expect(s.turn == 0)
    }

    @Test func aJobWaitsWhenEveryMemberIsFullDownOrPaced() {
        var s = scheduler(.leastBusy)
        let loads = [PoolMemberLoad(name: "gpu1", slots: 1, busy: 1), PoolMemberLoad(name: "gpu2", slots: 2, isDown: true),
                     PoolMemberLoad(name: "cloud", slots: 4, isPaced: true)]
        #expect(s.pick(from: loads) == .wait)
        #expect(s.pick(from: []) == .wait)
    }

    @Test func membersThatListTheModelArePreferredAndThoseLackingItNeverChosen() {
        var s = scheduler(.priority)
        let loads = [PoolMemberLoad(name: "gpu1", slots: 1, models: ["sd15.safetensors"]),
                     PoolMemberLoad(name: "gpu2", slots: 1, models: ["sdxl.safetensors"]),
                     PoolMemberLoad(name: "cloud", slots: 1)]
        #expect(s.pick(from: loads, model: "sdxl.safetensors") == .member("gpu2"))
        // gpu2 full: the member that does not list its models is tried; gpu1, which lacks it, never is.
        var full = loads
        full[1].busy = 1
        #expect(s.pick(from: full, model: "sdxl.safetensors") == .member("cloud"))
        full[2].busy = 1
        #expect(s.pick(from: full, model: "sdxl.safetensors") == .wait)
        let listed = Array(loads.prefix(2))
        #expect(s.pick(from: listed, model: "flux.safetensors") == .noMemberHasModel("flux.safetensors"))
    }

    @Test func aDownMemberIsProbedWithBackoffAndComesBackAtTheFirstAnswer() {
        let t0 = ContinuousClock.now
        var h = MemberHealth()
        #expect(!h.isDown && !h.probeDue(at: t0))
        h.markDown(at: t0, reason: "connection refused")
        #expect(h.isDown && h.nextProbe == t0 + .seconds(2) && !h.probeDue(at: t0 + .seconds(1)) && h.probeDue(at: t0 + .seconds(2)))
        var waits: [Duration] = []
        var now = t0
        for _ in 0..<7 {
            now = h.nextProbe!
            h.markDown(at: now, reason: "connection refused")
            waits.append(h.nextProbe! - now)
        }
        #expect(waits == [4, 8, 8, 8, 8, 8, 8].map { Duration.seconds($0) }, "capped: a member back is seen within 8 s")
        #expect(h.downSince == t0 && h.reason == "connection refused")
        h.markUp()
        #expect(!h.isDown && h.nextProbe == nil && h.failures == 0)
    }

    @Test func onlyJobsTheMemberNeverAcceptedMayMove() {
        let request = GenerationRequest(prompt: "harbour")
        func job(_ state: JobState, remote: String? = nil) -> Job {
            Job(id: JobID(1), request: request, state: state, remoteID: remote.map(RemoteJobID.init), createdAt: .now)
        }
        #expect(job(.pending).mayMoveToAnotherMember)
        #expect(job(.failed(.network("Failed to connect to 127.0.0.1 port 9 (curl 7)"))).mayMoveToAnotherMember)
        #expect(job(.failed(.network("Could not resolve host: gpu9 (curl 6)"))).mayMoveToAnotherMember)
        // A reset or a timeout after the request went out may have queued it: it stays.
        #expect(!job(.failed(.network("Connection reset by peer (curl 56)"))).mayMoveToAnotherMember)
        #expect(!job(.failed(.network("timed out: first byte"))).mayMoveToAnotherMember)
        #expect(!job(.running(progress: 0.5), remote: "r1").mayMoveToAnotherMember)
        #expect(!job(.failed(.network("Failed to connect (curl 7)")), remote: "r1").mayMoveToAnotherMember)
        #expect(!job(.failed(.server(status: 500, message: "boom"))).mayMoveToAnotherMember)
    }
}
