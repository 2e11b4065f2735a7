import EaselCore
import Testing
import TestSupport

/// The `history` pane's keys: cursor, filter, load, re-run, copy, open, delete, star.
@Suite("History pane keys do what the help says")
struct HistoryKeysReducerTests {
    /// Jobs 1…n finished with `prompts` (newest last), focus on the history pane (S-Tab from the prompt).
    func history(_ prompts: [String] = ["sea", "fog", "rain"]) -> AppState {
        var s = Drive.finished(prompts)
        Drive.press(&s, .backTab)
        #expect(s.focus == .history)
        return s
    }

    @Test(arguments: [Key.char("q"), .ctrl("d")])
    func qAndCtrlDQuit(key: Key) {
        var s = history()
        #expect(reduce(&s, .key(key)) == [.terminal(.quit)])
    }

    @Test(arguments: [Key.char("i"), .escape])
    func iAndEscGoBackToThePrompt(key: Key) {
        var s = history()
        Drive.press(&s, key)
        #expect(s.focus == .prompt)
    }

    @Test func theCursorStartsOnTheNewestAndMovesWithUpDownKJClamped() {
        var s = history()
        #expect(s.selectedHistoryJob?.id == JobID(3))
        Drive.press(&s, .down, .char("j"), .char("j"))
        #expect(s.selectedHistoryJob?.id == JobID(1))
        Drive.press(&s, .up)
        #expect(s.selectedHistoryJob?.id == JobID(2))
        Drive.press(&s, .char("k"), .char("k"))
        #expect(s.selectedHistoryJob?.id == JobID(3))
    }

    @Test func pgDnPgUpEndAndHomeMoveThroughALongHistory() {
        var s = AppState.fixture()                                     // 30 finished jobs, past the pacer's 8 a minute
        for i in 1...30 {
            s.queue.jobs.append(Job(id: JobID(i), request: Drive.request("p\(i)"), state: .complete(Drive.saved(i)),
                                    createdAt: s.now, createdWallTime: 0, backend: "demo", gallery: nil))
        }
        Drive.press(&s, .backTab)
        #expect(s.selectedHistoryJob?.id == JobID(30))
        Drive.press(&s, .pageDown)
        #expect(s.selectedHistoryJob?.id == JobID(20))
        Drive.press(&s, .end)
        #expect(s.selectedHistoryJob?.id == JobID(1))
        Drive.press(&s, .pageUp)
        #expect(s.selectedHistoryJob?.id == JobID(11))
        Drive.press(&s, .home)
        #expect(s.selectedHistoryJob?.id == JobID(30))
    }

    @Test func enterShowsTheSelectedJobInThePreview() {
        var s = history()
        Drive.press(&s, .down, .enter)
        #expect(s.previewJob?.id == JobID(2))
    }

