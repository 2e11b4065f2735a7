import EaselApp
import EaselBackends
import EaselCore
import EaselImaging
import EaselStore
import Foundation
import Testing

/// A folder the test process cannot write: mode 0555 for ordinary users; as root (which ignores
/// permission bits) a folder under sysfs, where mkdir fails with a permission error.
func unwritableFolder() -> String {
    if getuid() == 0 { return "/sys/easel-test-gallery-\(UInt32.random(in: .min ... .max))" }
    let dir = tempDir() + "/read-only"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    chmod(dir, 0o555)
    return dir
}

/// Runs one effect and waits (at most 20 s; loose, the machine is shared) for the action it sends back.
func outcome(of effect: Effect, gallery: Gallery, pending: PendingImages?) async -> Action? {
    let (stream, continuation) = AsyncStream<Action>.makeStream()
    let runner = EffectRunner(backend: SeedJobAPI(baseURL: "http://127.0.0.1:9"), gallery: gallery, pending: pending,
                              send: { continuation.yield($0) })
    runner.run(effect)
    let timeout = Task { try? await Task.sleep(for: .seconds(20)); continuation.finish() }
    defer { timeout.cancel() }
    for await action in stream { return action }
    return nil
}

@Suite("Gallery saves that fail are kept and retried")
struct GallerySaveRetryTests {
    static let pixels: [UInt8] = {
        var p: [UInt8] = []
        for i in 0..<(12 * 6) { p += [UInt8(i), UInt8(255 - i), 7, 255] }
        return p
    }()

