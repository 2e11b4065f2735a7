import EaselCore
import EaselImaging
import EaselStore
import Foundation
import Testing

@Suite("Gallery names from a template")
struct GalleryTemplateTests {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    func values(_ prompt: String, seed: UInt32 = 42, backend: String = "demo", model: String = "", jobID: String = "7",
                ext: String = "png") -> GalleryTemplate.Values {
        .init(date: Self.date, prompt: prompt, seed: seed, backend: backend, model: model, width: 768, height: 512, steps: 30,
              jobID: jobID, ext: ext)
    }

    /// Every component a rendered path has, checked for the rules no template or prompt may break.
    func expectSafe(_ p: GalleryTemplate.RelativePath, sourceLocation: SourceLocation = #_sourceLocation) {
        let components = p.folders + ["\(p.stem)-9999.\(p.ext)"]
        for c in components {
            #expect(!c.isEmpty && c != "." && c != ".." && !c.hasPrefix("."), "component \(c)", sourceLocation: sourceLocation)
            #expect(!c.contains("/") && !c.contains("\\"), "component \(c)", sourceLocation: sourceLocation)
            #expect(c.utf8.count <= 255, "component of \(c.utf8.count) bytes", sourceLocation: sourceLocation)
            #expect(!c.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
                    "control character in \(c.debugDescription)", sourceLocation: sourceLocation)
        }
        #expect(!p.path.hasPrefix("/"), sourceLocation: sourceLocation)
    }

    @Test func noModelRendersAsDefaultNotTheTokenName() throws {
        let t = try GalleryTemplate("{backend}_{model}.{ext}")
        #expect(t.render(values("a fox")).path == "demo_default.png")
        #expect(t.render(values("a fox", backend: "gpu", model: "sdxl-base")).path == "gpu_sdxl-base.png")
    }

    @Test func theDefaultTemplateGivesADateFolderAndTimeSlugSeed() throws {
        let p = GalleryTemplate.standard.render(values("A Lighthouse, at DUSK!"))
        var t = time_t(1_700_000_000)
        var tm = tm()
        localtime_r(&t, &tm)
        let day = String(format: "%04d-%02d-%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday))
        let time = String(format: "%02d%02d%02d", Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        #expect(p.folders == [day])
        #expect(p.stem == "\(time)_a-lighthouse-at-dusk_42")
        #expect(p.ext == "png")
        #expect(try GalleryTemplate(GalleryTemplate.defaultText) == GalleryTemplate(GalleryTemplate.defaultText))
        #expect(try GalleryTemplate(GalleryTemplate.defaultText).render(values("x")) == GalleryTemplate.standard.render(values("x")))
    }

    @Test func everyTokenIsFilledIn() throws {
        let t = try GalleryTemplate("{backend}/{model}/{width}x{height}_{steps}_{job_id}_{index}_{seed}_{datetime}.{ext}")
        let p = t.render(values("cat", seed: 9, backend: "My GPU box", model: "sdxl/base 1.0", jobID: "abc/123", ext: "webp"))
        #expect(p.folders == ["my-gpu-box", "sdxl-base-1-0"])
        #expect(p.stem.hasPrefix("768x512_30_abc-123_1_9_"))
        #expect(p.stem.contains("T"))
        #expect(p.ext == "webp")
    }

    @Test func hostilePromptsStayInsideOneSafeComponent() throws {
        let slugOnly = try GalleryTemplate("{prompt_slug}/{prompt_slug}.{ext}")
        let hostile = ["../../etc/passwd", "/etc/passwd", "..", ".", "", "   ", String(repeating: "lighthouse ", count: 1000),
                       "bell\u{07}esc\u{1B}[31mred\u{9B}c1\u{7F}del\nnewline", "🎨🖼️🌅 sunset 🌇", "🎨🎨🎨", "a/b\\c", "\u{0}"]
        for prompt in hostile {
            for template in [GalleryTemplate.standard, slugOnly] {
                let p = template.render(values(prompt))
                expectSafe(p)
            }
        }
        #expect(slugOnly.render(values("../../etc/passwd")).path == "etc-passwd/etc-passwd.png")
        #expect(slugOnly.render(values("")).path == "untitled/untitled.png")
        #expect(slugOnly.render(values("🎨🎨🎨")).path == "untitled/untitled.png")
        #expect(slugOnly.render(values("🎨 sunset 🌇")).path == "sunset/sunset.png")
        #expect(GalleryTemplate.slug(String(repeating: "lighthouse ", count: 1000)).count <= GalleryTemplate.slugLength)
        #expect(GalleryTemplate.slug("bell\u{07}esc\u{1B}[31mred") == "bell-esc-31mred")
    }

    @Test func literalTextInTheTemplateIsSanitizedToo() throws {
        let t = try GalleryTemplate("/../x\u{1B}y/./{seed}\u{07}.{ext}")
        let p = t.render(values("p", seed: 3))
        expectSafe(p)
        #expect(p.folders == ["xy"])
        #expect(!p.path.contains("..") && !p.path.contains("\u{1B}") && !p.path.contains("\u{07}"))
        #expect(p.stem == "3")
    }

    @Test func longLiteralComponentsAreCutToTheByteLimitAtACharacterBoundary() throws {
        let t = try GalleryTemplate(String(repeating: "é", count: 300) + "/" + String(repeating: "猫", count: 200) + "{seed}.{ext}")
        let p = t.render(values("x"))
        expectSafe(p)
        #expect(p.folders[0].utf8.count <= 255 && p.folders[0].allSatisfy { $0 == "é" })
        #expect("\(p.stem)-9999.\(p.ext)".utf8.count <= 255)
        #expect(p.stem.allSatisfy { $0 == "猫" })
    }

    @Test func badTemplatesAreStorageErrorsThatNameTheProblem() {
        for (text, needle) in [("{date}/{nope}.{ext}", "unknown token {nope}"), ("{date}/{seed", "unclosed {"),
                               ("{seed}}.png", "stray }"), ("{date}/{seed}.png", "{ext}"), ("{ext}/{seed}.{ext}", "folder"), ("/", "empty")] {
            do {
                _ = try GalleryTemplate(text)
                Issue.record("accepted \(text)")
            } catch {
                guard case .storage(let why) = error else { Issue.record("\(error)"); continue }
                #expect(why.contains(needle), "\(why)")
            }
        }
        #expect((try? GalleryTemplate("{{literal}}_{seed}.{ext}"))?.render(values("x", seed: 1)).stem == "{literal}_1")
    }

    @Test func clashesCountUpAndNeverOverwrite() throws {
        let dir = tempDir()
        let png = try ImageCodec.encodePNG(RGBAImage(width: 2, height: 1, pixels: [1, 2, 3, 255, 4, 5, 6, 255]))
        let gallery = Gallery(directory: dir, template: try GalleryTemplate("same/{prompt_slug}.{ext}"))
        var paths: [String] = []
        for n in 0..<4 {
            var meta = Gallery.Metadata(request: .init(prompt: "same name", seed: UInt32(n)), backend: "demo", jobID: "\(n)")
            meta.date = Self.date
            paths.append(try gallery.save(png, metadata: meta))
        }
        #expect(paths.map { String($0.dropFirst(dir.count)) } == ["/same/same-name.png", "/same/same-name-1.png",
                                                                   "/same/same-name-2.png", "/same/same-name-3.png"])
        for (n, path) in paths.enumerated() {      // each file still holds its own seed: nothing was overwritten
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(try Gallery.readParameters(at: path).seed == UInt32(n))
            #expect(ImageCodec.pngText(bytes, key: "parameters") != nil)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/same").filter { $0.hasPrefix(".easel-") }
        #expect(leftovers.isEmpty)
    }
}

