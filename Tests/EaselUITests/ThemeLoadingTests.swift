import EaselUI
import Foundation
import Testing

@Suite("Loading themes from the search path")
struct ThemeLoadingTests {
    private func folder(_ files: [String: [UInt8]]) throws -> String {
        let dir = NSTemporaryDirectory() + "easel-themes-\(UInt32.random(in: .min ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        return dir
    }

    @Test func aThemeThatIsNotUTF8SaysSoAndIsLeftOutOfTheCycle() throws {
        let dir = try folder(["broken.toml": [0xFF, 0xFE, 0x5B, 0x00], "plain.toml": Array("\"ui.text\" = \"default\"\n".utf8)])
        do {
            _ = try Theme.load("broken", searchPath: [dir])
            Issue.record("a non-UTF-8 theme loaded")
        } catch {
            #expect(error.message == "theme \"broken\": \(dir)/broken.toml is not UTF-8 text")
        }
        #expect(Theme.available(searchPath: [dir]) == ["plain"])
        #expect(Theme.available(searchPath: [dir], loadableOnly: false) == ["broken", "plain"])
    }

    @Test func aMissingThemeNamesEveryFolderOnStderrButFitsOneLineInTheStudio() throws {
        let dirs = try (0..<3).map { _ in try folder([:]) }
        do {
            _ = try Theme.load("nope", searchPath: dirs)
            Issue.record("a missing theme loaded")
        } catch {
            #expect(dirs.allSatisfy { error.message.contains($0) })
            #expect(error.brief == "theme \"nope\" not found (`easel themes` lists the themes and their folders)")
        }
    }

    @Test func theExecutableIsItsRealPathNotArgv0() {
        let path = Theme.executablePath(argv0: "easel")
        #expect(path.hasPrefix("/") && FileManager.default.isExecutableFile(atPath: path), "\(path)")
    }
}
