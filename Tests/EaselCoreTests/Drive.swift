import EaselCore
import Testing
import TestSupport

/// Gets a state where a reducer test needs it the way a user does (keys, then the service's answers),
/// asserting every effect on the way, so a setup step that orders something unexpected fails too.
/// The reducer tests in the files named `*ReducerTests.swift` build their states only through this.
enum Drive {
    static let ref = ImageRef(url: "http://svc/out.png")
    static let png = ImageData([0x89, 0x50])

    /// The request Enter freezes for `prompt` with the fixture's parameters (seed 42, 768×768, 30 steps).
    static func request(_ prompt: String, seed: UInt32 = 42) -> GenerationRequest { .fixture(prompt: prompt, seed: seed) }

    static func remote(_ id: Int) -> RemoteJobID { RemoteJobID("r\(id)") }

    static func saved(_ id: Int) -> SavedImage { SavedImage(path: "/g/\(id).png", width: 768, height: 768) }

    /// Types `text`: each key inserts text and orders nothing.
    static func type(_ s: inout AppState, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for c in text { #expect(reduce(&s, .key(.char(c))) == [], sourceLocation: sourceLocation) }
    }

    /// Presses `keys` in turn, none of which orders anything.
    static func press(_ s: inout AppState, _ keys: Key..., sourceLocation: SourceLocation = #_sourceLocation) {
        for k in keys { #expect(reduce(&s, .key(k)) == [], sourceLocation: sourceLocation) }
    }

    /// Replaces the prompt (C-u, then typing) and presses Enter: job `id` is sent at once.
    static func submit(_ s: inout AppState, _ prompt: String, id: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        press(&s, .ctrl("u"), sourceLocation: sourceLocation)
        type(&s, prompt, sourceLocation: sourceLocation)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(id), request(prompt), backend: "demo")], sourceLocation: sourceLocation)
    }

    /// Job `id`, sent, runs to the end: accepted done, downloaded, saved as `/g/<id>.png`.
    /// `next`: the effects that start what waited behind it.
    static func complete(_ s: inout AppState, id: Int, next: [Effect] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        let job = JobID(id)
        guard let request = s.job(job)?.request else { Issue.record("no job \(id)", sourceLocation: sourceLocation); return }
        #expect(reduce(&s, .submitted(job, remote(id), status: .completed(ref))) == [.download(job, ref, backend: "demo")], sourceLocation: sourceLocation)
        #expect(reduce(&s, .downloaded(job, png)) == [.save(job, png, request, remote: remote(id), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))], sourceLocation: sourceLocation)
        #expect(reduce(&s, .saved(job, saved(id))) == [.terminal(.notify(job))] + next, sourceLocation: sourceLocation)
    }

    /// A prompt editor state with `prompts` generated and finished, oldest first (jobs 1…n, exclusive mode).
    static func finished(_ prompts: [String], sourceLocation: SourceLocation = #_sourceLocation) -> AppState {
        var s = AppState.fixture()
        for (i, p) in prompts.enumerated() {
            submit(&s, p, id: i + 1, sourceLocation: sourceLocation)
            complete(&s, id: i + 1, sourceLocation: sourceLocation)
        }
        return s
    }

    /// Job `id` accepted by the service and reported running at `progress`: polling goes on every 2 s.
    static func running(_ s: inout AppState, id: Int, progress: Double? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let job = JobID(id)
        #expect(reduce(&s, .submitted(job, remote(id), status: .running(progress: progress)))
                == [.poll(job, remote(id), after: .seconds(2), backend: "demo")], sourceLocation: sourceLocation)
    }

    /// Moves the monotonic clock to `t0 + seconds` (the wall clock stays at 0, so gallery targets stay "now").
    static func tick(_ s: inout AppState, _ seconds: Double, effects: [Effect] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reduce(&s, .tick(t0 + .seconds(seconds), wallTime: 0)) == effects, sourceLocation: sourceLocation)
    }
}
