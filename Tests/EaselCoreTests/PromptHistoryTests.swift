import EaselCore
import Testing
import TestSupport

@Suite("Editing like readline")
struct ReadlineEditingTests {
    @Test func killAndYankAndUndo() {
        var s = AppState.fixture(prompt: "a red fox jumps")
        #expect(reduce(&s, .key(.alt("\u{7F}"))) == [])                    // M-Backspace
        #expect(s.editor.prompt.text == "a red fox ")
        #expect(reduce(&s, .key(.ctrl("a"))) == [])
        #expect(reduce(&s, .key(.alt("d"))) == [])                         // M-d
        #expect(s.editor.prompt.text == " red fox ")
        #expect(reduce(&s, .key(.ctrl("e"))) == [])
        #expect(reduce(&s, .key(.ctrl("y"))) == [])                        // yank the last kill ("a")
        #expect(s.editor.prompt.text == " red fox a")
        #expect(reduce(&s, .key(.ctrl("_"))) == [])
        #expect(reduce(&s, .key(.ctrl("_"))) == [])
        #expect(reduce(&s, .key(.ctrl("_"))) == [])
        #expect(s.editor.prompt.text == "a red fox jumps")
    }

    @Test func scalarsTypedOneByOneJoinIntoOneCharacterSoBackspaceNeverSplitsAnEmoji() {
        var s = AppState.fixture(prompt: "")
        for scalar in ["e", "\u{301}", "x", "👨", "\u{200D}", "👩", "\u{200D}", "👧", "y"] {   // keys arrive a scalar at a time
            #expect(reduce(&s, .key(.char(Character(scalar)))) == [])
        }
        #expect(s.editor.prompt.text == "e\u{301}x👨\u{200D}👩\u{200D}👧y")
        #expect(s.editor.prompt.characters.count == 4)                     // é, x, the family, y
        Drive.press(&s, .left, .left, .backspace)
        #expect(s.editor.prompt.text == "e\u{301}👨\u{200D}👩\u{200D}👧y")
        Drive.press(&s, .backspace)                                         // the accent goes with its letter
        #expect(s.editor.prompt.text == "👨\u{200D}👩\u{200D}👧y")
    }

    @Test func altEnterAndCtrlJInsertNewlinesAndUpDownMoveBetweenLines() {
        var s = AppState.fixture(prompt: "first")
        #expect(reduce(&s, .key(.altEnter)) == [])
        #expect(reduce(&s, .paste("second")) == [])
        #expect(reduce(&s, .key(.ctrl("j"))) == [])
        #expect(reduce(&s, .key(.char("x"))) == [])
        #expect(s.editor.prompt.text == "first\nsecond\nx")
        #expect(reduce(&s, .key(.up)) == [])
        #expect(s.editor.prompt.cursorLine == 1)
        #expect(reduce(&s, .key(.ctrl("a"))) == [])
        #expect(reduce(&s, .key(.ctrl("k"))) == [])
        #expect(s.editor.prompt.text == "first\n\nx")
    }

    @Test func aPastedNewlineNeverSubmits() {
        var s = AppState.fixture(prompt: "")
        #expect(reduce(&s, .paste("line one\r\nline two\u{1B}[31m")).isEmpty)
        #expect(s.editor.prompt.text == "line one\nline two" && s.jobs.isEmpty)
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
        for (i, p) in prompts.enumerated() {   // queue mode, one slot: the first is sent, the rest wait
            s.editor.prompt = PromptEditor(p)
            #expect(reduce(&s, .key(.enter)) == (i == 0 ? [.submit(JobID(1), .fixture(prompt: p), backend: "demo")] : []))
        }
        s.editor.prompt = PromptEditor("my draft")
        return s
    }

