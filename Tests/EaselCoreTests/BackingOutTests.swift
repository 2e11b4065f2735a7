import EaselCore
import Testing
import TestSupport

/// Esc backs out of what it is in (lazygit, helix); the filter and C-r edit like a line.
@Suite("Esc backs out; filter and search edit like a line")
struct BackingOutTests {
    func finished(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for p in prompts { _ = enter(&s, p) }
        for job in s.queue.jobs { _ = reduce(&s, .failed(job.id, .network("x"), during: .submit)) }
        return s
    }

    func type(_ s: inout AppState, _ text: String) { for c in text { _ = reduce(&s, .key(.char(c))) } }

    @Test func escInThePromptStaysThereAndEscInAPaneReturnsToThePrompt() {
        var store = ReducerHarness(state: .fixture(prompt: "sea"))
        store.send(.key(.escape))                                    // nothing to close: nothing changes
        store.send(.key(.tab)) { $0.focus = .queue }
        store.send(.key(.escape)) { $0.focus = .prompt }
        store.send(.key(.backTab)) { $0.focus = .history }
        store.send(.key(.escape)) { $0.focus = .prompt }
    }

    @Test func escClosesTheFieldTheHelpAndTheFilterFirstAndOnlyThen() {
        var s = AppState.fixture(prompt: "sea")
        _ = reduce(&s, .key(.alt("n")))                             // the negative prompt field
        type(&s, "blur")
        _ = reduce(&s, .key(.escape))
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "sea" && s.focus == .prompt && s.editor.parameters.negativePrompt.isEmpty)
        s.focus = .history
        _ = reduce(&s, .key(.char("?")))
        _ = reduce(&s, .key(.escape))
        #expect(!s.showHelp && s.focus == .history)
        _ = reduce(&s, .key(.char("/")))
        type(&s, "moon")
        _ = reduce(&s, .key(.escape))
        #expect(!s.filterEditing && s.history.filter.isEmpty && s.focus == .history)
        _ = reduce(&s, .key(.escape))
        #expect(s.focus == .prompt)
    }

    @Test func ctrlUAndCtrlWAndBackspaceEditTheFilterWithoutEndingIt() {
        var s = finished(["red sun", "blue moon"])
        s.focus = .history
        _ = reduce(&s, .key(.char("/")))
        type(&s, "blue mo")
        _ = reduce(&s, .key(.ctrl("w")))
        #expect(s.history.filter == "blue " && s.filterEditing)
        _ = reduce(&s, .key(.backspace))
        _ = reduce(&s, .key(.ctrl("u")))
        #expect(s.history.filter.isEmpty && s.filterEditing)
        type(&s, "sun")
        _ = reduce(&s, .key(.enter))
        #expect(!s.filterEditing && s.finishedJobs.map(\.request.prompt) == ["red sun"])
    }

    @Test func ctrlUAndCtrlWEditTheSearchQuery() {
        var s = finished(["red sun", "blue moon"])
        s.editor.prompt = PromptEditor("draft")
        _ = reduce(&s, .key(.ctrl("r")))
        type(&s, "red x")
        #expect(s.search?.failed == true && s.editor.prompt.text == "draft")
        _ = reduce(&s, .key(.ctrl("w")))                            // "red "
        #expect(s.search?.query == "red " && s.search?.failed == false && s.editor.prompt.text == "red sun")
        _ = reduce(&s, .key(.ctrl("u")))
        #expect(s.search?.query == "" && s.search != nil)
        type(&s, "blue")
        _ = reduce(&s, .key(.enter))
        #expect(s.editor.prompt.text == "blue moon" && s.search == nil)
    }

    @Test func aSearchWithNoMatchSaysSoAndEnterKeepsThePromptInsteadOfAStaleMatch() {
        var s = finished(["red sun", "blue moon"])
        s.editor.prompt = PromptEditor("draft")
        _ = reduce(&s, .key(.ctrl("r")))
        type(&s, "red")
        #expect(s.editor.prompt.text == "red sun")
        type(&s, "dish")                                            // "reddish": nothing matches
        #expect(s.search?.failed == true && s.editor.prompt.text == "draft")
        #expect(s.hint == .info("No past prompt matches “reddish”"))
        _ = reduce(&s, .key(.enter))
        #expect(s.search == nil && s.editor.prompt.text == "draft" && s.queue.jobs.count == 2)
        #expect(s.hint?.message.contains("No past prompt matches") == true)
    }

    @Test func ctrlRPastTheOldestMatchSaysThereIsNoOlderOne() {
        var s = finished(["red sun", "red moon"])
        _ = reduce(&s, .key(.ctrl("r")))
        type(&s, "red")
        _ = reduce(&s, .key(.ctrl("r")))
        #expect(s.editor.prompt.text == "red sun")
        _ = reduce(&s, .key(.ctrl("r")))
        #expect(s.editor.prompt.text == "red sun" && s.hint == .info("No older match for “red”"))
    }
}

