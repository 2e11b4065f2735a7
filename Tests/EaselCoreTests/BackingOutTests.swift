import EaselCore
import Testing
import TestSupport

/// Esc backs out of what it is in (lazygit, helix); the filter and C-r edit like a line.
@Suite("Esc backs out; filter and search edit like a line")
struct BackingOutTests {
    func finished(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for (i, p) in prompts.enumerated() {   // queue mode, one slot: the first is sent, the rest wait
            #expect(enter(&s, p) == (i == 0 ? [.submit(JobID(1), .fixture(prompt: p), backend: "demo")] : []))
        }
        for (i, job) in s.jobs.enumerated() {  // each failure announces the job and sends the next
            let next = s.jobs.dropFirst(i + 1).first.map { [Effect.submit($0.id, $0.request, backend: "demo")] } ?? []
            #expect(reduce(&s, .failed(job.id, .network("x"), during: .submit)) == [.terminal(.notify(job.id))] + next)
        }
        return s
    }

    func type(_ s: inout AppState, _ text: String) { for c in text { #expect(reduce(&s, .key(.char(c))) == []) } }

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
        #expect(reduce(&s, .key(.alt("n"))) == [])                             // the negative prompt field
        type(&s, "blur")
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "sea" && s.focus == .prompt && s.editor.parameters.negativePrompt == "blur")
        s.focus = .history
        #expect(reduce(&s, .key(.char("?"))) == [])
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(!s.showHelp && s.focus == .history)
        #expect(reduce(&s, .key(.char("/"))) == [])
        type(&s, "moon")
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(!s.filterEditing && s.history.filter.isEmpty && s.focus == .history)
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(s.focus == .prompt)
    }

    @Test func escTabOrAClickOutOfTheNegativePromptKeepsWhatWasTypedAndEscCancelsOnlyTheParameters() {
        var store = ReducerHarness(state: .fixture(prompt: "sea"))
        let prompt = store.state.editor.prompt
        for leave in [Action.key(.escape), .key(.tab), .clicked(.history, job: nil)] {   // Tab ends the field only
            store.send(.key(.alt("n"))) {
                $0.modal = .field(.negativePrompt, stashed: prompt)
                $0.editor.prompt = PromptEditor($0.editor.parameters.negativePrompt)
            }
            store.send(.key(.ctrl("u"))) { $0.editor.prompt.killToStart() }
            for c in "blur" { store.send(.key(.char(c))) { $0.editor.prompt.insert(String(c)) } }
            store.send(leave) {
                $0.modal = nil
                $0.editor.prompt = prompt
                $0.editor.parameters.negativePrompt = "blur"
                if leave == .clicked(.history, job: nil) { $0.focus = .history }
            }
        }
        var s = AppState.fixture(prompt: "sea")
        #expect(reduce(&s, .key(.alt("e"))) == [])
        #expect(reduce(&s, .key(.ctrl("u"))) == [])
        type(&s, "steps=7")
        #expect(reduce(&s, .key(.escape)) == [])                   // the title says Esc cancels
        #expect(s.fieldEdit == nil && s.editor.prompt.text == "sea" && s.editor.parameters.steps != 7)
        #expect(FieldEdit.parameters.title.contains("Esc cancels") && FieldEdit.negativePrompt.title.contains("Esc goes back, keeping it"))
    }

    @Test func ctrlUAndCtrlWAndBackspaceEditTheFilterWithoutEndingIt() {
        var s = finished(["red sun", "blue moon"])
        s.focus = .history
        #expect(reduce(&s, .key(.char("/"))) == [])
        type(&s, "blue mo")
        #expect(reduce(&s, .key(.ctrl("w"))) == [])
        #expect(s.history.filter == "blue " && s.filterEditing)
        #expect(reduce(&s, .key(.backspace)) == [])
        #expect(reduce(&s, .key(.ctrl("u"))) == [])
        #expect(s.history.filter.isEmpty && s.filterEditing)
        type(&s, "sun")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(!s.filterEditing && Array(s.historyRows).map(\.request.prompt) == ["red sun"])
    }

    @Test func ctrlUAndCtrlWEditTheSearchQuery() {
        var s = finished(["red sun", "blue moon"])
        s.editor.prompt = PromptEditor("draft")
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        type(&s, "red x")
        #expect(s.search?.failed == true && s.editor.prompt.text == "draft")
        #expect(reduce(&s, .key(.ctrl("w"))) == [])                            // "red "
        #expect(s.search?.query == "red " && s.search?.failed == false && s.editor.prompt.text == "red sun")
        #expect(reduce(&s, .key(.ctrl("u"))) == [])
        #expect(s.search?.query == "" && s.search != nil)
        type(&s, "blue")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.editor.prompt.text == "blue moon" && s.search == nil)
    }

    @Test func aSearchWithNoMatchSaysSoAndEnterKeepsThePromptInsteadOfAStaleMatch() {
        var s = finished(["red sun", "blue moon"])
        s.editor.prompt = PromptEditor("draft")
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        type(&s, "red")
        #expect(s.editor.prompt.text == "red sun")
        type(&s, "dish")                                            // "reddish": nothing matches
        #expect(s.search?.failed == true && s.editor.prompt.text == "draft")
        #expect(s.hint == .info("No past prompt matches “reddish”"))
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.search == nil && s.editor.prompt.text == "draft" && s.jobs.count == 2)
        #expect(s.hint?.message.contains("No past prompt matches") == true)
    }

    @Test func ctrlRPastTheOldestMatchSaysThereIsNoOlderOne() {
        var s = finished(["red sun", "red moon"])
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        type(&s, "red")
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        #expect(s.editor.prompt.text == "red sun")
        #expect(reduce(&s, .key(.ctrl("r"))) == [])
        #expect(s.editor.prompt.text == "red sun" && s.hint == .info("No older match for “red”"))
    }
}

