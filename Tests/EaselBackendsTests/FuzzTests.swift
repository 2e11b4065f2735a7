import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import FakeServices
import FlyingFox
import Foundation
import Testing

/// Random and mutated server responses through every adapter in `FuzzTargets.all`, and mutated PNG/JPEG/WebP
/// bytes through `ImageCodec`. Each case must end in a valid outcome or a categorized `JobError`, within a
/// bounded time, and never crash. The adapters' decoders are fuzzed in process (`HTTPClient`'s `transport`
/// answers each request with the case's response: no socket); a few hundred cases per adapter also go over a
/// loopback server, so the real libcurl client, its redirects, encodings and error mapping run too. Seeded
/// (SplitMix64 `SeedSource`), so a failing case repeats: the failure names its case number.
/// `EASEL_FUZZ_CASES` overrides the in-process count (default 2,000 per adapter, 10,000 images). Serialized, and
/// each case yields: in process the cases are CPU work on the cooperative pool, which the suite must not
/// starve of threads while the other suites (servers, timeouts) run beside it.
@Suite("Fuzz: mutated server responses and image bytes", .serialized)
struct FuzzTests {
    static let cases = ProcessInfo.processInfo.environment["EASEL_FUZZ_CASES"].flatMap(Int.init) ?? 2_000
    /// Mutated images through `ImageCodec` (no adapter, no pool hops: fast).
    static let imageCases = max(cases, 10_000)
    /// Cases per adapter over loopback: the transport path, not the decoders, is what they cover.
    static let loopbackCases = 100
    static let seed: UInt64 = 0xEA5E_1F22

