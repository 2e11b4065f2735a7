import EaselApp
import EaselCore
import EaselStore
import Foundation
import GRDB
import Testing

@Suite("The job journal")
struct JournalTests {
    func record(_ id: Int, session: Int, state: String = "complete", prompt: String = "p") -> JobRecord {
        let now = ContinuousClock.now
        let job = Job(id: JobID(id), request: .init(prompt: prompt, seed: UInt32(id % 1_000_000)),
                      state: .complete(SavedImage(path: "/g/\(id).png", width: 64, height: 64)),
                      remoteID: RemoteJobID("r\(id)"), createdAt: now, finishedAt: now, createdWallTime: Double(id))
        var r = JobRecord(job, backend: "demo", session: session, now: now, wallNow: Double(id) + 1)
        r.state = state
        return r
    }

    @Test func jobsRoundTripThroughTheJournalWithTheirState() throws {
        let journal = try Journal(directory: tempDir())
        var job = Job(id: JobID(journal.firstJobID), request: .init(prompt: "a fox", seed: 7), state: .complete(SavedImage(path: "/g/f.png", width: 768, height: 768)),
                      remoteID: RemoteJobID("abc"), createdAt: .now, finishedAt: .now, createdWallTime: 1_000)
        job.attempts = 2
        try journal.write([JobRecord(job, backend: "demo", session: journal.session, now: .now, wallNow: 1_010)])
        let back = try #require(try journal.history().first).job(now: .now, wallNow: 1_010)
        #expect(back.id == job.id && back.request == job.request && back.state == job.state && back.remoteID == job.remoteID)
        #expect(back.attempts == 2 && back.createdWallTime == 1_000)
        #expect(try journal.history(search: "FOX").count == 1)
        #expect(try journal.history(search: "7").count == 1)
        #expect(try journal.history(search: "wolf").isEmpty)
    }

    @Test func modelsPickedInTheStudioAndEachJobsModelSurviveReopening() throws {
        let dir = tempDir()
        let journal = try Journal(directory: dir)
        let sync = JournalSync(journal: journal, backend: "gpu")
        sync.syncPickedModels(["gpu": "a.safetensors"], wallTime: 1)           // what was there at start: not written
        sync.flush()
        #expect(try journal.pickedModels().isEmpty)
        sync.syncPickedModels(["gpu": "sd_xl_base_1.0.safetensors", "forge": "b [12ab]"], wallTime: 2)
        sync.syncPickedModels(["gpu": "flux1-dev.safetensors", "forge": "b [12ab]"], wallTime: 3)
        sync.flush()
        var request = GenerationRequest(prompt: "a fox", seed: 7)
        request.model = "flux1-dev.safetensors"
        let job = Job(id: JobID(journal.firstJobID), request: request, state: .pending, createdAt: .now, createdWallTime: 1_000)
        try journal.write([JobRecord(job, backend: "gpu", session: journal.session, now: .now, wallNow: 1_000)])
        let again = try Journal(directory: dir)
        #expect(try again.pickedModels() == ["gpu": "flux1-dev.safetensors", "forge": "b [12ab]"])
        #expect(try again.history(includingInFlight: true).first?.request.model == "flux1-dev.safetensors")
    }

