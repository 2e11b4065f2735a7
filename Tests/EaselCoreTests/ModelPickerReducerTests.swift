import EaselCore
import Testing
import TestSupport

@Suite("The model picker: F5 lists the backend's models, typing filters, Enter picks for the next job")
struct ModelPickerReducerTests {
    static let checkpoints = ["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors"]

    func comfy(model: String? = "v1-5-pruned-emaonly.safetensors") -> AppState {
        var s = AppState.fixture(prompt: "sea", mode: .queue)
        s.backends = [BackendChoice(name: "gpu", summary: "gpu — comfyui at http://127.0.0.1:8188", model: model),
                      BackendChoice(name: "demo", summary: "demo backend — procedural, offline")]
        s.backendKey = "gpu"
        return s
    }

    @Test func f5OpensThePickerForTheCurrentBackendAndAsksItForItsModels() {
        var store = ReducerHarness(state: comfy())
        store.send(.key(.function(5)), effects: [.listModels(backend: "gpu")]) {
            $0.modal = .models(ModelPicker(backend: "gpu"), under: nil)
        }
        // The list arrives: the model in use is selected.
        store.send(.modelsListed(backend: "gpu", .models(Self.checkpoints))) {
            $0.modal = .models(ModelPicker(backend: "gpu", listing: .models(Self.checkpoints), selection: 0), under: nil)
        }
    }

    @Test func typingFiltersArrowsSelectAndEnterPicksTheModelForTheNextJobAndTheParametersLine() {
        var s = comfy()
        #expect(reduce(&s, .key(.function(5))) == [.listModels(backend: "gpu")])
        _ = reduce(&s, .modelsListed(backend: "gpu", .models(Self.checkpoints)))
        for c in "XL" { #expect(reduce(&s, .key(.char(c))) == []) }     // case-insensitive: both SDXL files
        #expect(s.modelPicker?.matches == ["sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors"])
        #expect(s.editor.prompt.text == "sea")                            // typed into the filter, not the prompt
        _ = reduce(&s, .key(.down))
        _ = reduce(&s, .key(.down))                                        // stays on the last row
        #expect(s.modelPicker?.selected == "sd_xl_refiner_1.0.safetensors")
        _ = reduce(&s, .key(.backspace))
        #expect(s.modelPicker?.filter == "X" && s.modelPicker?.selection == 0)
        _ = reduce(&s, .key(.down))
        _ = reduce(&s, .key(.up))
        _ = reduce(&s, .key(.up))                                          // stays on the first row
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.modal == nil)
        #expect(s.pickedModels == ["gpu": "sd_xl_base_1.0.safetensors"])
        #expect(s.model(of: "gpu") == "sd_xl_base_1.0.safetensors")
        #expect(s.hint == .info("Model for gpu: sd_xl_base_1.0.safetensors (new jobs use it)"))
        // Enter in the prompt now sends it with the job.
        let effects = reduce(&s, .key(.enter))
        guard case .submit(_, let request, backend: "gpu")? = effects.first else { Issue.record("\(effects)"); return }
        #expect(request.model == "sd_xl_base_1.0.safetensors")
    }

    @Test func escBacksOutChangingNothingAndALateListIsIgnored() {
        var s = comfy()
        _ = reduce(&s, .key(.function(5)))
        _ = reduce(&s, .key(.char("q")))                                  // a letter filters, it does not quit
        #expect(s.modelPicker?.filter == "q")
        #expect(reduce(&s, .key(.escape)) == [])
        #expect(s.modal == nil && s.pickedModels.isEmpty)
        _ = reduce(&s, .modelsListed(backend: "gpu", .models(Self.checkpoints)))
        #expect(s.modal == nil)
        let effects = reduce(&s, .key(.enter))
        guard case .submit(_, let request, backend: "gpu")? = effects.first else { Issue.record("\(effects)"); return }
        #expect(request.model == nil)                                      // nil: the adapter sends its configured model
    }

    @Test func thePickIsPerBackendAndEnterWithoutAListPicksNothing() {
        var s = comfy()
        s.pickedModels = ["gpu": "sd_xl_base_1.0.safetensors"]
        _ = reduce(&s, .key(.function(3)))                                 // to the demo
        #expect(s.model(of: s.backendKey) == nil)
        #expect(reduce(&s, .key(.function(5))) == [.listModels(backend: "demo")])
        #expect(reduce(&s, .key(.enter)) == [])                            // nothing listed yet
        #expect(s.modelPicker != nil && s.pickedModels == ["gpu": "sd_xl_base_1.0.safetensors"])
        _ = reduce(&s, .modelsListed(backend: "demo", .notListed))
        #expect(reduce(&s, .key(.enter)) == [])                            // nothing to pick, ever: Enter closes it
        #expect(s.hint == .info("No model to pick on demo: it uses its configured model") && s.modal == nil)
        #expect(reduce(&s, .key(.ctrl("t"))) == [] && s.mode == .exclusive)   // and the next key is the studio's again
        _ = reduce(&s, .key(.ctrl("t")))
        _ = reduce(&s, .key(.function(5)))
        _ = reduce(&s, .modelsListed(backend: "demo", .failed("connection refused")))
        _ = reduce(&s, .key(.enter))
        #expect(s.modal == nil)
        let effects = reduce(&s, .key(.enter))
        guard case .submit(_, let request, backend: "demo")? = effects.first else { Issue.record("\(effects)"); return }
        #expect(request.model == nil)
    }

    @Test func enterWithAFilterThatMatchesNothingKeepsThePickerOpen() {
        var s = comfy()
        _ = reduce(&s, .key(.function(5)))
        _ = reduce(&s, .modelsListed(backend: "gpu", .models(Self.checkpoints)))
        Drive.type(&s, "zzz")
        #expect(reduce(&s, .key(.enter)) == [])
        #expect(s.modelPicker != nil && s.hint == .info("No model matches “zzz”"))
    }

    @Test func aPickedOpenAIModelBringsItsOwnSizes() {
        var s = AppState.fixture(prompt: "sea")
        s.backends = [BackendChoice(name: "oai", summary: "oai — openai", model: "dall-e-2", sizes: ModelSizes.fixed(for: "dall-e-2"),
                                    sizesFollowModel: true)]
        s.backendKey = "oai"
        s.pickedModels = ["oai": "dall-e-3"]
        #expect(s.currentBackend?.model == "dall-e-3")
        #expect(s.currentBackend?.sizes == ModelSizes.fixed(for: "dall-e-3"))
    }

    @Test func aGraphErrorForAMissingCheckpointNamesThePickerKeyFromTheKeymap() throws {
        let error = JobError.graph("CheckpointLoaderSimple (node 4): Value not in list — the server has no checkpoint 'x'; it has: a, b")
        #expect(Hint.jobFailed(JobID(3), error).message(keymap: .default).hasSuffix("it has: a, b; pick one with F5"))
        let rebound = try Keymap.default.overriding([.global: [(key: "F5", command: "none"), (key: "F9", command: "pick_model")]])
        #expect(Hint.jobFailed(JobID(3), error).message(keymap: rebound).hasSuffix("; pick one with F9"))
        #expect(error.recovery(keymap: rebound).hasPrefix("Pick a model the server has with F9"))
        #expect(JobError.graph("SaveImage (node 9): bad").pickAdvice(keymap: .default) == "")
    }
}
