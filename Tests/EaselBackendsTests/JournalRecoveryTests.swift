import EaselApp
import EaselCore
import EaselImaging
import EaselStore
import Foundation
import GRDB
import Testing

/// Nothing lost across a restart: every backend's orphans, stable state keys, the v1 migration,
/// unknown states, and messages that read the same before and after.
@Suite("The journal across restarts")
struct JournalRecoveryTests {
    /// A job of `backend` in `state`, written by a session whose process is gone.
    func orphan(_ journal: Journal, _ n: Int, backend: String, state: JobState, remote: String? = "r") -> JobRecord {
        let now = ContinuousClock.now
        let job = Job(id: JobID(journal.firstJobID + n), request: .init(prompt: "\(backend) \(n)", seed: UInt32(n)), state: state,
                      remoteID: remote.map { RemoteJobID("\($0)\(n)") }, createdAt: now, createdWallTime: 1_000 + Double(n),
                      backend: backend)
        return JobRecord(job, backend: backend, session: journal.session, now: now, wallNow: 1_100)
    }

    /// Makes `journal`'s session look dead (a pid that cannot exist), as after a SIGKILL.
    func kill(_ journal: Journal, in dir: String) throws {
        let db = try DatabaseQueue(path: dir + "/easel.sqlite")
        try db.write { try $0.execute(sql: "UPDATE session SET pid = 4194304 WHERE id = ?", arguments: [journal.session]) }
    }

    @Test func everyConfiguredBackendsJobsAreClaimedOnceWhateverTheirNamesSortAs() throws {
        let dir = tempDir()
        let old = try Journal(directory: dir)
        try old.write([orphan(old, 1, backend: "aaa", state: .running(progress: nil)),
                       orphan(old, 2, backend: "gpu", state: .queued(position: 1)),
                       orphan(old, 3, backend: "demo", state: .running(progress: nil)),
                       orphan(old, 4, backend: "demo", state: .pending, remote: nil),
                       orphan(old, 5, backend: "zzz", state: .running(progress: nil))])
        try kill(old, in: dir)

        let next = try Journal(directory: dir)
        let restore = try JournalRestore.load(from: next, backends: ["aaa", "demo", "gpu"], ephemeral: ["demo"], now: .now, wallNow: 2_000)
        let byPrompt = Dictionary(uniqueKeysWithValues: restore.jobs.map { ($0.request.prompt, $0) })
        #expect(byPrompt["aaa 1"]?.state.isActive == true && byPrompt["gpu 2"]?.state.isActive == true)
        // The embedded demo's server died with the process: a sent job cannot resume, an unsent one can.
        #expect(byPrompt["demo 3"]?.state == .failed(.network("interrupted: the demo backend stopped with the last Easel (t resends)")))
        #expect(byPrompt["demo 4"]?.state == .pending)
        #expect(byPrompt["zzz 5"] == nil)
        #expect(restore.warnings == ["1 job left in flight on backend \"zzz\", which this config does not have: kept in the journal until Easel runs with it"])
        // The failure is in the journal at once, not only on screen.
        let rows = try next.history(limit: nil, includingInFlight: true)
        #expect(rows.first { $0.prompt == "demo 3" }?.state == "failed")

        // A third process (the second still alive) claims nothing twice; one with "zzz" gets its job.
        let third = try Journal(directory: dir)
        #expect(try third.claimOrphans(backends: ["aaa", "demo", "gpu"]).claimed.isEmpty)
        let withZ = try third.claimOrphans(backends: ["zzz"])
        #expect(withZ.claimed.map(\.prompt) == ["zzz 5"] && withZ.unclaimed.isEmpty)
    }