    @Test func aSaveIntoAnUnwritableFolderIsAStorageErrorAndARetryIntoAWritableOneSavesTheSameBytes() async throws {
        let png = try ImageCodec.encodePNG(RGBAImage(width: 12, height: 6, pixels: Self.pixels))
        let pending = PendingImages(directory: tempDir() + "/state/pending")
        let id = JobID(41)
        let request = GenerationRequest(prompt: "kept safe", seed: 3)
        let bad = unwritableFolder()
        let first = await outcome(of: .save(id, ImageData(png), request, remote: RemoteJobID("r-41"), backend: "demo"),
                                  gallery: Gallery(directory: bad), pending: pending)
        guard case .failed(id, .storage(let why), during: .save)? = first else { Issue.record("\(String(describing: first))"); return }
        #expect(why.contains(bad))                                          // the path, and the system's reason
        #expect(why.contains("denied") || why.contains("not permitted") || why.contains("Read-only"))
        #expect(why.contains(pending.path(for: id)))                        // and where the image waits
        #expect(pending.load(id) == png)                                    // the very bytes downloaded

        // The reducer: `t` on the storage failure loads the kept image, it never resubmits or downloads.
        var state = AppState(backendName: "demo", now: .now)
        state.queue.jobs = [Job(id: id, request: request, state: .failed(.storage(why)), remoteID: RemoteJobID("r-41"), createdAt: .now)]
        state.focus = .history
        let retry = reduce(&state, .key(.char("t")))
        #expect(retry == [.loadPending(id, fallback: nil, backend: "demo")])
        #expect(state.job(id)?.state == .downloading)

        // The folder is fixed (here: the user points the gallery elsewhere); the retry saves the same bytes.
        let good = Gallery(directory: tempDir() + "/gallery")
        let loaded = await outcome(of: .loadPending(id, fallback: nil, backend: "demo"), gallery: good, pending: pending)
        #expect(loaded == .downloaded(id, ImageData(png)))
        let effects = reduce(&state, loaded!)
        #expect(effects == [.save(id, ImageData(png), request, remote: RemoteJobID("r-41"), backend: "demo")])
        let saved = await outcome(of: effects[0], gallery: good, pending: pending)
        guard case .saved(id, let image)? = saved else { Issue.record("\(String(describing: saved))"); return }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image.path)))
        #expect(try ImageCodec.decode(bytes).pixels == Self.pixels)
        #expect(Array(bytes.suffix(png.count - 33)) == Array(png.dropFirst(33)))   // only text chunks were added after IHDR
        #expect(pending.load(id) == nil)                                    // forgotten once saved
        #expect(reduce(&state, saved!) == [.terminal(.notify(id))])
        #expect(state.job(id)?.state == .complete(image))
    }

    @Test func theBackendsModelSamplerAndCFGScaleGoIntoTheMetadataButNeverItsKey() async throws {
        var options = BackendOptions(name: "gpu", kind: .a1111)
        options.model = "sdxl-base"
        options.sampler = "Euler a"
        options.cfgScale = 6.5
        options.apiKey = .configFile("sk-SECRET-123", file: "/x/config.toml")
        let png = try ImageCodec.encodePNG(RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 50, count: 16)))
        let dir = tempDir()
        let (stream, continuation) = AsyncStream<Action>.makeStream()
        let runner = EffectRunner(backend: SeedJobAPI(baseURL: "http://127.0.0.1:9"), gallery: Gallery(directory: dir, sidecars: true),
                                  backendOptions: options, send: { continuation.yield($0) })
        runner.run(.save(JobID(3), ImageData(png), GenerationRequest(prompt: "keys stay home", seed: 11, steps: 25), remote: nil, backend: "gpu"))
        var first: Action?
        for await a in stream { first = a; break }
        guard case .saved(_, let image)? = first else { Issue.record("\(String(describing: first))"); return }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image.path)))
        #expect(ImageCodec.pngText(bytes, key: "parameters") == "keys stay home\nSteps: 25, Sampler: Euler a, CFG scale: 6.5, Seed: 11, Size: 2x2, Model: sdxl-base")   // the size made, not the 768x768 asked
        let sidecar = try String(contentsOfFile: String(image.path.dropLast(3)) + "json", encoding: .utf8)
        for text in [String(decoding: bytes, as: UTF8.self), sidecar] {
            #expect(!text.contains("SECRET") && !text.contains("api_key"))
        }
        #expect(sidecar.contains("\"backend\":\"gpu\"") && sidecar.contains("\"model\":\"sdxl-base\""))
    }

    @Test func aRetryWhoseKeptImageIsGoneDownloadsAgainOrSaysWhy() async throws {
        let pending = PendingImages(directory: tempDir() + "/pending")
        let none = await outcome(of: .loadPending(JobID(5), fallback: nil, backend: "demo"), gallery: Gallery(directory: tempDir()), pending: pending)
        guard case .failed(JobID(5), .storage(let why), during: .download)? = none else { Issue.record("\(String(describing: none))"); return }
        #expect(why.contains("gone"))
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [9, 9, 9, 255]))
        let ref = ImageRef(url: "data:image/png;base64," + Data(png).base64EncodedString())
        let again = await outcome(of: .loadPending(JobID(6), fallback: ref, backend: "demo"), gallery: Gallery(directory: tempDir()), pending: pending)
        #expect(again == .downloaded(JobID(6), ImageData(png)))
    }

    @Test func theGalleryIsCreatedOnDemandAndTheConfigDecidesWhere() throws {
        let root = tempDir() + "/deep/er/gallery"
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]))
        let config = try Config.parse("""
        [gallery]
        dir = "\(root)"
        template = "{seed}/{prompt_slug}.{ext}"
        sidecars = true
        """, file: "test.toml")
        #expect(config.gallery.directory == root)
        let gallery = Gallery(directory: try #require(config.gallery.directory),
                              template: try GalleryTemplate(try #require(config.gallery.template)),
                              sidecars: try #require(config.gallery.sidecars as Bool?))
        let path = try gallery.save(png, metadata: .init(request: .init(prompt: "on demand", seed: 8), backend: "demo", jobID: "1"))
        #expect(path == root + "/8/on-demand.png")
        #expect(FileManager.default.fileExists(atPath: root + "/8/on-demand.json"))
        #expect(Gallery.defaultDirectory(environment: ["XDG_PICTURES_DIR": "/pics", "HOME": "/home/u"]) == "/pics/easel")
        #expect(Gallery.defaultDirectory(environment: ["HOME": "/home/u"]) == "/home/u/Pictures/easel")
        #expect(ThumbnailCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/c"]) == "/c/easel/thumbs")
        #expect(PendingImages.defaultDirectory(environment: ["XDG_STATE_HOME": "/s"]) == "/s/easel/pending")
    }
}

