import EaselApp
import EaselTerminal
import Testing

@Suite("The config file")
struct ConfigTests {
    @Test func previewKeysAreReadAndUnknownOnesWarned() throws {
        let c = try Config.parse("""
        colour = "x"
        [preview]
        graphics = "blocks"
        sixel_colors = 64
        probe_timeout = 0.5
        theme = "default"
        zoom = 2
        """, file: "c.toml")
        #expect(c.graphics == .blocks && c.sixelColors == 64 && c.probeTimeout == 0.5 && c.theme == "default")
        #expect(c.warnings == ["c.toml: unknown key \"colour\"", "c.toml: unknown key \"preview.zoom\""]
                || c.warnings == ["c.toml: unknown key \"preview.zoom\"", "c.toml: unknown key \"colour\""])
    }

    @Test func badValuesNameTheFileAndKey() {
        #expect(throws: ConfigError(message: "c.toml: preview.graphics: expected one of auto, sixel, kitty, iterm, blocks, none")) {
            try Config.parse("[preview]\ngraphics = \"vt100\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml: preview.sixel_colors: expected an integer in 2...256")) {
            try Config.parse("[preview]\nsixel_colors = 1000", file: "c.toml")
        }
        #expect(throws: ConfigError.self) { try Config.parse("[preview\n", file: "c.toml") }
    }

    @Test func aMissingFileIsAnEmptyConfigUnlessItWasAskedFor() throws {
        #expect(try Config.load("/nonexistent/easel.toml") == Config())
        #expect(throws: ConfigError.self) { try Config.load("/nonexistent/easel.toml", mustExist: true) }
    }
}