@Suite("Gallery metadata")
struct GalleryMetadataTests {
    /// reference/backends.md §2.3, the example from A1111's `create_infotext`.
    static let a1111Example = """
    a lighthouse at dusk, oil painting
    Negative prompt: blurry, lowres
    Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1234567890, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1
    """

    static func metadata() -> Gallery.Metadata {
        var m = Gallery.Metadata(request: GenerationRequest(prompt: "a lighthouse at dusk, oil painting", negativePrompt: "blurry, lowres",
                                                            width: 512, height: 512, seed: 1_234_567_890, steps: 20),
                                 backend: "a1111", model: "v1-5-pruned-emaonly", jobID: "12", remoteID: "task-9",
                                 elapsedSeconds: 2.345, date: Date(timeIntervalSince1970: 1_700_000_000))
        m.sampler = "Euler a"
        m.scheduleType = "Automatic"
        m.cfgScale = 7
        m.modelHash = "6ce0161689"
        m.version = "v1.10.1"
        m.timings["download_s"] = 0.25
        return m
    }

    @Test func theParametersTextIsByteForByteA1111s() {
        #expect(Gallery.parameters(Self.metadata()) == Self.a1111Example)
        #expect(Array(Gallery.parameters(Self.metadata()).utf8) == Array(Self.a1111Example.utf8))
    }

