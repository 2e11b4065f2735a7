import EaselCore
import Testing
import TestSupport

@Suite("Editing like readline")
struct ReadlineEditingTests {
    @Test func killAndYankAndUndo() {
        var s = AppState.fixture(prompt: "a red fox jumps")
        _ = reduce(&s, .key(.alt("\u{7F}")))                    // M-Backspace
        #expect(s.editor.prompt.text == "a red fox ")
        _ = reduce(&s, .key(.ctrl("a")))
        _ = reduce(&s, .key(.alt("d")))                         // M-d
        #expect(s.editor.prompt.text == " red fox ")
        _ = reduce(&s, .key(.ctrl("e")))
        _ = reduce(&s, .key(.ctrl("y")))                        // yank the last kill ("a")
        #expect(s.editor.prompt.text == " red fox a")
        _ = reduce(&s, .key(.ctrl("_")))
        _ = reduce(&s, .key(.ctrl("_")))
        _ = reduce(&s, .key(.ctrl("_")))
        #expect(s.editor.prompt.text == "a red fox jumps")
    }

    @Test func altEnterAndCtrlJInsertNewlinesAndUpDownMoveBetweenLines() {
        var s = AppState.fixture(prompt: "first")
        _ = reduce(&s, .key(.altEnter))
        _ = reduce(&s, .paste("second"))
        _ = reduce(&s, .key(.ctrl("j")))
        _ = reduce(&s, .key(.char("x")))
        #expect(s.editor.prompt.text == "first\nsecond\nx")
        _ = reduce(&s, .key(.up))
        #expect(s.editor.prompt.cursorLine == 1)
        _ = reduce(&s, .key(.ctrl("a")))
        _ = reduce(&s, .key(.ctrl("k")))
        #expect(s.editor.prompt.text == "first\n\nx")
    }

    @Test func aPastedNewlineNeverSubmits() {
        var s = AppState.fixture(prompt: "")
        #expect(reduce(&s, .paste("line one\r\nline two\u{1B}[31m")).isEmpty)
        #expect(s.editor.prompt.text == "line one\nline two" && s.queue.jobs.isEmpty)
    }

    @Test func wideAndCombiningCharactersMoveAsOneCursorStep() {
        var e = PromptEditor("猫é👍🏽")
        #expect(e.characters.count == 3)
        e.moveLeft()
        e.deleteBackward()
        #expect(e.text == "猫👍🏽")
    }
}

@Suite("Prompt history and C-r")
struct PromptHistoryTests {
    func withHistory(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for p in prompts {
            s.editor.prompt = PromptEditor(p)
            _ = reduce(&s, .key(.enter))
        }
        s.editor.prompt = PromptEditor("my draft")
        return s
    }

    @Test func upAndDownBrowseAtTheBoundariesAndTheDraftComesBack() {
        var s = withHistory(["sun", "moon", "stars"])
        _ = reduce(&s, .key(.up))
        #expect(s.editor.prompt.text == "stars")
        _ = reduce(&s, .key(.ctrl("p")))
        _ = reduce(&s, .key(.up))
        #expect(s.editor.prompt.text == "sun")
        _ = reduce(&s, .key(.up))                               // the oldest: stays
        #expect(s.editor.prompt.text == "sun")
        _ = reduce(&s, .key(.down)); _ = reduce(&s, .key(.ctrl("n"))); _ = reduce(&s, .key(.down))
        #expect(s.editor.prompt.text == "my draft" && s.editor.browsing == nil)
        _ = reduce(&s, .key(.down))                             // past the draft: nothing
        #expect(s.editor.prompt.text == "my draft")
    }

    @Test func historyEntriesBringTheirParametersAndDuplicatesCollapse() {
        var s = withHistory(["sun", "moon"])
        s.editor.parameters.width = 512
        s.editor.prompt = PromptEditor("sun")
        _ = reduce(&s, .key(.enter))
        #expect(s.editor.promptHistory.map(\.prompt) == ["moon", "sun"])
        s.editor.parameters.width = 1024
        _ = reduce(&s, .key(.up))
        #expect(s.editor.prompt.text == "sun" && s.editor.parameters.width == 512)
    }

    @Test func ctrlRFindsTheNewestMatchThenOlderOnesAndEscRestoresTheDraft() {
        var s = withHistory(["red sun", "blue moon", "red moon"])
        _ = reduce(&s, .key(.ctrl("r")))
        for c in "red" { _ = reduce(&s, .key(.char(c))) }
        #expect(s.editor.prompt.text == "red moon")
        _ = reduce(&s, .key(.ctrl("r")))
        #expect(s.editor.prompt.text == "red sun")
        _ = reduce(&s, .key(.escape))
        #expect(s.editor.prompt.text == "my draft" && s.search == nil)
        _ = reduce(&s, .key(.ctrl("r")))
        for c in "MOON" { _ = reduce(&s, .key(.char(c))) }
        _ = reduce(&s, .key(.enter))
        #expect(s.editor.prompt.text == "red moon" && s.search == nil && s.queue.jobs.count == 3)
    }

