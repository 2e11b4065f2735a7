import EaselCore
import EaselTerminal
@testable import EaselUI
import Testing
import TestSupport

/// Every hint that names a key takes the name from the keymap in use, and the keys it names are the
/// ones that act: rebinding a key changes the hint and the behaviour together.
@Suite("Hints and keys from the keymap: search, filter, questions")
struct KeymapHintsTests {
    func screen(_ s: AppState, keymap: Keymap) -> String {
        render(s, size: CellSize(columns: 120, rows: 36), keymap: keymap, cell: PixelSize(width: 10, height: 20)) { _ in .encoding }
            .buffer.lines.joined(separator: "\n")
    }

    /// Enter generates no more, C-x does; Esc no longer backs out, C-o does; y no longer answers yes, o does.
    func rebound() throws -> Keymap {
        try Keymap.default.overriding([
            .prompt: [(key: "Enter", command: "none"), (key: "C-x", command: "generate"),
                      (key: "Esc", command: "none"), (key: "C-g", command: "none"), (key: "C-o", command: "focus_prompt")],
            .history: [(key: "Enter", command: "none"), (key: "C-v", command: "preview_job"),
                       (key: "Esc", command: "none"), (key: "C-o", command: "focus_prompt")],
            .confirm: [(key: "y", command: "none"), (key: "o", command: "confirm_yes")],
        ])
    }

    @Test func theSearchHintNamesTheKeysThatAcceptAndCancel() throws {
        var s = AppState.fixture(prompt: "sea")
        s.editor.promptHistory = [PromptHistoryEntry(prompt: "harbour at dawn", parameters: s.editor.parameters)]
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        #expect(screen(s, keymap: .default).contains("C-r older · Enter accept · Esc cancel"))
        let keymap = try rebound()
        #expect(screen(s, keymap: keymap).contains("C-r older · C-x accept · C-o cancel"))
        var accepted = s
        #expect(reduce(&accepted, .key(.escape), keymap: keymap) == [])        // Esc is no cancel key any more: it accepts
        #expect(accepted.search == nil && accepted.editor.prompt.text == "harbour at dawn")
        var cancel = s
        #expect(reduce(&cancel, .key(.ctrl("o")), keymap: keymap) == [])
        #expect(cancel.search == nil && cancel.editor.prompt.text == "sea")
        #expect(reduce(&s, .key(.ctrl("g"))) == [])                             // C-g cancels by default (bound to focus_prompt)
        #expect(s.search == nil && s.editor.prompt.text == "sea")
    }

    @Test func theFilterHintNamesTheKeysThatKeepAndClear() throws {
        var s = AppState.fixture()
        s.focus = .history
        #expect(reduce(&s, .key(.char("/"))) == [])
        #expect(reduce(&s, .key(.char("x"))) == [])
        #expect(screen(s, keymap: .default).contains("filter: x▏ Enter keeps · Esc clears"))
        let keymap = try rebound()
        #expect(screen(s, keymap: keymap).contains("filter: x▏ C-v keeps · C-o clears"))
        var cleared = s
        #expect(reduce(&cleared, .key(.ctrl("o")), keymap: keymap) == [])
        #expect(cleared.history.filter == "" && !cleared.filterEditing)
        #expect(reduce(&s, .key(.escape), keymap: keymap) == [])                // Esc is no clear key here: it keeps
        #expect(s.history.filter == "x" && !s.filterEditing)
    }

    @Test func theQuestionNamesTheYesKeyAndOnlyThatKeyAnswersYes() throws {
        var s = AppState.fixture()
        s.modal = .question(.deleteJob(JobID(4)), under: nil)
        s.queue.jobs = [Job(id: JobID(4), request: .fixture(), state: .canceled, createdAt: t0)]
        let keymap = try rebound()
        #expect(screen(s, keymap: .default).contains("Delete job #4 from the history? y / n"))
        #expect(screen(s, keymap: keymap).contains("Delete job #4 from the history? o / n"))
        var refused = s
        #expect(reduce(&refused, .key(.char("y")), keymap: keymap) == [])
        #expect(refused.jobs.count == 1 && refused.confirmation == nil)
        #expect(reduce(&s, .key(.char("o")), keymap: keymap) == [])
        #expect(s.queue.jobs.isEmpty)
    }

    @Test func theGalleryDeleteQuestionNamesTheYesKey() throws {
        var s = AppState.fixture()
        s.modal = .question(.deleteImage("/g/a.png"), under: .gallery(GalleryBrowser(), under: nil))
        #expect(screen(s, keymap: try rebound()).contains("Delete /g/a.png? o / n"))
        #expect(reduce(&s, .key(.char("o")), keymap: try rebound()) == [.gallery(.delete("/g/a.png"))])
    }
}
