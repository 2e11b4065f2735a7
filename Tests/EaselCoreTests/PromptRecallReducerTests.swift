import EaselCore
import Testing
import TestSupport

/// Past prompts: ↑/↓ through them with their parameters, and C-r's incremental reverse search.
@Suite("Prompt history: up, down and C-r")
struct PromptRecallReducerTests {
    /// "red sun", "blue moon", "red moon" run (oldest first), then "draft" typed.
    func drafted() -> AppState {
        var s = Drive.finished(["red sun", "blue moon", "red moon"])
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "draft")
        return s
    }

    @Test func upWalksToOlderPromptsAndStopsAtTheOldest() {
        var s = drafted()
        var seen: [String] = []
        for _ in 0..<4 { Drive.press(&s, .up); seen.append(s.editor.prompt.text) }
        #expect(seen == ["red moon", "blue moon", "red sun", "red sun"])
    }

    @Test func downPastTheNewestBringsTheDraftBack() {
        var s = drafted()
        Drive.press(&s, .up, .up, .down)
        #expect(s.editor.prompt.text == "red moon")
        Drive.press(&s, .down)
        #expect(s.editor.prompt.text == "draft" && s.editor.browsing == nil)
        Drive.press(&s, .down)
        #expect(s.editor.prompt.text == "draft")
    }

    @Test func aRecalledPromptBringsItsParametersButNotTheBatchSize() {
        var s = AppState.fixture()
        Drive.press(&s, .alt("s"), .alt("s"))                  // 512×768
        Drive.type(&s, "tall")
        let tall = GenerationRequest(prompt: "tall", width: 512, height: 768, seed: 42, steps: 30)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), tall, backend: "demo")])
        Drive.complete(&s, id: 1)
        Drive.press(&s, .ctrl("u"), .alt("s"), .alt("="))     // 1024×576, 2 per Enter
        Drive.press(&s, .up)
        #expect(s.editor.prompt.text == "tall" && s.editor.parameters.width == 512 && s.editor.parameters.height == 768)
        #expect(s.editor.parameters.count == 2)
    }

    @Test func aPromptRunTwiceIsRememberedOnceAsTheNewest() {
        var s = Drive.finished(["sea", "fog", "sea"])
        #expect(s.editor.promptHistory.map(\.prompt) == ["fog", "sea"])
        Drive.press(&s, .ctrl("u"), .up, .up)
        #expect(s.editor.prompt.text == "fog")
    }

    @Test func ctrlRFindsTheNewestMatchAndCtrlRAgainAnOlderOne() {
        var s = drafted()
        Drive.press(&s, .ctrl("r"))
        Drive.type(&s, "red")
        #expect(s.editor.prompt.text == "red moon" && s.search?.failed == false)
        Drive.press(&s, .ctrl("r"))
        #expect(s.editor.prompt.text == "red sun")
        Drive.press(&s, .ctrl("r"))                            // no older one: stays, and says so
        #expect(s.editor.prompt.text == "red sun" && s.hint == .info("No older match for “red”"))
    }

    @Test func enterAcceptsTheMatchWithItsParametersAndSendsNothing() {
        var s = drafted()
        Drive.press(&s, .ctrl("r"))
        Drive.type(&s, "blue")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.search == nil && s.editor.prompt.text == "blue moon" && s.jobs.count == 3)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(4), Drive.request("blue moon"), backend: "demo")])
    }

    @Test func anEmptySearchShowsTheNewestPrompt() {
        var s = drafted()
        Drive.press(&s, .ctrl("r"))
        #expect(s.search?.query == "" && s.editor.prompt.text == "draft")
        Drive.press(&s, .ctrl("r"))                            // skip 1 over all prompts, newest first
        #expect(s.editor.prompt.text == "blue moon")
    }

    @Test func aFailingSearchShowsTheDraftAndEnterKeepsIt() {
        var s = drafted()
        Drive.press(&s, .ctrl("r"))
        Drive.type(&s, "zz")
        #expect(s.search?.failed == true && s.editor.prompt.text == "draft" && s.hint == .info("No past prompt matches “zz”"))
        Drive.press(&s, .enter)
        #expect(s.search == nil && s.editor.prompt.text == "draft")
    }

    @Test func backspaceInTheSearchWidensItAgain() {
        var s = drafted()
        Drive.press(&s, .ctrl("r"))
        Drive.type(&s, "blue")
        Drive.press(&s, .backspace, .backspace, .backspace, .backspace)
        Drive.type(&s, "red s")
        #expect(s.editor.prompt.text == "red sun")
    }

    @Test func ctrlCInTheSearchRestoresThePromptAndDoesNotQuit() {
        var s = drafted()
        Drive.press(&s, .ctrl("r"))
        Drive.type(&s, "red")
        #expect(reduce(&s, .key(.ctrl("c"))) == [])
        #expect(s.search == nil && s.editor.prompt.text == "draft")
    }

    @Test func journalJobsJoinThePromptHistoryOldestFirst() {
        var s = AppState.fixture()
        let old = [
            Job(id: JobID(7), request: Drive.request("older"), state: .canceled, createdAt: t0, createdWallTime: 10),
            Job(id: JobID(8), request: Drive.request("newer"), state: .canceled, createdAt: t0, createdWallTime: 20),
        ]
        #expect(reduce(&s, .restored(old.reversed())) == [])
        Drive.press(&s, .up)
        #expect(s.editor.prompt.text == "newer")
        Drive.press(&s, .up)
        #expect(s.editor.prompt.text == "older")
    }
}