    @Test func theNegativeLineIsLeftOutWhenEmptyAndOddValuesAreJSONQuoted() {
        var m = Self.metadata()
        m.request.negativePrompt = ""
        m.sampler = "DPM++ 2M, Karras"
        m.model = "model: \"v2\"\nline"
        let text = Gallery.parameters(m)
        #expect(!text.contains("Negative prompt"))
        #expect(text.contains(#"Sampler: "DPM++ 2M, Karras""#))
        #expect(text.contains(#"Model: "model: \"v2\"\nline""#))
        let back = Infotext.parse(text)
        #expect(back["Sampler"] == "DPM++ 2M, Karras")
        #expect(back["Model"] == "model: \"v2\"\nline")
    }

    @Test func infotextParsingHandlesMultiLinePromptsQuotedValuesAndNoFields() {
        let text = """
        a lighthouse,
        at dusk: oil painting
        Negative prompt: blurry
        lowres, jpeg
        Steps: 28, Sampler: "DPM++ 2M, Karras", CFG scale: 6.5, Seed: 4294967295, Size: 832x1216, Lora hashes: "a: 1, b: 2", Tiling
        """
        let info = Infotext.parse(text)
        #expect(info.prompt == "a lighthouse,\nat dusk: oil painting")
        #expect(info.negativePrompt == "blurry\nlowres, jpeg")
        #expect(info["Sampler"] == "DPM++ 2M, Karras")
        #expect(info["Lora hashes"] == "a: 1, b: 2")
        #expect(info["CFG scale"] == "6.5")
        let p = info.parameters
        #expect(p.seed == 4_294_967_295 && p.steps == 28 && p.width == 832 && p.height == 1216)
        // Fewer than three fields: the last line belongs to the prompt.
        let plain = Infotext.parse("just a prompt\nwith: one colon")
        #expect(plain.prompt == "just a prompt\nwith: one colon" && plain.fields.isEmpty)
        // Garbage never crashes.
        for junk in ["", "\n\n", "Negative prompt:", "Steps: x, Seed: -1, Size: 0x0", "\"\"\"", String(repeating: "a: \"", count: 200)] {
            let j = Infotext.parse(junk)
            #expect(j.parameters.seed == nil || junk.contains("Seed"))
        }
        #expect(Infotext.parse("p\nSteps: x, Seed: -1, Size: 0x0").parameters == ImageParameters(prompt: "p", source: "parameters"))
        #expect(Infotext.parse(Self.a1111Example).render() == Self.a1111Example)
    }