    @Test func upAndDownBrowseAtTheBoundariesAndTheDraftComesBack() {
        var s = withHistory(["sun", "moon", "stars"])
        #expect(reduce(&s, .key(.up)) == [])
        #expect(s.editor.prompt.text == "stars")
        #expect(reduce(&s, .key(.ctrl("p"))) == [])
        #expect(reduce(&s, .key(.up)) == [])
        #expect(s.editor.prompt.text == "sun")
        #expect(reduce(&s, .key(.up)) == [])                               // the oldest: stays
        #expect(s.editor.prompt.text == "sun")
        #expect(reduce(&s, .key(.down)) == []); #expect(reduce(&s, .key(.ctrl("n"))) == []); #expect(reduce(&s, .key(.down)) == [])
        #expect(s.editor.prompt.text == "my draft" && s.editor.browsing == nil)
        #expect(reduce(&s, .key(.down)) == [])                             // past the draft: nothing
        #expect(s.editor.prompt.text == "my draft")
    }

    @Test func historyEntriesBringTheirParametersAndDuplicatesCollapse() {
        var s = withHistory(["sun", "moon"])
        s.editor.parameters.width = 512
        s.editor.prompt = PromptEditor("sun")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.editor.promptHistory.map(\.prompt) == ["moon", "sun"])
        s.editor.parameters.width = 1024
        #expect(reduce(&s, .key(.up)) == [])
        #expect(s.editor.prompt.text == "sun" && s.editor.parameters.width == 512)
    }

    @Test func downPastTheNewestBringsBackTheDraftsParametersToo() {
        var s = withHistory(["sun"])
        s.editor.parameters.width = 1024
        s.editor.parameters.steps = 42
        s.editor.parameters.seed = 7
        s.editor.parameters.negativePrompt = "blurry"
        let draft = s.editor.parameters
        #expect(reduce(&s, .key(.up)) == [])
        #expect(s.editor.prompt.text == "sun" && s.editor.parameters != draft)
        #expect(reduce(&s, .key(.down)) == [])
        #expect(s.editor.prompt.text == "my draft")
        #expect(s.editor.parameters == draft)
    }

    @Test func ctrlRFindsTheNewestMatchThenOlderOnesAndEscRestoresTheDraft() {
        var s = withHistory(["red sun", "blue moon", "red moon"])
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        for c in "red" { #expect(reduce(&s, .key(.char(c))) == []) }
        #expect(s.editor.prompt.text == "red moon")
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        #expect(s.editor.prompt.text == "red sun")
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(s.editor.prompt.text == "my draft" && s.search == nil)
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        for c in "MOON" { #expect(reduce(&s, .key(.char(c))) == []) }
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.editor.prompt.text == "red moon" && s.search == nil && s.jobs.count == 3)
    }

    @Test func historyPaneKeysLoadRerunAndCopy() {
        var s = AppState.fixture(prompt: "lighthouse", mode: .queue)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), .fixture(prompt: "lighthouse"), backend: "demo")])
        let saved = SavedImage(path: "/g/l.png", width: 1, height: 1)
        #expect(reduce(&s, .submitted(JobID(1), RemoteJobID("r"), status: .completed(ImageRef(url: "u")))) == [.download(JobID(1), ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(JobID(1), ImageData([1]))) == [.save(JobID(1), ImageData([1]), .fixture(prompt: "lighthouse"), remote: RemoteJobID("r"), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .saved(JobID(1), saved)) == [.terminal(.notify(JobID(1)))])
        s.focus = .history
        let same = reduce(&s, .key(.char("R")))
        #expect(same == [.submit(JobID(2), s.jobs[0].request, backend: "demo")])
        #expect(reduce(&s, .key(.char("y"))) == [.terminal(.copyToClipboard("/g/l.png"))])
        #expect(reduce(&s, .key(.char("Y"))) == [.terminal(.copyToClipboard("lighthouse"))])
        s.history.selection = JobID(1)
        #expect(reduce(&s, .key(.char("o"))) == [.open("/g/l.png")])
        s.editor.prompt = PromptEditor("other")
        #expect(reduce(&s, .key(.char("r"))) == [])
        #expect(s.editor.prompt.text == "lighthouse" && s.focus == .prompt && s.editor.parameters.seed == 42)
    }
}

