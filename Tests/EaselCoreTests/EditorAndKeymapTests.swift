import EaselCore
import Testing
import TestSupport

@Suite("Prompt editor keys and the keymap")
struct EditorAndKeymapTests {
    @Test func emacsKeysEditTheLine() {
        var s = AppState.fixture(prompt: "a red fox")
        #expect(reduce(&s, .key(.ctrl("w"))) == [])
        #expect(s.editor.prompt.text == "a red ")
        #expect(reduce(&s, .key(.ctrl("a"))) == [])
        #expect(reduce(&s, .key(.char(">"))) == [])
        #expect(s.editor.prompt.text == ">a red ")
        #expect(reduce(&s, .key(.ctrl("k"))) == [])
        #expect(s.editor.prompt.text == ">")
        #expect(reduce(&s, .key(.ctrl("u"))) == [])
        #expect(s.editor.prompt.text == "")
    }

    @Test func wordMotionSkipsPunctuation() {
        var e = PromptEditor("sun, sea")
        e.moveWordLeft()
        #expect(e.cursor == 5)
        e.moveWordLeft()
        #expect(e.cursor == 0)
        e.moveWordRight()
        #expect(e.cursor == 3)
    }

    @Test func ctrlZAsksTheLoopToSuspendFromEveryPaneAndKeepsThePrompt() {
        for focus in [Pane.prompt, .queue, .history] {
            var store = ReducerHarness(state: .fixture(prompt: "a red fox"))
            store.send(.key(.tab)) { $0.focus = .queue }
            if focus == .history { store.send(.key(.tab)) { $0.focus = .history } }
            if focus == .prompt { store.send(.key(.backTab)) { $0.focus = .prompt } }
            store.send(.key(.ctrl("z")), effects: [.terminal(.suspend)])     // the text stays
            store.send(.key(.ctrl("z")), effects: [.terminal(.suspend)])
        }
        let unbound = try? Keymap.default.overriding([.global: [("C-z", "none")]])
        #expect(unbound?.command(for: .ctrl("z"), in: .prompt) == nil)
        #expect(Keymap.default.helpRows(in: .global).contains { $0.command == .suspend && $0.keys == ["C-z"] })
    }

    @Test func ctrlDQuitsOnlyWhenThePromptIsEmpty() {
        var s = AppState.fixture(prompt: "ab")
        #expect(reduce(&s, .key(.ctrl("a"))) == [])
        #expect(reduce(&s, .key(.ctrl("d"))).isEmpty)
        #expect(s.editor.prompt.text == "b")
        var empty = AppState.fixture(prompt: "")
        #expect(reduce(&empty, .key(.ctrl("d"))) == [.terminal(.quit)])
    }

    @Test func qTypesInTheEditorButQuitsElsewhere() {
        var s = AppState.fixture(prompt: "")
        #expect(reduce(&s, .key(.char("q"))).isEmpty)
        #expect(s.editor.prompt.text == "q")
        #expect(reduce(&s, .key(.tab)).isEmpty)
        #expect(s.focus == .queue)
        #expect(reduce(&s, .key(.char("q"))) == [.terminal(.quit)])
    }

    @Test func pasteNeverSubmitsKeepsNewlinesAndDropsEscapes() {
        var s = AppState.fixture(prompt: "")
        let effects = reduce(&s, .paste("two\nlines\t\u{1B}[31m"))
        #expect(effects.isEmpty)
        #expect(s.editor.prompt.text == "two\nlines ")
    }

    @Test func everyBoundCommandHasADocAndEveryKeyNameRoundTrips() {
        for ctx in KeyContext.allCases {
            for (key, command) in Keymap.default.bindings[ctx] ?? [] {
                #expect(!command.doc.isEmpty)
                #expect(Key(name: key.name) == key, "\(key.name) does not parse back")
            }
        }
    }

    @Test func helpRowsMergeKeysThatShareACommand() {
        let rows = Keymap.default.helpRows(in: .prompt)
        let left = rows.first { $0.command == .cursorLeft }
        #expect(left?.keys == ["Left", "C-b"])
        #expect(rows.contains { $0.command == .generate && $0.keys == ["Enter"] })
    }

    @Test func altSCyclesTheOutputSizeAndTheNextJobUsesIt() {
        var s = AppState.fixture(prompt: "wide sea")
        #expect(reduce(&s, .key(.alt("s"))) == [])
        #expect((s.editor.parameters.width, s.editor.parameters.height) == (768, 512))
        #expect(reduce(&s, .key(.alt("s"))) == [])
        #expect(reduce(&s, .key(.alt("s"))) == [])
        #expect((s.editor.parameters.width, s.editor.parameters.height) == (1024, 576))
        let effects = reduce(&s, .key(.enter))
        guard case .submit(_, let request, backend: "demo")? = effects.first else { Issue.record("no submit"); return }
        #expect((request.width, request.height) == (1024, 576))
        #expect(reduce(&s, .key(.alt("s"))) == [])
        #expect((s.editor.parameters.width, s.editor.parameters.height) == (768, 768))
    }

    @Test func helpOverlayCapturesKeysUntilClosed() {
        var s = AppState.fixture(prompt: "x")
        #expect(reduce(&s, .key(.function(1))) == [])
        #expect(s.showHelp)
        #expect(reduce(&s, .key(.char("z"))) == [])
        #expect(s.editor.prompt.text == "x")
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(!s.showHelp)
    }

    /// The panes cache their cells per keymap: a keymap that only unbinds a global key in one context
    /// (C-l in the prompt falls through to nothing) draws other hints, so it is another keymap.
    @Test func aKeymapThatOnlyUnbindsAKeyInOneContextIsAnotherKeymap() throws {
        let unbound = try Keymap.default.overriding([.prompt: [(key: "C-l", command: "none")]])
        #expect(unbound.command(for: .ctrl("l"), in: .prompt) == nil)
        #expect(unbound != Keymap.default)
        #expect(try Keymap.default.overriding([.prompt: [(key: "C-l", command: "redraw")]]) != Keymap.default)
        #expect(try Keymap.default.overriding([:]) == Keymap.default)
    }
}