    @Test func aSavedPNGCarriesBothChunksAndReadsBackThroughLibpng() throws {
        let dir = tempDir()
        var pixels: [UInt8] = []
        for i in 0..<(16 * 8) { pixels += [UInt8(i % 256), UInt8((i * 7) % 256), 99, 255] }
        let png = try ImageCodec.encodePNG(RGBAImage(width: 16, height: 8, pixels: pixels))
        let path = try Gallery(directory: dir).save(png, metadata: Self.metadata())
        let saved = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try ImageCodec.decode(saved).pixels == pixels)                   // the service's pixels, untouched
        #expect(Array(saved.dropFirst(33)).suffix(png.count - 33) == Array(png.dropFirst(33)))
        #expect(ImageCodec.pngText(saved, key: "parameters") == Self.a1111Example)
        let easel = try #require(ImageCodec.pngText(saved, key: "easel"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(easel.utf8)) as? [String: Any])
        let request = try #require(object["request"] as? [String: Any])
        #expect(request["prompt"] as? String == "a lighthouse at dusk, oil painting")
        #expect(request["seed"] as? Int == 1_234_567_890)
        #expect(object["backend"] as? String == "a1111" && object["job_id"] as? String == "12" && object["remote_id"] as? String == "task-9")
        let timings = try #require(object["timings"] as? [String: Double])
        #expect(timings["total_s"] == 2.345 && timings["download_s"] == 0.25)
        #expect(!easel.lowercased().contains("api_key") && !easel.lowercased().contains("authorization"))
        #expect(!FileManager.default.fileExists(atPath: String(path.dropLast(3)) + "json"))   // no sidecar by default
        let back = try Gallery.readParameters(at: path)
        #expect(back == ImageParameters(prompt: "a lighthouse at dusk, oil painting", negativePrompt: "blurry, lowres",
                                        seed: 1_234_567_890, width: 512, height: 512, steps: 20, source: "easel"))
    }

    @Test func anA1111PNGWithOnlyParametersReadsBack() throws {
        let dir = tempDir()
        let png = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]),
                                           text: [PNGText(key: "parameters", text: Self.a1111Example, international: false)])
        let path = dir + "/from-a1111.png"
        _ = FileManager.default.createFile(atPath: path, contents: Data(png))
        let p = try Gallery.readParameters(at: path)
        #expect(p == ImageParameters(prompt: "a lighthouse at dusk, oil painting", negativePrompt: "blurry, lowres",
                                     seed: 1_234_567_890, width: 512, height: 512, steps: 20, source: "parameters"))
    }

    @Test func jpegAndWebPGetASidecarAndPNGOneWhenAskedAndTheyReadBack() throws {
        let dir = tempDir()
        let image = RGBAImage(width: 8, height: 8, pixels: [UInt8](repeating: 200, count: 256))
        let jpeg = try #require(ImageCodec.encodeJPEG(image))
        let webp = try #require(ImageCodec.encodeWebP(image))
        let png = try ImageCodec.encodePNG(image)
        for (bytes, ext, gallery) in [(jpeg, "jpg", Gallery(directory: dir)), (webp, "webp", Gallery(directory: dir)),
                                      (png, "png", Gallery(directory: dir, sidecars: true))] {
            let path = try gallery.save(bytes, metadata: Self.metadata())
            #expect(path.hasSuffix("." + ext))
            if ext != "png" { #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == bytes) }  // kept byte for byte
            let sidecar = String(path.dropLast(ext.count)) + "json"
            let json = try String(contentsOfFile: sidecar, encoding: .utf8)
            #expect(json.contains("\"seed\":1234567890"))
            let back = try Gallery.readParameters(at: path)
            #expect(back.prompt == "a lighthouse at dusk, oil painting" && back.steps == 20)
            #expect(back.source == (ext == "png" ? "easel" : "sidecar"))
        }
        // The second JPEG of the same name must not take the first one's sidecar.
        let a = try Gallery(directory: dir).save(jpeg, metadata: Self.metadata())
        #expect(a.hasSuffix("-3.jpg"))          // -1 and -2 are taken by the WebP's and PNG's sidecars
        #expect(FileManager.default.fileExists(atPath: String(a.dropLast(3)) + "json"))
    }

    @Test func readingParametersFromBadFilesIsACategorizedError() throws {
        let dir = tempDir()
        _ = FileManager.default.createFile(atPath: dir + "/text.png", contents: Data("hello".utf8))
        let bare = try ImageCodec.encodePNG(RGBAImage(width: 1, height: 1, pixels: [1, 2, 3, 255]))
        _ = FileManager.default.createFile(atPath: dir + "/bare.png", contents: Data(bare))
        for (name, category) in [("missing.png", "storage"), ("text.png", "bad_response"), ("bare.png", "bad_response")] {
            do {
                _ = try Gallery.readParameters(at: dir + "/" + name)
                Issue.record("read \(name)")
            } catch {
                #expect(error.kind == category, "\(name): \(error)")
                #expect(error.message.contains(name))
            }
        }
    }
}
