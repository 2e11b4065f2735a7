import EaselCore
import TestSupport
import Testing

/// `AppState.modal`: one value for the overlay, field, search, filter or question the user is in, with
/// what it opened over coming back when it closes.
@Suite("Modal layers (reducer)")
struct ModalTests {
    @Test func helpOpenedOverAFieldEditClosesBackToTheFieldWithThePromptStillStashed() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        let prompt = store.state.editor.prompt
        store.send(.key(.alt("n"))) {
            $0.modal = .field(.negativePrompt, stashed: prompt)
            $0.editor.prompt = PromptEditor("")
        }
        store.send(.key(.char("b"))) { $0.editor.prompt.insert("b") }
        store.send(.key(.function(1))) { $0.modal = .help(scroll: 0, under: .field(.negativePrompt, stashed: prompt)) }
        store.send(.key(.function(1))) { $0.modal = .field(.negativePrompt, stashed: prompt) }
        store.send(.key(.enter)) {
            $0.modal = nil
            $0.editor.parameters.negativePrompt = "b"
            $0.editor.prompt = prompt
        }
    }

    @Test func aScanThatAnswersWhileTheHelpCoversTheGalleryFillsTheBrowserUnderIt() {
        var store = ReducerHarness(state: .fixture())
        store.send(.key(.function(4)), effects: [.gallery(.scan)]) { $0.modal = .gallery(GalleryBrowser(), under: nil) }
        store.send(.key(.char("?"))) { $0.modal = .help(scroll: 0, under: .gallery(GalleryBrowser(), under: nil)) }
        let entry = GalleryEntry(path: "/g/a.png", name: "a.png", modified: 1, size: 10)
        var scanned = GalleryBrowser()
        scanned.entries = [entry]
        scanned.loading = false
        store.send(.gallery(.scanned([entry]))) { $0.modal = .help(scroll: 0, under: .gallery(scanned, under: nil)) }
        store.send(.key(.escape)) { $0.modal = .gallery(scanned, under: nil) }
    }

    @Test func aClickOnAnotherPaneCancelsAFieldEditAsTabDoesSoTheFilterCannotLoseThePrompt() {
        var store = ReducerHarness(state: .fixture(prompt: "lighthouse"))
        let prompt = store.state.editor.prompt
        store.send(.key(.alt("n"))) {
            $0.modal = .field(.negativePrompt, stashed: prompt)
            $0.editor.prompt = PromptEditor("")
        }
        store.send(.clicked(.history, job: nil)) {
            $0.modal = nil
            $0.focus = .history
            $0.editor.prompt = prompt
        }
        store.send(.key(.char("/"))) { $0.modal = .filter }
        store.send(.key(.char("x"))) { $0.history.filter = "x" }
        store.send(.clicked(.prompt, job: nil)) {          // the filter is kept, its editing ends
            $0.modal = nil
            $0.focus = .prompt
        }
    }

    @Test func aQuitQuestionAskedFromTheHelpGoesBackToTheHelpOnNo() {
        var state = AppState.fixture()
        state.ephemeralBackends = ["demo"]
        state.queue.jobs = [Job(id: JobID(1), request: .fixture(), state: .running(progress: 0.5), createdAt: state.now, backend: "demo")]
        var store = ReducerHarness(state: state)
        store.send(.key(.function(1))) { $0.modal = .help(scroll: 0, under: nil) }
        store.send(.key(.char("j"))) { $0.modal = .help(scroll: 1, under: nil) }
        store.send(.key(.ctrl("c"))) { $0.modal = .question(.quitLosingJobs(1), under: .help(scroll: 1, under: nil)) }
        store.send(.key(.char("n"))) { $0.modal = .help(scroll: 1, under: nil) }
    }
}
