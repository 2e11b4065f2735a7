import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import Foundation

/// One backend adapter under fuzz: how to build it against the fuzz server, and the valid bodies its
/// service sends (the seeds the mutator starts from). `FuzzTests` drives every target in `FuzzTargets.all`.
struct FuzzTarget: Sendable {
    /// Shown in failures, e.g. "SeedJobAPI".
    let name: String
    /// The adapter, pointed at `baseURL` (the fuzz server), using `http`.
    let make: @Sendable (_ baseURL: String, _ http: HTTPClient) -> any GenerationBackend
    /// Well-formed response bodies of this service (submit replies, statuses, errors), in UTF-8 JSON.
    let seeds: [String]
}

/// The adapters the fuzz suite drives. A new backend adds one entry here (with its own seed bodies).
enum FuzzTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "SeedJobAPI", make: { SeedJobAPI(baseURL: $0, http: $1) }, seeds: [
            #"{"jobId":"abc-1","status":"processing"}"#,
            #"{"jobId":"abc-2"}"#,
            #"{"status":"processing","image":null,"progress":0.42}"#,
            #"{"status":"processing","image":null,"progress":0,"queue_position":3}"#,
            #"{"status":"queued","queue_position":1}"#,
            #"{"status":"completed","image":"/images/abc-1.png","progress":1}"#,
            #"{"status":"completed","image":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/eL9GtQAAAABJRU5ErkJggg=="}"#,
            #"{"status":"failed","image":null,"error":"out of memory"}"#,
            #"{"status":"canceled","error":"canceled"}"#,
            #"{"error":"prompt is required"}"#,
            #"{"error":"rate limit exceeded: 8/60s per IP; retry in 12s"}"#,
            #"{"jobId":"x","status":"processing","extra":{"nested":[1,2,{"deep":true}]}}"#,
        ]),
    ]
}