    @Test func aPoolJobKeepsItsPoolAcrossARestartSoTResendsThroughThePool() throws {
        let dir = tempDir()
        let journal = try Journal(directory: dir)
        var job = Job(id: JobID(journal.firstJobID), request: .init(prompt: "a fox", seed: 7),
                      state: .failed(.network("Connection reset by peer (curl 56)")), createdAt: .now, finishedAt: .now, createdWallTime: 1_000)
        (job.backend, job.pool) = ("gpu1", "gpus")
        try journal.write([JobRecord(job, backend: "gpus", session: journal.session, now: .now, wallNow: 1_010)])
        let back = try #require(try Journal(directory: dir).history().first).job(now: .now, wallNow: 1_010)
        #expect(back.backend == "gpu1" && back.pool == "gpus")
        // The restarted studio: gpu1 holds a running job, so `t` on the failed one goes through the pool to gpu2.
        var s = AppState(backendName: "gpus", parameters: GenerationParameters(), seeds: SeedSource(seed: 1), now: .now)
        s.mode = .queue
        s.queue.pacer = RateLimitPacer(limit: 1000, window: .seconds(1))
        s.backends = ["gpu1", "gpu2"].map { BackendChoice(name: $0, summary: $0) }
            + [BackendChoice(name: "gpus", summary: "gpus — pool", pool: BackendPool(name: "gpus", members: ["gpu1", "gpu2"]))]
        s.backendKey = "gpus"
        var running = Job(id: JobID(journal.firstJobID + 1), request: .init(prompt: "b"), state: .running(progress: 0.5),
                          remoteID: RemoteJobID("r"), createdAt: .now, createdWallTime: 1_001, backend: "gpu1")
        running.pool = "gpus"
        _ = reduce(&s, .restored([back, running]))
        s.focus = .history
        s.history.selection = back.id
        #expect(reduce(&s, .key(.char("t"))) == [.submit(back.id, back.request, backend: "gpu2")])
        #expect(s.job(back.id)?.backend == "gpu2" && s.job(back.id)?.pool == "gpus")
    }

    @Test func searchTreatsLikeWildcardsAsPlainCharacters() throws {
        let journal = try Journal(directory: tempDir())
        try journal.write([record(1, session: journal.session, prompt: "a fox"),
                           record(2, session: journal.session, prompt: "100% red_sky"),
                           record(3, session: journal.session, prompt: "back\\slash")])
        #expect(try journal.history(search: "%").map(\.prompt) == ["100% red_sky"])
        #expect(try journal.history(search: "_").map(\.prompt) == ["100% red_sky"])
        #expect(try journal.history(search: "\\").map(\.prompt) == ["back\\slash"])
        #expect(try journal.history(search: "FOX").map(\.prompt) == ["a fox"])
    }