/// The History cursor stays where the user put it.
@Suite("History cursor")
struct HistoryCursorTests {
    func finished(_ prompts: [String]) -> AppState {
        var s = AppState.fixture(prompt: "", mode: .queue)
        for (i, p) in prompts.enumerated() {
            #expect(enter(&s, p) == (i == 0 ? [.submit(JobID(1), .fixture(prompt: p), backend: "demo")] : []))
        }
        for (i, job) in s.jobs.enumerated() {
            let next = s.jobs.dropFirst(i + 1).first.map { [Effect.submit($0.id, $0.request, backend: "demo")] } ?? []
            #expect(reduce(&s, .failed(job.id, .network("x"), during: .submit)) == [.terminal(.notify(job.id))] + next)
        }
        s.focus = .history
        return s
    }

    /// The issue's reproduction: R then n on an older row re-ran the top row.
    @Test func rThenNOnAnOlderRowRerunsThatRowBothTimes() {
        var s = finished(["sun", "moon", "star"])
        #expect(reduce(&s, .key(.down)) == [])                                  // "moon"
        #expect(reduce(&s, .key(.char("R"))) == [.submit(JobID(4), .fixture(prompt: "moon"), backend: "demo")])  // job 4 takes the free slot;
        #expect(s.jobs.count == 4)
        #expect(s.selectedHistoryJob?.request.prompt == "moon")
        #expect(reduce(&s, .key(.char("n"))) == [])                                  // job 5 waits behind it
        #expect(s.jobs.count == 5)
        #expect(s.jobs.suffix(2).map(\.request.prompt) == ["moon", "moon"])
        #expect(s.selectedHistoryJob?.request.prompt == "moon")
    }

    @Test func aSavedImageOrAFailureDoesNotMoveTheCursorInTheHistoryPane() {
        var s = finished(["sun", "moon"])
        #expect(reduce(&s, .key(.down)) == [])                                  // "sun"
        #expect(reduce(&s, .key(.char("R"))) == [.submit(JobID(3), .fixture(prompt: "sun"), backend: "demo")])                             // job 3, running
        let id = s.jobs.last!.id
        #expect(reduce(&s, .submitted(id, RemoteJobID("r"), status: .completed(ImageRef(url: "u")))) == [.download(id, ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(id, ImageData([1]))) == [.save(id, ImageData([1]), .fixture(prompt: "sun"), remote: RemoteJobID("r"), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .saved(id, SavedImage(path: "/g/sun.png", width: 1, height: 1))) == [.terminal(.notify(id))])
        #expect(Array(s.historyRows).first?.id == id)
        #expect(s.selectedHistoryJob?.request.prompt == "sun" && s.selectedHistoryJob?.id != id)
    }

    @Test func theImplicitTopRowIsPinnedWhenARowArrivesWhileTheUserIsInThePane() {
        var s = finished(["sun"])
        s.focus = .prompt
        #expect(enter(&s, "moon") == [.submit(JobID(2), .fixture(prompt: "moon"), backend: "demo")])                                        // queue mode: runs while we look at history
        s.focus = .history
        #expect(s.history.selection == nil && s.selectedHistoryJob?.request.prompt == "sun")
        #expect(reduce(&s, .failed(s.jobs.last!.id, .network("x"), during: .submit)) == [.terminal(.notify(JobID(2)))])
        #expect(s.selectedHistoryJob?.request.prompt == "sun")
    }

    @Test func outsideTheHistoryPaneTheCursorFollowsTheNewestSavedImage() {
        var s = finished(["sun"])
        s.focus = .prompt
        s.history.selection = s.jobs[0].id
        #expect(enter(&s, "moon") == [.submit(JobID(2), .fixture(prompt: "moon"), backend: "demo")])
        let id = s.jobs.last!.id
        #expect(reduce(&s, .submitted(id, RemoteJobID("r"), status: .completed(ImageRef(url: "u")))) == [.download(id, ImageRef(url: "u"), backend: "demo")])
        #expect(reduce(&s, .downloaded(id, ImageData([1]))) == [.save(id, ImageData([1]), .fixture(prompt: "moon"), remote: RemoteJobID("r"), backend: "demo", timings: JobTimings(elapsed: .zero, download: .zero))])
        #expect(reduce(&s, .saved(id, SavedImage(path: "/g/moon.png", width: 1, height: 1))) == [.terminal(.notify(id))])
        #expect(s.selectedHistoryJob?.id == id && s.previewJob?.id == id)
    }
}