    @Test func aJobWaitingOutA429KeepsItsRetryAfterAcrossARestartAndIsNotSentAtOnce() throws {
        let dir = tempDir()
        let old = try Journal(directory: dir)
        // Written at wall time 1_100 with the service's Retry-After ending 40 s later.
        try old.write([orphan(old, 1, backend: "gpu", state: .waiting(until: .now + .seconds(40)), remote: nil)])
        try kill(old, in: dir)
        let start = ContinuousClock.now
        let restore = try JournalRestore.load(from: try Journal(directory: dir), backends: ["gpu"], ephemeral: [], now: start, wallNow: 1_110)
        let job = try #require(restore.jobs.first)
        guard case .waiting(let until) = job.state else { Issue.record("the wait was dropped: \(job.state)"); return }
        #expect(abs((until - start - .seconds(30)).inSeconds) < 0.01, "\(until - start)")
        var s = AppState(backendName: "gpu", now: start)
        s.backendKey = "gpu"
        let effects = reduce(&s, .restored(restore.jobs))
        #expect(!effects.contains { if case .submit = $0 { true } else { false } }, "sent before its Retry-After: \(effects)")
        #expect(effects == [.timer(after: until - start)])
        #expect(s.jobs.first?.state == .waiting(until: until))
    }

    @Test func aJobCanceledWhileItsSubmitWasOutIsCanceledAfterARestartNotFailed() throws {
        let dir = tempDir()
        let old = try Journal(directory: dir)
        try old.write([orphan(old, 1, backend: "gpu", state: .canceling, remote: nil)])
        try kill(old, in: dir)
        let restore = try JournalRestore.load(from: try Journal(directory: dir), backends: ["gpu"], ephemeral: [], now: .now, wallNow: 2_000)
        #expect(restore.jobs.map(\.state) == [.canceled])
        #expect(restore.jobs.first?.finishedAt != nil)
    }

    @Test func statesAreStoredAsStableKeys() throws {
        let journal = try Journal(directory: tempDir())
        let states: [JobState] = [.pending, .waiting(until: .now), .submitting, .canceling, .queued(position: 2), .running(progress: 0.5),
                                  .downloading, .saving, .canceled, .failed(.notFound)]
        try journal.write(states.enumerated().map { orphan(journal, $0.offset, backend: "gpu", state: $0.element) })
        let stored = try journal.history(limit: nil, includingInFlight: true).map(\.state)
        #expect(Set(stored) == ["pending", "waiting", "submitting", "canceling", "queued", "running", "downloading", "saving", "canceled", "failed"])
    }

    @Test func aV1JournalIsMigratedAndItsCrashLeftoversResumeWithTheirMessages() throws {
        let dir = tempDir()
        let sql = try String(contentsOfFile: fixturePath("journal-v1.sql"), encoding: .utf8)
        try DatabaseQueue(path: dir + "/easel.sqlite").writeWithoutTransaction { try $0.execute(sql: sql) }

        let journal = try Journal(directory: dir)
        let raw = try DatabaseQueue(path: dir + "/easel.sqlite").read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, state FROM job").map { ($0["id"] as Int, $0["state"] as String) })
        }
        #expect(raw[2_000_003] == "running" && raw[2_000_004] == "waiting", "\(raw)")
        #expect(raw[1_000_001] == "complete" && raw[2_000_007] == "canceled")