    @Test func historyPaneKeysLoadRerunAndCopy() {
        var s = AppState.fixture(prompt: "lighthouse", mode: .queue)
        _ = reduce(&s, .key(.enter))
        let saved = SavedImage(path: "/g/l.png", width: 1, height: 1)
        _ = reduce(&s, .submitted(JobID(1), RemoteJobID("r"), status: .completed(ImageRef(url: "u"))))
        _ = reduce(&s, .downloaded(JobID(1), ImageData([1])))
        _ = reduce(&s, .saved(JobID(1), saved))
        s.focus = .history
        let same = reduce(&s, .key(.char("R")))
        #expect(same == [.submit(JobID(2), s.queue.jobs[0].request, backend: "demo")])
        #expect(reduce(&s, .key(.char("y"))) == [.terminal(.copyToClipboard("/g/l.png"))])
        #expect(reduce(&s, .key(.char("Y"))) == [.terminal(.copyToClipboard("lighthouse"))])
        s.history.selection = JobID(1)
        #expect(reduce(&s, .key(.char("o"))) == [.open("/g/l.png")])
        s.editor.prompt = PromptEditor("other")
        _ = reduce(&s, .key(.char("r")))
        #expect(s.editor.prompt.text == "lighthouse" && s.focus == .prompt && s.editor.parameters.seed == 42)
    }
}

@Suite("Negative prompt and parameters from the keyboard")
struct ParameterEditingTests {
    @Test func altNEditsTheNegativePromptAndTheNextJobUsesIt() {
        var s = AppState.fixture(prompt: "a castle")
        _ = reduce(&s, .key(.alt("n")))
        #expect(s.fieldEdit == .negativePrompt && s.editor.prompt.text == "")
        _ = reduce(&s, .paste("blurry, text"))
        _ = reduce(&s, .key(.enter))                               // back to the prompt, nothing submitted
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "a castle" && s.queue.jobs.isEmpty)
        #expect(s.editor.parameters.negativePrompt == "blurry, text")
        let effects = reduce(&s, .key(.enter))
        guard case .submit(_, let request, backend: "demo")? = effects.first else { Issue.record("no submit"); return }
        #expect(request.negativePrompt == "blurry, text")
    }

    @Test func altEParsesSeedSizeAndStepsAndRefusesNonsense() {
        var s = AppState.fixture(prompt: "a castle")
        _ = reduce(&s, .key(.alt("e")))
        #expect(s.editor.prompt.text == "seed=42 size=768x768 steps=30")
        _ = reduce(&s, .key(.ctrl("u")))
        _ = reduce(&s, .paste("seed=random size=1024x512 steps=12"))
        _ = reduce(&s, .key(.enter))
        #expect(s.editor.parameters.seed == nil && s.editor.parameters.width == 1024 && s.editor.parameters.height == 512 && s.editor.parameters.steps == 12)
        #expect(s.editor.prompt.text == "a castle")
        _ = reduce(&s, .key(.alt("e")))
        _ = reduce(&s, .key(.ctrl("u")))
        _ = reduce(&s, .paste("size=9x9"))
        _ = reduce(&s, .key(.enter))
        #expect(s.fieldEdit == .parameters && s.hint == .warning("size must be WxH, each 64...2048"))
        _ = reduce(&s, .key(.escape))
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "a castle" && s.editor.parameters.width == 1024)
    }

    @Test func altRTogglesBetweenARandomAndAFixedSeed() {
        var s = AppState.fixture(prompt: "x", parameters: GenerationParameters(seed: nil))
        _ = reduce(&s, .key(.alt("r")))
        #expect(s.editor.parameters.seed != nil)
        _ = reduce(&s, .key(.alt("r")))
        #expect(s.editor.parameters.seed == nil)
    }
}

@Suite("History pane: delete, star, filter")
struct HistoryPaneTests {
    func finished(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for p in prompts { enter(&s, p) }
        for job in s.queue.jobs { _ = reduce(&s, .failed(job.id, .network("x"), during: .submit)) }
        s.focus = .history
        return s
    }

    @Test func deleteAsksFirstAndOnlyYDeletes() {
        var s = finished(["sun", "moon"])
        _ = reduce(&s, .key(.char("d")))
        #expect(s.confirmation == .deleteJob(JobID(2)))
        _ = reduce(&s, .key(.char("n")))
        #expect(s.confirmation == nil && s.queue.jobs.count == 2)
        _ = reduce(&s, .key(.char("d")))
        _ = reduce(&s, .key(.char("y")))
        #expect(s.queue.jobs.map(\.request.prompt) == ["sun"])
    }

    @Test func starAndFilterByTextSeedOrStars() {
        var s = finished(["red sun", "blue moon", "red moon"])
        _ = reduce(&s, .key(.char("*")))                        // stars the newest, "red moon"
        #expect(s.queue.jobs[2].starred)
        _ = reduce(&s, .key(.char("/")))
        for c in "moon" { _ = reduce(&s, .key(.char(c))) }
        _ = reduce(&s, .key(.enter))
        #expect(s.finishedJobs.map(\.request.prompt) == ["red moon", "blue moon"] && !s.filterEditing)
        _ = reduce(&s, .key(.char("/")))
        _ = reduce(&s, .key(.escape))
        #expect(s.finishedJobs.count == 3 && s.history.filter.isEmpty)
        _ = reduce(&s, .key(.char("/")))
        _ = reduce(&s, .key(.char("*")))
        _ = reduce(&s, .key(.enter))
        #expect(s.finishedJobs.map(\.request.prompt) == ["red moon"])
    }
}