    /// Queue mode: x on a waiting job, then the running one finishes. The canceled job is the newer one, but it never
    /// ran: the preview shows the image that just finished (it showed "canceled" until a key was pressed).
    @Test func aWaitingJobCanceledDoesNotHideTheImageThatFinishesAfterIt() {
        var s = AppState.fixture(prompt: "alpha", mode: .queue)
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), Drive.request("alpha"), backend: "demo")])
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "beta")
        #expect(reduce(&s, .key(.enter)) == [])                         // one slot: it waits
        Drive.press(&s, .tab)                                          // the queue pane
        for _ in 0..<2 where s.selectedQueueJob?.id != JobID(2) { Drive.press(&s, .down) }
        #expect(s.selectedQueueJob?.id == JobID(2))
        #expect(reduce(&s, .key(.char("x"))) == [.terminal(.notify(JobID(2)))])
        #expect(s.job(JobID(2))?.state == .canceled)
        Drive.press(&s, .escape)
        Drive.complete(&s, id: 1)
        #expect(s.previewJob?.id == JobID(1))
    }

    @Test func aKeptFilterDoesNotHideTheNextFinishedJobFromThePreview() {
        var s = history()
        Drive.press(&s, .char("/"))
        Drive.type(&s, "sea")
        Drive.press(&s, .enter, .escape)                               // keep the filter, back to the prompt
        #expect(s.history.filter == "sea" && s.focus == .prompt)
        Drive.submit(&s, "storm", id: 4)
        Drive.complete(&s, id: 4)
        #expect(s.previewJob?.id == JobID(4))
        #expect(s.historyRows.map(\.id) == [JobID(1)])                 // the pane still shows what the filter keeps
    }

    @Test func rLoadsThePromptAndParametersWithTheSeedFixedAndFocusesThePrompt() {
        var s = history()
        Drive.press(&s, .escape, .alt("r"), .backTab)                // a random seed in the editor
        #expect(s.editor.parameters.seed == nil)
        Drive.press(&s, .down, .char("r"))
        #expect(s.focus == .prompt && s.editor.prompt.text == "fog" && s.editor.parameters.seed == 42)
    }

    @Test func capitalRRunsTheSameRequestAgain() {
        var s = history()
        Drive.press(&s, .down)
        #expect(reduce(&s, .key(.char("R"))) == [.submit(JobID(4), Drive.request("fog"), backend: "demo")])
        #expect(s.selectedHistoryJob?.id == JobID(2))                   // the cursor stays for the next key
    }

    @Test func nRunsItAgainWithTheNextSeed() {
        var s = history()
        var seeds = SeedSource(seed: 7)
        #expect(reduce(&s, .key(.char("n"))) == [.submit(JobID(4), Drive.request("rain", seed: seeds.next()), backend: "demo")])
    }

    @Test func capitalRWhileAJobRunsInExclusiveModeIsLocked() {
        var s = history()
        Drive.press(&s, .escape)
        Drive.submit(&s, "sun", id: 4)
        Drive.press(&s, .backTab)
        #expect(reduce(&s, .key(.char("R"))) == [])
        #expect(s.hint == .locked && s.jobs.count == 4)
    }

    @Test func tWhileAJobRunsInExclusiveModeIsLockedAsRAndNAreAndRetriesInQueueMode() {
        var s = AppState.fixture(prompt: "")
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .failed(JobID(1), .invalidPrompt(reason: "nsfw"), during: .submit)) == [.terminal(.notify(JobID(1)))])
        Drive.submit(&s, "sun", id: 2)                                 // exclusive: the editor locks while it runs
        Drive.press(&s, .backTab)
        #expect(s.selectedHistoryJob?.id == JobID(1))
        let before = s.jobs
        for key in ["t", "R", "n"] {
            #expect(reduce(&s, .key(.char(Character(key)))) == [], "\(key)")
            #expect(s.hint == .locked && s.jobs == before, "\(key)")
        }
        #expect(reduce(&s, .key(.ctrl("t"))) == [])                    // queue mode: t queues job 1 again,
        #expect(reduce(&s, .key(.char("t"))) == [])                    // to be sent when job 2 frees the slot
        #expect(s.job(JobID(1))?.state == .pending && s.hint != .locked)
    }

    @Test func tKeepsTheCursorOnTheRetriedJobWhenItEndsAgain() {
        var s = AppState.fixture(prompt: "")
        Drive.submit(&s, "sea", id: 1)
        Drive.complete(&s, id: 1)
        Drive.submit(&s, "sea2", id: 2)
        #expect(reduce(&s, .failed(JobID(2), .invalidPrompt(reason: "nsfw"), during: .submit)) == [.terminal(.notify(JobID(2)))])
        Drive.press(&s, .backTab)
        #expect(s.selectedHistoryJob?.id == JobID(2))
        #expect(reduce(&s, .key(.char("t"))) == [.submit(JobID(2), Drive.request("sea2"), backend: "demo")])
        Drive.complete(&s, id: 2)
        #expect(s.selectedHistoryJob?.id == JobID(2))                  // not the row that was next below it
    }

    @Test func yCopiesTheImagePathAndCapitalYThePromptWithOSC52() {
        var s = history()
        #expect(reduce(&s, .key(.char("y"))) == [.terminal(.copyToClipboard("/g/3.png"))])
        #expect(s.hint == .info("Copied to the clipboard (OSC 52)"))
        #expect(reduce(&s, .key(.char("Y"))) == [.terminal(.copyToClipboard("rain"))])
    }

    @Test func yOnAFailedJobHasNoPathToCopy() {
        var s = AppState.fixture()
        Drive.submit(&s, "sea", id: 1)
        #expect(reduce(&s, .failed(JobID(1), .unauthorized("no key"), during: .submit)) == [.terminal(.notify(JobID(1)))])
        Drive.press(&s, .backTab)
        #expect(reduce(&s, .key(.char("y"))) == [])
        #expect(s.hint == .info("Only finished images have a path to copy"))
    }

    @Test func oOpensTheImageWithTheSystemViewer() {
        var s = history()
        Drive.press(&s, .down)
        #expect(reduce(&s, .key(.char("o"))) == [.open("/g/2.png")])
    }

    @Test func dAsksFirstAndYDeletesTheRowFromTheHistory() {
        var s = history()
        Drive.press(&s, .down, .char("d"))
        #expect(s.confirmation == .deleteJob(JobID(2)))
        #expect(reduce(&s, .key(.char("y"))) == [])
        #expect(s.jobs.map(\.id.rawValue) == [1, 3] && s.hint == .info("Deleted job #2 from the history"))
    }

    @Test(arguments: [Key.char("n"), .escape, .char("d"), .enter])
    func anyAnswerButYKeepsTheRow(key: Key) {
        var s = history()
        Drive.press(&s, .char("d"), key)
        #expect(s.confirmation == nil && s.jobs.count == 3 && s.focus == .history)
    }

    @Test func starMarksTheRowAndTheStarFilterShowsOnlyStarredRows() {
        var s = history()
        Drive.press(&s, .down, .char("*"))
        #expect(s.job(JobID(2))?.starred == true)
        Drive.press(&s, .char("/"), .char("*"), .enter)
        #expect(Array(s.historyRows).map(\.id.rawValue) == [2])
        Drive.press(&s, .down, .char("*"))                           // unstar
        #expect(s.job(JobID(2))?.starred == false && Array(s.historyRows).isEmpty)
    }

    @Test func slashFiltersByPromptTextCaseInsensitively() {
        var s = history(["red sun", "blue moon", "red moon"])
        Drive.press(&s, .char("/"))
        Drive.type(&s, "MOON")
        #expect(s.filterEditing && Array(s.historyRows).map(\.id.rawValue) == [3, 2])
        Drive.press(&s, .enter)
        #expect(!s.filterEditing && s.history.filter == "MOON" && Array(s.historyRows).count == 2)
    }

    @Test func slashFiltersBySeedExactly() {
        var s = history(["sea", "fog"])
        Drive.press(&s, .char("/"))
        Drive.type(&s, "42")
        #expect(Array(s.historyRows).count == 2)
        Drive.type(&s, "1")
        #expect(Array(s.historyRows).isEmpty)
    }

    @Test func gOpensTheGalleryFromTheHistory() {
        var s = history()
        #expect(reduce(&s, .key(.char("g"))) == [.gallery(.scan)])
        #expect(s.gallery != nil)
    }

    @Test func aClickSelectsTheRowUnderTheMouseAndFocusesThePane() {
        var s = Drive.finished(["sea", "fog", "rain"])
        #expect(reduce(&s, .clicked(.history, job: JobID(1))) == [])      // the row's job, from the view's rows
        #expect(s.focus == .history && s.selectedHistoryJob?.id == JobID(1))
        #expect(reduce(&s, .clicked(.history, job: nil)) == [])           // below the last row
        #expect(s.selectedHistoryJob?.id == JobID(1))
    }

    @Test func theWheelMovesTheCursorOfThePaneUnderIt() {
        var s = Drive.finished(["sea", "fog", "rain"])
        #expect(reduce(&s, .scrolled(.history, by: 1)) == [])
        #expect(s.focus == .history && s.selectedHistoryJob?.id == JobID(2))
        #expect(reduce(&s, .scrolled(.prompt, by: 1)) == [])               // the prompt does not scroll
        #expect(s.focus == .history)
    }

    @Test func aJobThatEndsWhileTheUserIsInTheHistoryDoesNotMoveTheCursor() {
        var s = AppState.fixture(mode: .queue)
        Drive.submit(&s, "sea", id: 1)
        Drive.complete(&s, id: 1)
        Drive.submit(&s, "fog", id: 2)
        Drive.press(&s, .backTab)
        #expect(s.selectedHistoryJob?.id == JobID(1))
        Drive.complete(&s, id: 2)
        #expect(s.selectedHistoryJob?.id == JobID(1))
    }
}