        let restore = try JournalRestore.load(from: journal, backends: ["gpu", "demo"], ephemeral: ["demo"], now: .now, wallNow: 1_796_300_000)
        let byID = Dictionary(uniqueKeysWithValues: restore.jobs.map { ($0.id.rawValue, $0) })
        #expect(byID[2_000_003]?.state == .running(progress: nil) && byID[2_000_003]?.remoteID == RemoteJobID("job-abc"), "\(restore.jobs.map { ($0.id, $0.state) })")
        #expect(byID[2_000_004]?.state == .pending)
        // What v1 showed, shown again byte for byte.
        #expect(byID[2_000_005]?.state == .failed(.timedOut(after: .seconds(15))))
        #expect(byID[2_000_006]?.failureMessage == "server error 501: server error 500")
        #expect(byID[2_000_001]?.failureMessage == "server error 500: internal server error (injected fault)")
        #expect(byID[1_000_001]?.state == .complete(SavedImage(path: "/tmp/fx/g/2026-12-02/235130_a-lighthouse-at-dusk_42.png", width: 768, height: 768)))
        #expect(byID[2_000_007]?.starred == true)
    }

    @Test func aStateThisReleaseDoesNotKnowIsShownFailedAndNeverResent() throws {
        let dir = tempDir()
        let old = try Journal(directory: dir)
        var record = orphan(old, 1, backend: "gpu", state: .running(progress: nil))
        record.state = "upscaling"                       // what a later release might write
        try old.write([record])
        try kill(old, in: dir)

        let restore = try JournalRestore.load(from: try Journal(directory: dir), backends: ["gpu"], ephemeral: [], now: .now, wallNow: 2_000)
        let job = try #require(restore.jobs.first)
        guard case .failed(let error) = job.state else { Issue.record("\(job.state)"); return }
        #expect(error.kind == "journal")
        #expect(error.message.contains("\"upscaling\" is not one this Easel knows"), "\(error.message)")

        var state = AppState(backendName: "gpu", now: .now)
        let effects = reduce(&state, .restored(restore.jobs))
        #expect(effects.isEmpty, "a job in an unknown state was acted on: \(effects)")
        // `t` resumes the remote job it has (polling), never a new submission.
        state.focus = .history
        let retry = reduce(&state, .key(.char("t")))
        #expect(retry == [.poll(job.id, RemoteJobID("r1"), after: .zero, backend: "gpu")], "\(retry)")
    }

    static let everyCategory: [JobError] = [
        .invalidPrompt(reason: "invalid prompt: nested words"), .rateLimited(retryAfter: .seconds(40)), .rateLimited(retryAfter: nil),
        .unauthorized("bad key (key from environment variable X)"), .notFound, .timedOut(after: .seconds(15)),
        .network("network error: connection refused"), .server(status: 501, message: "server error 500"),
        .server(status: 503, message: ""), .inferenceFailed("CUDA out of memory"), .badResponse("bad response: not JSON"),
        .storage("could not save: /g: disk full"), .canceled, .journal("state \"x\" unknown"),
        .graph("Prompt outputs failed validation; SaveImage (node 2): Exception when validating node: '99' — an input links to node '99'"),
        .graph("graph error: nested"),
    ]

    @Test(arguments: everyCategory)
    func aFailureReadsTheSameAfterARestart(_ error: JobError) throws {
        let journal = try Journal(directory: tempDir())
        let record = orphan(journal, 1, backend: "gpu", state: .failed(error))
        try journal.write([record])
        let back = try #require(try journal.history().first).job(now: .now, wallNow: 1_200)
        #expect(back.failureMessage == error.message)
        #expect(back.state == .failed(error))
    }

    @Test func historyListsJobsInFlightAndLimitNilMeansAll() throws {
        let journal = try Journal(directory: tempDir())
        try journal.write((0..<5).map { orphan(journal, $0, backend: "gpu", state: $0 < 2 ? .running(progress: nil) : .canceled) })
        #expect(try journal.history().count == 3)
        #expect(try journal.history(limit: nil, includingInFlight: true).count == 5)
        #expect(try journal.history(limit: 2, includingInFlight: true).map(\.prompt) == ["gpu 4", "gpu 3"])
    }

    @Test func readingAMissingJournalCreatesNothing() throws {
        let dir = tempDir() + "/missing/state"
        #expect(throws: JobError.self) { try Journal(directory: dir, readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: dir))
    }
}

