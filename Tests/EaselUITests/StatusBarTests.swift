import EaselCore
import EaselTerminal
@testable import EaselUI
import Testing
import TestSupport

/// The status bar at 120 columns: nothing important is cut, and key names come from the keymap.
@Suite("Status bar: nothing important cut, keys from the keymap")
struct StatusBarTests {
    func lines(_ s: AppState, keymap: Keymap = .default, columns: Int = 120, rows: Int = 36) -> [String] {
        render(s, size: CellSize(columns: columns, rows: rows), keymap: keymap, cell: PixelSize(width: 10, height: 20)) { _ in .encoding }
            .buffer.lines
    }

    @Test func theLockedHintKeepsTheKeyForQueueModeAndNamesTheReboundKey() throws {
        var s = AppState.fixture(prompt: "sea")
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "sea"), backend: "demo")])
        #expect(reduce(&s, .key(.char("x"))) == [])                           // locked: the hint
        #expect(s.hint == .locked)
        #expect(lines(s).last?.contains("C-t switches to queue mode") == true, "\(lines(s).last ?? "")")
        let rebound = try Keymap.default.overriding([.global: [(key: "C-t", command: "none"), (key: "F5", command: "toggle_mode")]])
        #expect(lines(s, keymap: rebound).last?.contains("F5 switches to queue mode") == true)
    }

    @Test func theDeleteQuestionShowsYAndNAtOneHundredTwentyColumns() {
        var s = AppState.fixture()
        s.backendName = "gpu — comfyui at http://192.168.100.200:8188 (sdxl-turbo, 4 steps)"   // a long one
        s.modal = .question(.deleteJob(JobID(12)), under: nil)
        let bar = lines(s).last ?? ""
        #expect(bar.contains("Delete job #12 from the history? y / n (the image file stays)"), "\(bar)")
    }

    @Test func aLongErrorWrapsIntoThePreviewColumnWithEveryWord() {
        var s = AppState.fixture()
        let reason = "could not connect to 203.0.113.7 port 8188 after 3 attempts over 45 seconds: connection refused by the host, check that ComfyUI is running and that its --listen address is reachable from here"
        s.hint = .jobFailed(JobID(3), .network(reason))
        let screen = lines(s)
        let text = screen.suffix(6).joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(text.contains("reachable from here"), "\(screen.suffix(6))")
        #expect(text.contains("could not connect"))
        let bottom = screen[screen.count - 2]
        #expect(!bottom.hasPrefix("│"), "the overflow row sits under the shortened preview: \(bottom)")
    }

    @Test func aMessageTooLongForTheRowsLeftEndsInAnEllipsis() {
        var s = AppState.fixture()
        let words = (1...400).map { "word\($0)" }.joined(separator: " ")
        s.hint = .warning(words)
        let screen = lines(s, columns: 80, rows: 24)
        let text = screen.joined(separator: "\n")
        #expect(!text.contains("word400"), "the message was expected not to fit")
        #expect(text.contains("…"), "\(screen)")
    }

    @Test func aLongMessageKeepsTheBackendNameOnTheBar() {
        var s = AppState.fixture()
        s.backendKey = "gpu"
        s.backendName = "gpu — comfyui at http://192.168.100.200:8188 (sdxl-turbo, 4 steps)"
        s.hint = .warning("the workflow file names a checkpoint that ComfyUI does not have: sd_xl_base_1.0.safetensors; pick one from its models/checkpoints folder")
        let screen = lines(s)
        #expect(screen.last?.hasPrefix(" gpu the workflow file") == true, "\(screen.last ?? "")")
        let text = screen.suffix(4).joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(text.contains("models/checkpoints folder"), "\(screen.suffix(4))")
        s.hint = .warning("short")
        #expect(lines(s).last?.hasPrefix(" gpu — comfyui at http://192.168.100.200:8188 (sdxl-turbo, 4 steps) · exclusive  short") == true)
    }

    @Test func keyHintsFollowTheKeymapSoRebindingQuitChangesTheBar() throws {
        let s = AppState.fixture()
        #expect(lines(s).last?.contains("C-c quit") == true)
        let rebound = try Keymap.default.overriding([.global: [(key: "C-c", command: "none"), (key: "C-q", command: "quit")]])
        let bar = lines(s, keymap: rebound).last ?? ""
        #expect(bar.contains("C-q quit") && !bar.contains("C-c"), "\(bar)")
    }

    @Test func wrappingKeepsEveryWordAndCutsOnlyWordsLongerThanALine() {
        #expect(StatusBar.wrap("aa bb cc", width: 5) == ["aa bb", "cc"])
        #expect(StatusBar.wrap("abcdefgh", width: 3) == ["abc", "def", "gh"])
    }

    @Test func placeholdersFieldTitlesAndTheSearchLineNameTheReboundKeys() throws {
        let rebound = try Keymap.default.overriding([.prompt: [(key: "Enter", command: "none"), (key: "C-s", command: "generate"),
                                                               (key: "C-r", command: "none"), (key: "F6", command: "search_history")]])
        let idle = lines(AppState.fixture(), keymap: rebound).joined(separator: "\n")
        #expect(idle.contains("press C-s") && !idle.contains("press Enter"), "\(idle)")
        #expect(FieldEdit.negativePrompt.title(keymap: rebound).contains("C-s, M-n or Esc goes back"))
        var s = AppState.fixture(prompt: "sea")
        s.modal = .search(PromptSearch(), draft: s.editor.prompt)
        #expect(lines(s, keymap: rebound).joined().contains("F6 older"))
    }
}