    @Test func severalProcessesOpeningANewJournalAtOnceAllSucceed() async throws {
        for _ in 0..<5 {
            let dir = tempDir()
            let sessions = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Int, any Error>) in
                            Thread { c.resume(with: Result { try Journal(directory: dir).session }) }.start()
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(sessions).count == 4)
        }
    }

    @Test func sessionsGetDisjointIdRanges() throws {
        let dir = tempDir()
        let a = try Journal(directory: dir), b = try Journal(directory: dir)
        #expect(a.session != b.session)
        #expect(abs(a.firstJobID - b.firstJobID) >= 1_000_000)
    }

    @Test func twoWritersAtOnceLoseNothing() async throws {
        let dir = tempDir()
        let a = try Journal(directory: dir), b = try Journal(directory: dir)
        let sa = a.session, sb = b.session
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for i in 0..<300 { try a.write([self.record(sa * 1_000_000 + i, session: sa)]) } }
            group.addTask { for i in 0..<300 { try b.write([self.record(sb * 1_000_000 + i, session: sb)]) } }
            try await group.waitForAll()
        }
        #expect(try a.count() == 600)
    }

    @Test func onlyJobsOfDeadSessionsAreResumedAndOnlyOnce() throws {
        let dir = tempDir()
        let old = try Journal(directory: dir)
        try old.write([record(old.firstJobID, session: old.session, state: "running"),
                       record(old.firstJobID + 1, session: old.session, state: "complete")])
        // The old session's process is alive (it is us): nothing to claim.
        let live = try Journal(directory: dir)
        #expect(try live.claimOrphans(backends: ["demo"]).claimed.isEmpty)
        // Make the old session look dead (a pid that cannot exist), as after a SIGKILL.
        let db = try DatabaseQueue(path: dir + "/easel.sqlite")
        try db.write { try $0.execute(sql: "UPDATE session SET pid = 4194304 WHERE id = ?", arguments: [old.session]) }
        let next = try Journal(directory: dir)
        let claimed = try next.claimOrphans(backends: ["demo"]).claimed
        #expect(claimed.map(\.id) == [old.firstJobID])
        #expect(claimed.first?.session == next.session)
        #expect(try Journal(directory: dir).claimOrphans(backends: ["demo"]).claimed.isEmpty)
    }

    @Test func resumingPollsJobsWithARemoteIdAndNeverResendsAnInterruptedSubmit() {
        var s = AppState(backendName: "d", now: .now)
        let running = Job(id: JobID(5), request: .init(prompt: "a"), state: .running(progress: nil), remoteID: RemoteJobID("r5"), createdAt: s.now)
        let sending = Job(id: JobID(6), request: .init(prompt: "b"), state: .submitting, createdAt: s.now)
        var fetching = Job(id: JobID(7), request: .init(prompt: "c"), state: .saving, remoteID: RemoteJobID("r7"), createdAt: s.now)
        fetching.imageRef = ImageRef(url: "http://x/7.png")
        let done = Job(id: JobID(4), request: .init(prompt: "d"), state: .canceled, createdAt: s.now, finishedAt: s.now)
        let effects = reduce(&s, .restored([running, sending, fetching, done]))
        #expect(effects == [.poll(JobID(5), RemoteJobID("r5"), after: .zero, backend: "demo"), .download(JobID(7), ImageRef(url: "http://x/7.png"), backend: "demo")])
        #expect(s.job(JobID(6))?.state.label == "failed")
        #expect(Array(s.historyRows).contains { $0.id == JobID(4) })
    }

    @Test func aFileOfGarbageIsMovedAsideNeverDeletedAndANewJournalStarts() throws {
        let dir = tempDir()
        let garbage = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: dir + "/easel.sqlite"))
        let journal = try Journal(directory: dir)
        let recovery = try #require(journal.recovery)
        let aside = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("easel.sqlite.corrupt-") }
        #expect(aside.count == 1)
        #expect(recovery.contains("\(dir)/easel.sqlite was not a readable SQLite database"), "\(recovery)")
        #expect(recovery.contains("moved it to \(dir)/\(aside.first ?? "?")"), "\(recovery)")
        #expect(journal.movedAsideTo == "\(dir)/\(aside.first ?? "?")")
        #expect(FileManager.default.contents(atPath: dir + "/" + (aside.first ?? "")) == garbage)
        try journal.write([record(journal.firstJobID, session: journal.session)])
        #expect(try journal.count() == 1)
        // The next open finds a good journal: nothing to recover.
        #expect(try Journal(directory: dir).recovery == nil)
    }

    @Test func aDamagedPageIsMovedAsideToo() throws {
        let dir = tempDir()
        let first = try Journal(directory: dir)
        try first.write((0..<400).map { record(first.firstJobID + $0, session: first.session, prompt: String(repeating: "p", count: 200)) })
        let db = try DatabaseQueue(path: dir + "/easel.sqlite")
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try db.close()
        // Overwrite every page after the first (the header and schema) with garbage:
        // SQLite opens the file, then says "database disk image is malformed" when it reads a table.
        let size = try #require(FileManager.default.attributesOfItem(atPath: dir + "/easel.sqlite")[.size] as? Int)
        let handle = try #require(FileHandle(forUpdatingAtPath: dir + "/easel.sqlite"))
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0xA5, count: size - 4096))
        try handle.close()
        for suffix in ["-wal", "-shm"] { unlink(dir + "/easel.sqlite" + suffix) }
        let journal = try Journal(directory: dir)
        let recovery = try #require(journal.recovery, "the damaged journal was kept in use")
        #expect(recovery.contains("not a readable SQLite database (database disk image is malformed)"), "\(recovery)")
        #expect(try journal.count() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasPrefix("easel.sqlite.corrupt-") })
    }

    @Test func aJournalLockedByAnotherConnectionIsAStorageErrorThatSaysSo() async throws {
        let dir = tempDir()
        _ = try Journal(directory: dir)
        let other = try DatabaseQueue(path: dir + "/easel.sqlite")
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            Thread {
                c.resume(with: Result {
                    try other.inTransaction(.exclusive) { _ in
                        let start = ContinuousClock.now
                        do {
                            _ = try Journal(directory: dir)
                            Issue.record("opened a journal locked by another connection")
                        } catch {
                            #expect(error as? JobError == .storage("\(dir)/easel.sqlite is locked by another program (waited 5 s): close it, or use --state-dir for a separate journal"))
                            #expect(ContinuousClock.now - start >= .seconds(4), "did not wait for the lock")
                        }
                        return .rollback
                    }
                })
            }.start()
        }
        #expect(try Journal(directory: dir).recovery == nil)
    }

    @Test func anUnwritableStateFolderIsAStorageErrorWithThePath() {
        #expect(throws: JobError.self) { try Journal(directory: "/proc/easel-state") }
    }
}

