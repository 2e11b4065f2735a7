import EaselCore
import Testing
import TestSupport

/// Every binding of the default keymap's `prompt` context does what its help line says, and orders
/// nothing but what it says (the effects are asserted on each key).
@Suite("Prompt keys do what the help says")
struct PromptKeysReducerTests {
    /// The prompt "sea fog" typed, cursor at the end.
    func typed(_ text: String = "sea fog") -> AppState {
        var s = AppState.fixture()
        Drive.type(&s, text)
        return s
    }

    @Test func keysThatAreNotBoundTypeTextAndOrderNothing() {
        var s = AppState.fixture()
        Drive.type(&s, "a lighthouse, 2 boats; É")
        #expect(s.editor.prompt.text == "a lighthouse, 2 boats; É")
    }

    @Test func enterSendsTheFrozenRequestAndKeepsThePromptInExclusiveMode() {
        var s = typed("  lighthouse at dusk ")
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), Drive.request("lighthouse at dusk"), backend: "demo")])
        #expect(s.job(JobID(1))?.state == .submitting)
        #expect(s.editor.prompt.text == "  lighthouse at dusk ")
    }

    @Test func enterOnABlankPromptSendsNothingAndSaysTypeFirst() {
        var s = typed("   ")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.hint == .emptyPrompt && s.jobs.isEmpty)
    }

    @Test func enterOnAPromptOverTheLimitSendsNothingAndGivesTheCount() {
        var s = AppState.fixture()
        #expect(reduce(&s, .paste(String(repeating: "a", count: GenerationRequest.maxPromptLength + 1))) == [])
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.hint == .promptTooLong(characters: GenerationRequest.maxPromptLength + 1) && s.jobs.isEmpty)
    }

    @Test(arguments: [Key.left, .ctrl("b")])
    func leftAndCtrlBMoveOneCharacterLeft(key: Key) {
        var s = typed("sea")
        Drive.press(&s, key)
        Drive.type(&s, "X")
        #expect(s.editor.prompt.text == "seXa")
    }

    @Test(arguments: [Key.right, .ctrl("f")])
    func rightAndCtrlFMoveOneCharacterRight(key: Key) {
        var s = typed("sea")
        Drive.press(&s, .home, key)
        Drive.type(&s, "X")
        #expect(s.editor.prompt.text == "sXea")
    }

    @Test(arguments: [Key.home, .ctrl("a")])
    func homeAndCtrlAMoveToTheStartOfTheLine(key: Key) {
        var s = typed("one")
        Drive.press(&s, .altEnter)
        Drive.type(&s, "two")
        Drive.press(&s, key)
        Drive.type(&s, "X")
        #expect(s.editor.prompt.text == "one\nXtwo")
    }

    @Test(arguments: [Key.end, .ctrl("e")])
    func endAndCtrlEMoveToTheEndOfTheLine(key: Key) {
        var s = typed("one")
        Drive.press(&s, .home, key)
        Drive.type(&s, "X")
        #expect(s.editor.prompt.text == "oneX")
    }

    @Test func altBAndAltFMoveByWords() {
        var s = typed("sea fog")
        Drive.press(&s, .alt("b"))
        Drive.type(&s, "X")
        #expect(s.editor.prompt.text == "sea Xfog")
        Drive.press(&s, .home, .alt("f"))
        Drive.type(&s, "Y")
        #expect(s.editor.prompt.text == "seaY Xfog")
    }

    @Test(arguments: [Key.backspace, .ctrl("h")])
    func backspaceAndCtrlHDeleteThePreviousCharacter(key: Key) {
        var s = typed("sea")
        Drive.press(&s, key)
        #expect(s.editor.prompt.text == "se")
    }

    @Test func delDeletesTheNextCharacter() {
        var s = typed("sea")
        Drive.press(&s, .home, .delete)
        #expect(s.editor.prompt.text == "ea")
    }

    @Test(arguments: [Key.ctrl("w"), .alt("\u{7F}")])
    func ctrlWAndAltBackspaceDeleteThePreviousWord(key: Key) {
        var s = typed("sea fog")
        Drive.press(&s, key)
        #expect(s.editor.prompt.text == "sea ")
    }

    @Test func altDDeletesTheNextWord() {
        var s = typed("sea fog")
        Drive.press(&s, .home, .alt("d"))
        #expect(s.editor.prompt.text == " fog")
    }

    @Test func ctrlKKillsToTheEndOfTheLineAndCtrlYYanksItBack() {
        var s = typed("sea fog")
        Drive.press(&s, .alt("b"), .ctrl("k"))
        #expect(s.editor.prompt.text == "sea ")
        Drive.press(&s, .home, .ctrl("y"))
        #expect(s.editor.prompt.text == "fogsea ")
    }

    @Test func ctrlUKillsToTheStartOfTheLineOnly() {
        var s = typed("one")
        Drive.press(&s, .altEnter)
        Drive.type(&s, "two")
        Drive.press(&s, .ctrl("u"))
        #expect(s.editor.prompt.text == "one\n")
    }

    @Test func ctrlUnderscoreUndoesTheLastEdit() {
        var s = typed("sea fog")
        Drive.press(&s, .ctrl("w"))
        Drive.press(&s, .ctrl("_"))
        #expect(s.editor.prompt.text == "sea fog")
    }

    @Test(arguments: [Key.altEnter, .ctrl("j")])
    func altEnterAndCtrlJInsertANewlineAndSendNothing(key: Key) {
        var s = typed("sea")
        Drive.press(&s, key)
        Drive.type(&s, "fog")
        #expect(s.editor.prompt.text == "sea\nfog" && s.jobs.isEmpty)
    }

    @Test(arguments: [Key.up, .ctrl("p")])
    func upAndCtrlPMoveUpALineBeforeGoingToOlderPrompts(key: Key) {
        var s = Drive.finished(["older"])
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "one")
        Drive.press(&s, .altEnter)
        Drive.type(&s, "two")
        Drive.press(&s, key)                                   // line 2 → line 1, same column
        Drive.type(&s, "X")
        #expect(s.editor.prompt.text == "oneX\ntwo")
        Drive.press(&s, key)                                   // first line: the older prompt
        #expect(s.editor.prompt.text == "older")
    }

    @Test(arguments: [Key.down, .ctrl("n")])
    func downAndCtrlNComeBackToTheDraft(key: Key) {
        var s = Drive.finished(["older"])
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "draft")
        Drive.press(&s, .up)
        #expect(s.editor.prompt.text == "older")
        Drive.press(&s, key)
        #expect(s.editor.prompt.text == "draft")
    }

    @Test func ctrlDOnAnEmptyPromptQuits() {
        var s = AppState.fixture()
        #expect(reduce(&s, .key(.ctrl("d"))) == [.terminal(.quit)])
    }

    @Test func ctrlDOnTextDeletesForwardAndDoesNotQuit() {
        var s = typed("sea")
        Drive.press(&s, .home, .ctrl("d"))
        #expect(s.editor.prompt.text == "ea")
    }

    @Test(arguments: [Key.escape, .ctrl("g")])
    func escAndCtrlGInThePromptChangeNothing(key: Key) {
        let before = typed("sea")
        var s = before
        Drive.press(&s, key)
        #expect(s == before)
    }

    @Test func altRSwitchesBetweenAFixedSeedAndARandomOne() {
        var s = AppState.fixture()
        Drive.press(&s, .alt("r"))
        #expect(s.editor.parameters.seed == nil)
        Drive.press(&s, .alt("r"))
        var seeds = SeedSource(seed: 7)
        #expect(s.editor.parameters.seed == seeds.next())
    }

    @Test func altSCyclesThePresetSizesAndWraps() {
        var s = AppState.fixture()
        var sizes: [String] = []
        for _ in 0..<4 {
            Drive.press(&s, .alt("s"))
            sizes.append("\(s.editor.parameters.width)x\(s.editor.parameters.height)")
        }
        #expect(sizes == ["768x512", "512x768", "1024x576", "768x768"])
    }

    @Test func altEqualsAndAltMinusChangeTheBatchWithinOneToSixteen() {
        var s = AppState.fixture()
        Drive.press(&s, .alt("-"))
        #expect(s.editor.parameters.count == 1)
        for _ in 0..<20 { Drive.press(&s, .alt("=")) }
        #expect(s.editor.parameters.count == GenerationParameters.maxCount)
        Drive.press(&s, .alt("-"))
        #expect(s.editor.parameters.count == GenerationParameters.maxCount - 1)
    }

    @Test func aBatchOfThreeMakesThreeJobsWithConsecutiveSeedsAndSendsTheFirst() {
        var s = typed("fog")
        Drive.press(&s, .alt("="), .alt("="))
        #expect(reduce(&s, .key(.enter)) == [.submit(JobID(1), Drive.request("fog", seed: 42), backend: "demo")])
        #expect(s.jobs.map(\.request.seed) == [42, 43, 44])
        #expect(s.jobs.map(\.state) == [.submitting, .pending, .pending])
    }

    @Test func altNEditsTheNegativePromptAndEnterAppliesIt() {
        var s = typed("sea")
        Drive.press(&s, .alt("n"))
        #expect(s.fieldEdit == .negativePrompt && s.editor.prompt.text.isEmpty)
        Drive.type(&s, "blurry")
        Drive.press(&s, .enter)                               // applies; sends nothing
        #expect(s.fieldEdit == nil && s.editor.parameters.negativePrompt == "blurry" && s.editor.prompt.text == "sea" && s.jobs.isEmpty)
    }

    @Test func altEEditsTheParametersAsTextAndEnterAppliesThem() {
        var s = typed("sea")
        Drive.press(&s, .alt("e"))
        #expect(s.editor.prompt.text == "seed=42 size=768x768 steps=30")
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "seed=random size=512x768 steps=12")
        Drive.press(&s, .enter)
        #expect(s.editor.parameters.seed == nil && s.editor.parameters.width == 512 && s.editor.parameters.height == 768 && s.editor.parameters.steps == 12)
        #expect(s.editor.prompt.text == "sea" && s.fieldEdit == nil)
    }

    @Test func aMistakeInTheParametersKeepsTheFieldOpenWithAWarning() {
        var s = typed("sea")
        Drive.press(&s, .alt("e"), .ctrl("u"))
        Drive.type(&s, "steps=0")
        Drive.press(&s, .enter)
        #expect(s.fieldEdit == .parameters && s.editor.parameters.steps == 30)
        #expect(s.hint?.isError == true)
        Drive.press(&s, .ctrl("u"))
        Drive.type(&s, "colour=red")
        Drive.press(&s, .enter)
        #expect(s.hint == .warning("Unknown parameter colour (seed, size, steps)") && s.fieldEdit == .parameters)
    }

    @Test func altNAgainInsideTheNegativeFieldGoesBackApplied() {
        var s = typed("sea")
        Drive.press(&s, .alt("n"))
        Drive.type(&s, "rain")
        Drive.press(&s, .alt("n"))
        #expect(s.fieldEdit == nil && s.editor.parameters.negativePrompt == "rain" && s.editor.prompt.text == "sea")
    }
}