@Suite("Gallery browsing on disk")
struct GalleryBrowseTests {
    @Test func aScanListsImagesNewestFirstSkipsHiddenAndOtherFilesAndKeepsStars() throws {
        let dir = tempDir()
        let gallery = Gallery(directory: dir)
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]))
        try FileManager.default.createDirectory(atPath: dir + "/2026-01-01", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/.hidden", withIntermediateDirectories: true)
        for (i, name) in ["2026-01-01/a.png", "b.jpg", "c.webp", ".hidden/d.png", "notes.txt", "e.json"].enumerated() {
            _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(png))
            var times = [timespec(tv_sec: 1_700_000_000 + i * 10, tv_nsec: 0), timespec(tv_sec: 1_700_000_000 + i * 10, tv_nsec: 0)]
            utimensat(AT_FDCWD, dir + "/" + name, &times, 0)
        }
        #expect(try gallery.scan().map(\.name) == ["c.webp", "b.jpg", "2026-01-01/a.png"])
        try gallery.setStar(dir + "/b.jpg", true)
        #expect(try gallery.scan().filter(\.starred).map(\.name) == ["b.jpg"])
        try gallery.delete(dir + "/b.jpg")
        #expect(try gallery.scan().map(\.name) == ["c.webp", "2026-01-01/a.png"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/b.jpg"))
        #expect(throws: JobError.self) { try gallery.delete("/etc/passwd") }
        #expect(throws: JobError.self) { try gallery.delete(dir + "/../x.png") }
        #expect(try Gallery(directory: dir + "/missing").scan().isEmpty)
    }

    @Test func aGalleryOfThousandsScansInSeconds() throws {
        let dir = tempDir()
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]))
        _ = FileManager.default.createFile(atPath: dir + "/seed.png", contents: Data(png))
        for folder in 0..<30 {
            let sub = dir + String(format: "/2026-01-%02d", folder + 1)
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            for n in 0..<100 { link(dir + "/seed.png", sub + "/img-\(n).png") }
        }
        let clock = ContinuousClock()
        var entries: [GalleryEntry] = []
        let elapsed = try clock.measure { entries = try Gallery(directory: dir).scan() }
        #expect(entries.count == 3001)
        #expect(elapsed < .seconds(15), "scan of 3001 files took \(elapsed)")     // loose: the machine is shared
        print("gallery scan: 3001 files in \(elapsed)")
    }

    @Test func aCachedThumbnailIsFasterThanMakingOne() throws {
        let dir = tempDir()
        var seeds = SeedSource(seed: 3)
        var pixels = [UInt8](repeating: 255, count: 1024 * 1024 * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) { let r = seeds.next64(); pixels[i] = UInt8(r & 255); pixels[i + 1] = UInt8((r >> 8) & 255); pixels[i + 2] = UInt8((r >> 16) & 255) }
        _ = FileManager.default.createFile(atPath: dir + "/big.png", contents: Data(try ImageCodec.encodePNG(RGBAImage(width: 1024, height: 1024, pixels: pixels))))
        let cache = ThumbnailCache(directory: dir + "/thumbs")
        let clock = ContinuousClock()
        let made = try clock.measure { _ = try cache.thumbnail(for: dir + "/big.png") }
        let cached = try clock.measure { _ = try cache.thumbnail(for: dir + "/big.png") }
        print("thumbnail of a 1024×1024 PNG: made in \(made), from the cache in \(cached)")
        #expect(cached < made)
    }

    @Test func thumbnailsAreMadeOnceAndCachedByPathMtimeAndSize() throws {
        let dir = tempDir()
        let cache = ThumbnailCache(directory: dir + "/thumbs", maxSide: 32)
        let big = RGBAImage(width: 200, height: 100, pixels: [UInt8](repeating: 128, count: 200 * 100 * 4))
        _ = FileManager.default.createFile(atPath: dir + "/big.png", contents: Data(try ImageCodec.encodePNG(big)))
        let thumb = try cache.thumbnail(for: dir + "/big.png")
        #expect(thumb.width == 32 && thumb.height == 16 && thumb.pixels[0] == 128)
        let cached = try cache.cachePath(for: dir + "/big.png")
        #expect(FileManager.default.fileExists(atPath: cached))
        var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, dir + "/big.png", &times, 0)
        #expect(try cache.cachePath(for: dir + "/big.png") != cached)      // a changed file gets a new thumbnail
        #expect(throws: ImageError.self) { try cache.thumbnail(for: dir + "/none.png") }
    }
}