extension JournalRecoveryTests {
    @Test func tAfterARestartSavesIntoTheGalleryAndDateFolderTheJobWasMadeFor() async throws {
        let png = try ImageCodec.encodePNG(RGBAImage(width: 12, height: 6, pixels: [UInt8](repeating: 90, count: 12 * 6 * 4)))
        let dir = tempDir(), first = dir + "/first-gallery", second = dir + "/second-gallery"
        let pending = PendingImages(directory: dir + "/pending")
        // Run 1 (gallery `first`): Enter, and the save fails; the image waits in pending/.
        var one = AppState(backendName: "gpu", now: .now)
        one.galleryDirectory = first
        one.wallTime = 1_768_478_400                      // 2026-01-15 12:00 UTC
        one.editor.prompt = PromptEditor("a lighthouse")
        let sent = reduce(&one, .key(.enter))
        let job = try #require(one.jobs.first)
        #expect(sent == [.submit(job.id, job.request, backend: "demo")])   // the frozen request, its random seed drawn already
        #expect(job.gallery == first)
        let journal = try Journal(directory: dir + "/state")
        var failed = job
        failed.state = .failed(.storage("\(first): disk full"))
        failed.remoteID = RemoteJobID("r1")
        try journal.write([JobRecord(failed, backend: "gpu", session: journal.session, now: one.now, wallNow: one.wallTime)])
        try pending.store(png, for: job.id)

        // Run 2 (gallery `second`): the job comes back from the journal and `t` saves it where run 1 would have.
        var two = AppState(backendName: "gpu", now: .now)
        two.galleryDirectory = second
        #expect(reduce(&two, .restored(try journal.history().map { $0.job(now: two.now, wallNow: 1_768_500_000) })) == [])
        two.focus = .history
        #expect(reduce(&two, .key(.char("t"))) == [.loadPending(job.id, fallback: nil, backend: "demo")])
        let effects = reduce(&two, .downloaded(job.id, ImageData(png)))
        #expect(effects == [.save(job.id, ImageData(png), job.request, remote: RemoteJobID("r1"),
                                  target: GalleryTarget(directory: first, wallTime: 1_768_478_400), backend: "demo")])
        let saved = await outcome(of: effects[0], gallery: Gallery(directory: second), pending: pending)
        guard case .saved(_, let image)? = saved else { Issue.record("\(String(describing: saved))"); return }
        var t = time_t(1_768_478_400), tm = tm()
        localtime_r(&t, &tm)
        let day = String(format: "%04d-%02d-%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday))
        #expect(image.path.hasPrefix(first + "/" + day + "/"), "\(image.path)")
        #expect(!FileManager.default.fileExists(atPath: second))
    }
}

extension JournalRecoveryTests {
    @Test func aBatchInterruptedAfterItsFirstImageFinishesEveryImageAfterARestart() throws {
        let dir = tempDir()
        let old = try Journal(directory: dir)
        let refs = (1...3).map { ImageRef(url: "http://gpu/img\($0).png") }
        let first = SavedImage(path: "/g/one.png", width: 64, height: 64)
        var job = Job(id: JobID(old.firstJobID), request: .init(prompt: "three of them", seed: 5), state: .downloading,
                      remoteID: RemoteJobID("r"), createdAt: .now, createdWallTime: 1_000, backend: "gpu")
        job.imageRefs = refs
        job.savedImages = [first]
        job.imageRef = refs[1]
        try old.write([JobRecord(job, backend: "gpu", session: old.session, now: .now, wallNow: 1_001)])
        try kill(old, in: dir)

        let restore = try JournalRestore.load(from: try Journal(directory: dir), backends: ["gpu"], ephemeral: [], now: .now, wallNow: 2_000)
        let back = try #require(restore.jobs.first)
        #expect(back.imageRefs == refs && back.savedImages == [first])
        var state = AppState(backendName: "gpu", now: .now)
        #expect(reduce(&state, .restored(restore.jobs)) == [.download(back.id, refs[1], backend: "gpu")])
        #expect(reduce(&state, .downloaded(back.id, ImageData([1]))) == [.save(back.id, ImageData([1]), back.request, remote: RemoteJobID("r"), index: 2, target: back.galleryTarget, backend: "gpu", timings: JobTimings(elapsed: nil, download: .zero))])
        let second = SavedImage(path: "/g/two.png", width: 64, height: 64)
        #expect(reduce(&state, .saved(back.id, second)) == [.download(back.id, refs[2], backend: "gpu")])
        #expect(reduce(&state, .downloaded(back.id, ImageData([2]))) == [.save(back.id, ImageData([2]), back.request, remote: RemoteJobID("r"), index: 3, target: back.galleryTarget, backend: "gpu", timings: JobTimings(elapsed: nil, download: .zero))])
        #expect(reduce(&state, .saved(back.id, SavedImage(path: "/g/three.png", width: 64, height: 64))) == [.terminal(.notify(back.id))])
        #expect(state.job(back.id)?.state == .complete(first))
        #expect(state.job(back.id)?.savedImages.map(\.path) == ["/g/one.png", "/g/two.png", "/g/three.png"])
    }
}

extension Job {
    /// The message of a failed job, nil otherwise.
    var failureMessage: String? {
        if case .failed(let e) = state { return e.message }
        return nil
    }
}

/// `Tests/Fixtures/NAME` in the source tree.
func fixturePath(_ name: String) -> String {
    let parts = #filePath.split(separator: "/")
    return "/" + parts.dropLast(2).joined(separator: "/") + "/Fixtures/" + name
}