@Suite("Journal sync")
struct JournalSyncTests {
    @Test func starsAreKeptAndDeletedJobsLeaveTheJournal() throws {
        let journal = try Journal(directory: tempDir())
        let sync = JournalSync(journal: journal, backend: "demo")
        var s = AppState(backendName: "demo", now: .now)
        s.queue.nextJobID = journal.firstJobID
        s.mode = .queue
        for (i, p) in ["a", "b"].enumerated() {      // queue mode, one slot: the first is sent, the second waits
            s.editor.prompt = PromptEditor(p)
            let sent = reduce(&s, .key(.enter))
            #expect(sent == (i == 0 ? [.submit(s.jobs[0].id, s.jobs[0].request, backend: "demo")] : []))
        }
        for (i, job) in s.jobs.enumerated() {       // each failure announces the job and sends the next
            let next = s.jobs.dropFirst(i + 1).first.map { [Effect.submit($0.id, $0.request, backend: "demo")] } ?? []
            #expect(reduce(&s, .failed(job.id, .network("x"), during: .submit)) == [.terminal(.notify(job.id))] + next)
        }
        s.queue.jobs[0].starred = true
        sync.sync(s)
        sync.flush()
        #expect(try journal.history().count == 2)
        #expect(try journal.history().first { $0.prompt == "a" }?.starred == true)
        s.queue.jobs.removeFirst()
        sync.sync(s)
        sync.flush()
        #expect(try journal.history().map(\.prompt) == ["b"])
    }

    @Test func aBatchThatLeftTheJobListAsItWasComparesNoJobAndAChangeIsStillWritten() throws {
        let journal = try Journal(directory: tempDir())
        let sync = JournalSync(journal: journal, backend: "demo")
        var s = AppState(backendName: "demo", now: .now)
        s.queue.nextJobID = journal.firstJobID
        s.mode = .queue
        for p in ["a", "b", "c"] {
            s.editor.prompt = PromptEditor(p)
            #expect(reduce(&s, .key(.enter)).count == (p == "a" ? 1 : 0))   // the first is sent, the rest wait for its slot
        }
        sync.sync(s)
        #expect(sync.jobsCompared == 3)
        for key in "typing".map(Key.char) {                   // keystrokes: the job list is the same array
            #expect(reduce(&s, .key(key)) == [])
            #expect(reduce(&s, .tick(s.now + .milliseconds(100), wallTime: 0)) == [])
            sync.sync(s)
        }
        #expect(sync.jobsCompared == 3)
        s.queue.jobs[1].starred = true                              // changed in place
        sync.sync(s)
        sync.flush()
        #expect(sync.jobsCompared == 6)
        #expect(try journal.history(includingInFlight: true).first { $0.prompt == "b" }?.starred == true)
    }
}