    static var clientConfig: EaselHTTP.HTTPClient.Configuration {
        var c = EaselHTTP.HTTPClient.Configuration()
        c.connectTimeout = .seconds(2)
        c.firstByteTimeout = .seconds(2)
        c.totalTimeout = .seconds(5)
        c.stallTimeout = .seconds(2)
        c.maxResponseBytes = 256 << 10
        c.maxRedirects = 3
        return c
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func mutatedResponsesEndInAValidStatusOrACategorizedError(target name: String) async throws {
        let target = try #require(FuzzTargets.all.first { $0.name == name })
        let feed = FuzzServer.Feed()
        let http = EaselHTTP.HTTPClient(configuration: Self.clientConfig, transport: { _ in await feed.current.response })
        // The address is never dialled: every request is answered by `transport`.
        try await fuzz(target, cases: Self.cases, base: "http://127.0.0.1:9", http: http, feed: feed, via: "in process")
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func mutatedResponsesOverLoopbackEndInAValidStatusOrACategorizedError(target name: String) async throws {
        let target = try #require(FuzzTargets.all.first { $0.name == name })
        let server = try await FuzzServer.start()
        try await withTeardown({ await server.stop() }) {
            try await fuzz(target, cases: Self.loopbackCases, base: "http://127.0.0.1:\(server.port)",
                           http: EaselHTTP.HTTPClient(configuration: Self.clientConfig), feed: server.feed, via: "over loopback")
        }
    }

    /// Feeds `cases` generated responses to `target`'s adapter (built on `http` at `base`) through `feed`.
    func fuzz(_ target: FuzzTarget, cases: Int, base: String, http: EaselHTTP.HTTPClient, feed: FuzzServer.Feed, via: String) async throws {
        let backend = target.make(base, http)
        var gen = ResponseGenerator(seeds: target.seeds.map { Array($0.utf8) }, images: Self.imageSeeds, rng: SeedSource(seed: Self.seed))
        var tally: [String: Int] = [:]
        var slowest: Duration = .zero, slowestCase = 0
        let start = ContinuousClock.now
        for n in 0..<cases {
            await Task.yield()
            let op = n % 4
            let response = gen.next(forImage: op >= 2)
            await feed.set(response)
            let t0 = ContinuousClock.now
            let outcome: String
            do throws(JobError) {
                switch op {
                case 0:
                    let (id, status) = try await backend.submit(GenerationRequest(prompt: "fuzz \(n)", width: 64, height: 64, seed: 1, steps: 1))
                    #expect(!id.rawValue.isEmpty, "case \(n): empty job id")
                    try expectValid(status, n)
                    outcome = "ok"
                case 1:
                    try expectValid(try await backend.status(of: RemoteJobID("job-\(n)")), n)
                    outcome = "ok"
                default:
                    // op 2 fetches over HTTP; op 3 sends the same bytes as a data: URI (decoded locally),
                    // sometimes with broken base64.
                    var url = base + "/images/\(n).png"
                    if op == 3 {
                        var b64 = Data(response.body).base64EncodedString()
                        if n % 8 == 3 { b64.insert(contentsOf: "!*", at: b64.index(b64.startIndex, offsetBy: b64.count / 2)) }
                        url = (n % 16 == 7 ? "data:image/png," : "data:image/png;base64,") + b64
                    }
                    let data = try await backend.download(ImageRef(url: url))
                    #expect(ImageFormat(sniffing: data.bytes) != nil, "case \(n): download is not an image")
                    // What the effect runner does next: header limits, then decode.
                    if (try? ImageCodec.checkedDimensions(of: data.bytes, maxPixels: 4_000_000, maxDimension: 4096)) != nil {
                        _ = try? ImageCodec.decode(data.bytes, maxPixels: 4_000_000)
                    }
                    outcome = "ok"
                }
                if n % 50 == 0 {                                // the calls that must never throw or hang either
                    _ = await backend.health()
                    try? await backend.cancel(RemoteJobID("job-\(n)"))
                }
            } catch {
                #expect(!error.message.isEmpty && Sanitize.line(error.message) == error.message, "case \(n): \(error.kind) message unsafe")
                outcome = error.kind
            }
            tally[["submit", "status", "download", "data-uri"][op] + " " + outcome, default: 0] += 1
            let took = ContinuousClock.now - t0
            if took > slowest { (slowest, slowestCase) = (took, n) }
        }
        let wall = ContinuousClock.now - start
        print("fuzz \(target.name) \(via): \(cases) responses in \(wall); slowest case \(slowestCase) took \(slowest)")
        print("fuzz \(target.name) \(via): outcomes \(tally.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        #expect(slowest < .seconds(8), "case \(slowestCase) took \(slowest): a hang the client's timeouts should have bounded")
        #expect(tally.filter { $0.key.hasSuffix(" ok") }.values.reduce(0, +) > 0, "no case succeeded: the seeds are not being served")
    }

    /// A status that the reducer can act on: progress in 0...1, queue positions from 1, an image URL.
    func expectValid(_ status: RemoteStatus, _ n: Int) throws(JobError) {
        switch status {
        case .queued(let position): #expect(position.map { $0 >= 1 } ?? true, "case \(n): queue position \(position!)")
        case .running(let progress, _): #expect(progress.map { (0...1).contains($0) } ?? true, "case \(n): progress \(progress!)")
        case .completed(let ref): #expect(!ref.url.isEmpty, "case \(n): empty image URL")
        case .completedBatch(let refs): #expect(!refs.isEmpty && refs.allSatisfy { !$0.url.isEmpty }, "case \(n): empty image list or URL")
        case .failed: break
        }
    }

    @Test func mutatedPNGJPEGAndWebPBytesDecodeOrFailCleanly() throws {
        var rng = SeedSource(seed: Self.seed ^ 0x1234)
        var mutator = Mutator()
        var decoded = 0, refused = 0
        var slowest: Duration = .zero, slowestCase = 0
        let start = ContinuousClock.now
        for n in 0..<Self.imageCases {
            let seed = Self.imageSeeds[Int(rng.next64() % UInt64(Self.imageSeeds.count))]
            let bytes = mutator.mutateImage(seed, &rng)
            let t0 = ContinuousClock.now
            do {
                let (w, h) = try ImageCodec.checkedDimensions(of: bytes, maxPixels: 4_000_000, maxDimension: 4096)
                let image = try ImageCodec.decode(bytes, maxPixels: 4_000_000)
                #expect(image.width == w && image.height == h, "case \(n): header said \(w)×\(h), decoded \(image.width)×\(image.height)")
                #expect(image.pixels.count == image.width * image.height * 4)
                decoded += 1
            } catch {
                #expect(!error.message.isEmpty, "case \(n): empty image error")
                refused += 1
            }
            let took = ContinuousClock.now - t0
            if took > slowest { (slowest, slowestCase) = (took, n) }
            if took > .seconds(1) {                            // keep the bytes, to reproduce outside the suite
                let path = NSTemporaryDirectory() + "easel-fuzz-slow-\(n).bin"
                _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
                print("fuzz ImageCodec: case \(n) took \(took); bytes in \(path)")
            }
        }
        print("fuzz ImageCodec: \(Self.imageCases) images in \(ContinuousClock.now - start) (\(decoded) decoded, \(refused) refused); slowest case \(slowestCase) took \(slowest)")
        #expect(slowest < .seconds(2), "case \(slowestCase) took \(slowest)")
        #expect(decoded > 0 && refused > 0)
    }

    /// Small valid images of each format, the image mutator's seeds.
    static let imageSeeds: [[UInt8]] = {
        var px: [UInt8] = []
        for y in 0..<24 { for x in 0..<32 { px += [UInt8(x * 8), UInt8(y * 10), UInt8((x ^ y) * 7 & 0xFF), 255] } }
        let image = RGBAImage(width: 32, height: 24, pixels: px)
        var seeds: [[UInt8]] = []
        if let png = try? ImageCodec.encodePNG(image, text: [PNGText(key: "parameters", text: "fuzz")]) { seeds.append(png) }
        if let jpeg = ImageCodec.encodeJPEG(image, quality: 80) { seeds.append(jpeg) }
        if let webp = ImageCodec.encodeWebP(image, quality: 70) { seeds.append(webp) }
        return seeds
    }()
}

// MARK: - Generating responses

/// One response the fuzz server sends.
struct FuzzResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    /// As `HTTPClient` hands a response over: header names lower-cased, the last of a repeated name wins.
    var response: EaselHTTP.HTTPResponse {
        EaselHTTP.HTTPResponse(status: status, headers: Dictionary(headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { $1 }), body: body)
    }
}

/// Builds the next response: a seed body mutated (byte flips, truncation, insertions, JSON type swaps),
/// a seed as is, random bytes, or an image, with a random status and random headers.
struct ResponseGenerator {
    let seeds: [[UInt8]]
    let images: [[UInt8]]
    var rng: SeedSource
    var mutator = Mutator()

    mutating func next(forImage: Bool) -> FuzzResponse {
        let roll = rng.next64() % 100
        var body: [UInt8]
        switch roll {
        case 0..<15: body = pick(seeds)
        case 15..<60: body = mutator.mutateJSON(pick(seeds), &rng)
        case 60..<75: body = (0..<Int(rng.next64() % 600)).map { _ in UInt8(truncatingIfNeeded: rng.next64()) }
        default: body = forImage || roll < 85 ? mutator.mutateImage(pick(images), &rng) : mutator.mutateJSON(pick(seeds), &rng)
        }
        if forImage, rng.next64() % 4 == 0 { body = pick(images) }          // some clean downloads
        let statuses = [200, 200, 200, 200, 200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 409, 413, 422, 429,
                        500, 502, 503, 504, 599, 299, 418]
        let status = rng.next64() % 3 == 0 ? statuses[Int(rng.next64() % UInt64(statuses.count))] : 200
        var headers: [(String, String)] = []
        let types = ["application/json", "text/html", "image/png", "text/plain; charset=utf-16", "application/octet-stream", "", "\u{1B}[2J"]
        headers.append(("Content-Type", types[Int(rng.next64() % UInt64(types.count))]))
        if rng.next64() % 4 == 0 {
            let values = ["1", "0", "-5", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 2999 23:59:59 GMT", "soon", "", "1.5"]
            headers.append(("Retry-After", values[Int(rng.next64() % UInt64(values.count))]))
        }
        if rng.next64() % 12 == 0 {
            let locations = ["/images/loop.png", "/api/status/x", "http://127.0.0.1:1/closed", "file:///etc/passwd", "ftp://127.0.0.1/x", "", "//\u{1B}"]
            headers.append(("Location", locations[Int(rng.next64() % UInt64(locations.count))]))
        }
        if rng.next64() % 25 == 0 { headers.append(("Content-Encoding", ["gzip", "deflate", "br", "nonsense"][Int(rng.next64() % 4)])) }
        return FuzzResponse(status: status, headers: headers, body: body)
    }

    private mutating func pick(_ list: [[UInt8]]) -> [UInt8] { list[Int(rng.next64() % UInt64(list.count))] }
}

/// Byte- and structure-level mutations, all driven by the caller's `SeedSource`.
struct Mutator {
    static var oddValues: [Any] { [NSNull(), 0, -1, 1e308, -0.5, 2.5, Int.max, "", "processing", "completed", "failed",
                                   "\u{1B}]0;pwned\u{07}\u{9B}2J\u{202E}", String(repeating: "x", count: 5000), [Any](), [String: Any](),
                                   true, false, ["a", 1], ["status": "completed"], "data:image/png;base64,!!!", "/images/../../x.png"] }

    mutating func mutateJSON(_ seed: [UInt8], _ rng: inout SeedSource) -> [UInt8] {
        var b = seed
        let rounds = 1 + Int(rng.next64() % 3)
        for _ in 0..<rounds {
            switch rng.next64() % 6 {
            case 0: b = flip(b, &rng)
            case 1: b = Array(b.prefix(Int(rng.next64() % UInt64(b.count + 1))))
            case 2: b = insert(b, &rng)
            default: b = typeSwap(b, &rng)
            }
        }
        return b
    }

    mutating func mutateImage(_ seed: [UInt8], _ rng: inout SeedSource) -> [UInt8] {
        var b = seed
        switch rng.next64() % 5 {
        case 0: b = Array(b.prefix(Int(rng.next64() % UInt64(b.count + 1))))
        case 1: b = flip(b, &rng)
        case 2:                                                 // the header: sizes, chunk lengths, markers
            for _ in 0..<(1 + Int(rng.next64() % 4)) where b.count > 40 {
                b[8 + Int(rng.next64() % 32)] = UInt8(truncatingIfNeeded: rng.next64())
            }
        case 3: b = insert(b, &rng)
        default:
            b = flip(b, &rng)
            b = Array(b.prefix(max(8, b.count - Int(rng.next64() % 64))))
        }
        return b
    }

    private func flip(_ seed: [UInt8], _ rng: inout SeedSource) -> [UInt8] {
        guard !seed.isEmpty else { return seed }
        var b = seed
        for _ in 0..<(1 + Int(rng.next64() % 8)) { b[Int(rng.next64() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: rng.next64() | 1) }
        return b
    }

    private func insert(_ seed: [UInt8], _ rng: inout SeedSource) -> [UInt8] {
        let junk: [[UInt8]] = [Array("\u{1B}[2J".utf8), [0], [0xFF, 0xFE], Array("\"".utf8), Array("{".utf8), Array("]".utf8),
                               Array("\\u0000".utf8), Array("\\ud800".utf8), [0xC0, 0x80], Array("1e999".utf8)]
        var b = seed
        let at = Int(rng.next64() % UInt64(b.count + 1))
        b.insert(contentsOf: junk[Int(rng.next64() % UInt64(junk.count))], at: at)
        return b
    }

    /// Parses the JSON, puts an odd value (wrong type, huge, hostile) at a random key, and re-encodes.
    private func typeSwap(_ seed: [UInt8], _ rng: inout SeedSource) -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(seed))) as? [String: Any], !object.isEmpty else { return seed }
        let keys = object.keys.sorted() + ["status", "image", "jobId", "progress", "queue_position", "error"]
        let key = keys[Int(rng.next64() % UInt64(keys.count))]
        object[key] = Self.oddValues[Int(rng.next64() % UInt64(Self.oddValues.count))]
        if rng.next64() % 5 == 0 { object.removeValue(forKey: keys[Int(rng.next64() % UInt64(keys.count))]) }
        return (try? JSONSerialization.data(withJSONObject: object)).map { [UInt8]($0) } ?? seed
    }
}

// MARK: - The fuzz server

/// A loopback server that answers every request, on any path, with the response the test set last.
final class FuzzServer: Sendable {
    actor Feed {
        var current = FuzzResponse(status: 200, headers: [], body: Array("{}".utf8))
        func set(_ r: FuzzResponse) { current = r }
    }

    let server: HTTPServer
    let port: UInt16
    let feed: Feed

    private init(server: HTTPServer, port: UInt16, feed: Feed) {
        self.server = server
        self.port = port
        self.feed = feed
    }

    static func start() async throws -> FuzzServer {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 10, logger: .disabled)
        let feed = Feed()
        await server.appendRoute("*") { _ in
            let r = await feed.current
            var headers: HTTPHeaders = [:]
            for (name, value) in r.headers { headers[HTTPHeader(name)] = value }
            headers[.connection] = "close"
            return HTTPResponse(statusCode: HTTPStatusCode(r.status, phrase: "Fuzz"), headers: headers, body: Data(r.body))
        }
        Task { try await server.run() }
        try await server.waitUntilListening(timeout: 30)
        guard case .ip4(_, let port)? = await server.listeningAddress else { throw CocoaError(.fileNoSuchFile) }
        return FuzzServer(server: server, port: port, feed: feed)
    }

    func stop() async { await server.stop() }
}