@Suite("Negative prompt and parameters from the keyboard")
struct ParameterEditingTests {
    @Test func altNEditsTheNegativePromptAndTheNextJobUsesIt() {
        var s = AppState.fixture(prompt: "a castle")
        #expect(reduce(&s, .key(.alt("n"))) == [])
        #expect(s.fieldEdit == .negativePrompt && s.editor.prompt.text == "")
        #expect(reduce(&s, .paste("blurry, text")) == [])
        #expect(reduce(&s, .key(.enter)) == [])                               // back to the prompt, nothing submitted
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "a castle" && s.jobs.isEmpty)
        #expect(s.editor.parameters.negativePrompt == "blurry, text")
        let effects = reduce(&s, .key(.enter))
        guard case .submit(_, let request, _)? = effects.first else { Issue.record("no submit"); return }
        #expect(request.negativePrompt == "blurry, text")
    }

    @Test func altEParsesSeedSizeAndStepsAndRefusesNonsense() {
        var s = AppState.fixture(prompt: "a castle")
        #expect(reduce(&s, .key(.alt("e"))) == [])
        #expect(s.editor.prompt.text == "seed=42 size=768x768 steps=30")
        #expect(reduce(&s, .key(.ctrl("u"))) == [])
        #expect(reduce(&s, .paste("seed=random size=1024x512 steps=12")) == [])
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.editor.parameters.seed == nil && s.editor.parameters.width == 1024 && s.editor.parameters.height == 512 && s.editor.parameters.steps == 12)
        #expect(s.editor.prompt.text == "a castle")
        #expect(reduce(&s, .key(.alt("e"))) == [])
        #expect(reduce(&s, .key(.ctrl("u"))) == [])
        #expect(reduce(&s, .paste("size=9x9")) == [])
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.fieldEdit == .parameters && s.hint == .warning("size must be WxH, each 64...2048"))
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "a castle" && s.editor.parameters.width == 1024)
    }

    @Test func altRTogglesBetweenARandomAndAFixedSeed() {
        var s = AppState.fixture(prompt: "x", parameters: GenerationParameters(seed: nil))
        #expect(reduce(&s, .key(.alt("r"))) == [])
        #expect(s.editor.parameters.seed != nil)
        #expect(reduce(&s, .key(.alt("r"))) == [])
        #expect(s.editor.parameters.seed == nil)
    }
}

@Suite("History pane: delete, star, filter")
struct HistoryPaneTests {
    func finished(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for (i, p) in prompts.enumerated() {
            #expect(enter(&s, p) == (i == 0 ? [.submit(JobID(1), .fixture(prompt: p), backend: "demo")] : []))
        }
        for (i, job) in s.jobs.enumerated() {  // each failure announces the job and sends the next
            let next = s.jobs.dropFirst(i + 1).first.map { [Effect.submit($0.id, $0.request, backend: "demo")] } ?? []
            #expect(reduce(&s, .failed(job.id, .network("x"), during: .submit)) == [.terminal(.notify(job.id))] + next)
        }
        s.focus = .history
        return s
    }

    @Test func deleteAsksFirstAndOnlyYDeletes() {
        var s = finished(["sun", "moon"])
        #expect(reduce(&s, .key(.char("d"))) == [])
        #expect(s.confirmation == .deleteJob(JobID(2)))
        #expect(reduce(&s, .key(.char("n"))) == [])
        #expect(s.confirmation == nil && s.jobs.count == 2)
        #expect(reduce(&s, .key(.char("d"))) == [])
        #expect(reduce(&s, .key(.char("y"))) == [])
        #expect(s.jobs.map(\.request.prompt) == ["sun"])
    }

    @Test func starAndFilterByTextSeedOrStars() {
        var s = finished(["red sun", "blue moon", "red moon"])
        #expect(reduce(&s, .key(.char("*"))) == [])                        // stars the newest, "red moon"
        #expect(s.jobs[2].starred)
        #expect(reduce(&s, .key(.char("/"))) == [])
        for c in "moon" { #expect(reduce(&s, .key(.char(c))) == []) }
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(Array(s.historyRows).map(\.request.prompt) == ["red moon", "blue moon"] && !s.filterEditing)
        #expect(reduce(&s, .key(.char("/"))) == [])
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(Array(s.historyRows).count == 3 && s.history.filter.isEmpty)
        #expect(reduce(&s, .key(.char("/"))) == [])
        #expect(reduce(&s, .key(.char("*"))) == [])
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(Array(s.historyRows).map(\.request.prompt) == ["red moon"])
    }
}
