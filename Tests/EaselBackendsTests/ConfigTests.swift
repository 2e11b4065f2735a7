import EaselApp
import EaselCore
import Foundation
import EaselTerminal
import Testing

@Suite("The config file")
struct ConfigTests {
    @Test func dottedKeysAreReportedAtTheirLine() {
        #expect(throws: ConfigError.self) { try Config.parse("# top\nqueue.mode = \"bogus\"\n", file: "a.toml") }
        do { _ = try Config.parse("# top\nqueue.mode = \"bogus\"\n", file: "a.toml") } catch {
            #expect(error.message.hasPrefix("a.toml:2:"), "\(error.message)")
        }
    }

    @Test func aTemplateWithAnUnknownTokenIsRefusedAtItsLine() {
        do {
            _ = try Config.parse("[gallery]\ntemplate = \"{nope}.{ext}\"\n", file: "a.toml")
            Issue.record("an unknown token was accepted")
        } catch {
            #expect(error.message.hasPrefix("a.toml:2:") && error.message.contains("{nope}"), "\(error.message)")
        }
    }

    @Test func aMissingWorkflowFailsTheBackendCheck() throws {
        let config = try Config.parse("[backends.gpu]\nkind = \"comfyui\"\nworkflow = \"/nonexistent/wf.json\"\n", file: "a.toml")
        do {
            try config.checkBackends()
            Issue.record("a missing workflow passed")
        } catch {
            #expect(error.message.hasPrefix("a.toml: backends.gpu: ") && error.message.contains("/nonexistent/wf.json"), "\(error.message)")
        }
    }

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
        #expect(Set(c.warnings) == ["c.toml:1: unknown key colour", "c.toml:7: unknown key preview.zoom"])
    }

    @Test func warningsComeInTheOrderOfTheirLines() throws {
        let c = try Config.parse("""
        [queue]
        foo = 1
        [preview]
        bar = 2
        baz = 3
        [gallery]
        qux = 4
        """, file: "w.toml")
        #expect(c.warnings == ["w.toml:2: unknown key queue.foo", "w.toml:4: unknown key preview.bar",
                               "w.toml:5: unknown key preview.baz", "w.toml:7: unknown key gallery.qux"])
    }

    @Test func badValuesNameTheFileAndKey() {
        #expect(throws: ConfigError(message: "c.toml:2: preview.graphics: expected one of auto, sixel, kitty, iterm, blocks, none")) {
            try Config.parse("[preview]\ngraphics = \"vt100\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:3: preview.sixel_colors: expected an integer in 2...256")) {
            try Config.parse("[preview]\n# palette\nsixel_colors = 1000", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:3: keys.queue.d: unknown command \"obliterate\"" + Command.suggestionTail(for: "obliterate"))) {
            try Config.parse("[queue]\n[keys.queue]\n\"d\" = \"obliterate\"", file: "c.toml")
        }
        #expect(throws: ConfigError.self) { try Config.parse("[preview\n", file: "c.toml") }
    }

    @Test func anUnknownCommandNameSuggestsTheNamesItResembles() {
        do {
            _ = try Config.parse("[keys.history]\n\"D\" = \"delete\"\n[keys.prompt]\n", file: "c.toml")
            Issue.record("an unknown command was accepted")
        } catch {
            #expect(error.message.hasPrefix("c.toml:2: keys.history.D: unknown command \"delete\" (did you mean "), "\(error.message)")
            #expect(error.message.contains("delete_job"), "\(error.message)")
        }
        #expect(Command.suggestions(for: "newline") == ["insert_newline"])
        #expect(Command.suggestionTail(for: "xyzzy").hasPrefix(" (commands: generate, quit, "))
    }

    @Test func altKeysAreAutoEscapeOrEightBit() throws {
        #expect(try Config.parse("[ui]\nalt_keys = \"8bit\"", file: "c.toml").altKeys == .highBit)
        #expect(try Config.parse("[ui]\nalt_keys = \"escape\"", file: "c.toml").altKeys == .escapePrefix)
        #expect(try Config.parse("[ui]\nalt_keys = \"auto\"", file: "c.toml").altKeys == nil)
        #expect(throws: ConfigError(message: "c.toml:2: ui.alt_keys: expected auto, escape or 8bit")) {
            try Config.parse("[ui]\nalt_keys = \"meta\"", file: "c.toml")
        }
    }

    @Test func theDefaultConfigParsesWithoutWarningsAndMatchesTheDefaults() throws {
        let c = try Config.parse(Config.defaultText, file: "default")
        #expect(c.warnings.isEmpty)
        #expect(c.graphics == .auto && c.sixelColors == 256 && c.probeTimeout == 1 && c.theme == "default")
        #expect(c.mode == .exclusive && c.concurrency == 1 && c.notify == .on && c.altKeys == nil)
    }

    @Test func keyOverridesApplyAndTheHelpOverlayListsThem() throws {
        let c = try Config.parse("[keys.queue]\n\"d\" = \"cancel_job\"\n\"x\" = \"none\"\n[keys.prompt]\n\"C-g\" = \"generate\"", file: "c.toml")
        let keymap = try c.keymap()
        #expect(keymap.command(for: .char("d"), in: .queue) == .cancelJob)
        #expect(keymap.command(for: .char("x"), in: .queue) == nil)
        #expect(keymap.command(for: .ctrl("g"), in: .prompt) == .generate)
        #expect(keymap.helpRows(in: .queue).first { $0.command == .cancelJob }?.keys == ["Del", "d"])
        #expect(keymap.helpRows(in: .prompt).first { $0.command == .generate }?.keys == ["Enter", "C-g"])
    }

    @Test func aMissingFileIsAnEmptyConfigUnlessItWasAskedFor() throws {
        #expect(try Config.load("/nonexistent/easel.toml") == Config())
        #expect(throws: ConfigError.self) { try Config.load("/nonexistent/easel.toml", mustExist: true) }
    }

    @Test func aTildeExpandsWithHOMEAsAShellDoes() {
        let env = ["HOME": "/tmp/et-home"]
        #expect(Config.expandingTilde("~/Pictures/easel", environment: env) == "/tmp/et-home/Pictures/easel")
        #expect(Config.expandingTilde("~", environment: env) == "/tmp/et-home")
        #expect(Config.expandingTilde("/abs/~/x", environment: env) == "/abs/~/x")
        #expect(Config.expandingTilde("~bob/x", environment: env) == "~bob/x")
        #expect(Config.expandingTilde("~/x", environment: ["HOME": "relative"]) == NSHomeDirectory() + "/x")
    }

    /// A lone `[` made toml++ abort the process (exit 134) instead of reporting the line.
    @Test func aTableHeaderWithoutANameIsAnErrorAtItsLine() {
        #expect(throws: ConfigError(message: "c.toml:2:2: a table header needs a name, as in [backends.gpu]")) {
            try Config.parse("mode = \"queue\"\n[\n", file: "c.toml")
        }
    }
}