/// The History cursor stays where the user put it.
@Suite("History cursor")
struct HistoryCursorTests {
    func finished(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for p in prompts { _ = enter(&s, p) }
        for job in s.queue.jobs { _ = reduce(&s, .failed(job.id, .network("x"), during: .submit)) }
        s.focus = .history
        return s
    }

    /// The issue's reproduction: R then n on an older row re-ran the top row.
    @Test func rThenNOnAnOlderRowRerunsThatRowBothTimes() {
        var s = finished(["sun", "moon", "star"])
        _ = reduce(&s, .key(.down))                                  // "moon"
        _ = reduce(&s, .key(.char("R")))
        #expect(s.selectedHistoryJob?.request.prompt == "moon")
        _ = reduce(&s, .key(.char("n")))
        #expect(s.queue.jobs.suffix(2).map(\.request.prompt) == ["moon", "moon"])
        #expect(s.selectedHistoryJob?.request.prompt == "moon")
    }

    @Test func aSavedImageOrAFailureDoesNotMoveTheCursorInTheHistoryPane() {
        var s = finished(["sun", "moon"])
        _ = reduce(&s, .key(.down))                                  // "sun"
        _ = reduce(&s, .key(.char("R")))                             // job 3, running
        let id = s.queue.jobs.last!.id
        _ = reduce(&s, .submitted(id, RemoteJobID("r"), status: .completed(ImageRef(url: "u"))))
        _ = reduce(&s, .downloaded(id, ImageData([1])))
        _ = reduce(&s, .saved(id, SavedImage(path: "/g/sun.png", width: 1, height: 1)))
        #expect(s.finishedJobs.first?.id == id)
        #expect(s.selectedHistoryJob?.request.prompt == "sun" && s.selectedHistoryJob?.id != id)
    }

    @Test func theImplicitTopRowIsPinnedWhenARowArrivesWhileTheUserIsInThePane() {
        var s = finished(["sun"])
        s.focus = .prompt
        _ = enter(&s, "moon")                                        // queue mode: runs while we look at history
        s.focus = .history
        #expect(s.history.selection == nil && s.selectedHistoryJob?.request.prompt == "sun")
        _ = reduce(&s, .failed(s.queue.jobs.last!.id, .network("x"), during: .submit))
        #expect(s.selectedHistoryJob?.request.prompt == "sun")
    }

    @Test func outsideTheHistoryPaneTheCursorFollowsTheNewestSavedImage() {
        var s = finished(["sun"])
        s.focus = .prompt
        s.history.selection = s.queue.jobs[0].id
        _ = enter(&s, "moon")
        let id = s.queue.jobs.last!.id
        _ = reduce(&s, .submitted(id, RemoteJobID("r"), status: .completed(ImageRef(url: "u"))))
        _ = reduce(&s, .downloaded(id, ImageData([1])))
        _ = reduce(&s, .saved(id, SavedImage(path: "/g/moon.png", width: 1, height: 1)))
        #expect(s.selectedHistoryJob?.id == id && s.previewJob?.id == id)
    }
}
