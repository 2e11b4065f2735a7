import EaselCore
import EaselTerminal
import EaselUI
import Testing
import TestSupport

@Suite("The model picker overlay")
struct ModelPickerViewTests {
    let cell = PixelSize(width: 10, height: 20)

    func screen(_ s: AppState, keymap: Keymap = .default, columns: Int = 100) -> [String] {
        render(s, size: CellSize(columns: columns, rows: 30), keymap: keymap, cell: cell) { _ in .unavailable }.buffer.lines
    }

    func comfy() -> AppState {
        var s = AppState.fixture(prompt: "sea")
        s.backends = [BackendChoice(name: "gpu", summary: "gpu — comfyui", model: "v1-5-pruned-emaonly.safetensors")]
        s.backendKey = "gpu"
        return s
    }

    @Test func itListsTheModelsMarksTheOneInUseAndTheSelectionAndNamesItsKeys() throws {
        var s = comfy()
        _ = reduce(&s, .key(.function(5)))
        #expect(screen(s).contains { $0.contains("Asking gpu for its models…") })
        _ = reduce(&s, .modelsListed(backend: "gpu", .models(["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"])))
        _ = reduce(&s, .key(.down))
        let lines = screen(s)
        #expect(lines.contains { $0.contains("Model for gpu — type to filter · Enter use · Esc back") }, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("  v1-5-pruned-emaonly.safetensors  ✓ in use") })
        #expect(lines.contains { $0.contains("▸ sd_xl_base_1.0.safetensors") })
        #expect(lines.contains { $0.contains("filter: ▏") })
        #expect(lines.last?.contains("Enter use") == true, "the status bar names the picker's keys: \(lines.last ?? "")")
        // Rebound keys are named as bound.
        let keymap = try Keymap.default.overriding([.models: [(key: "C-o", command: "use_model")]])
        #expect(screen(s, keymap: keymap).contains { $0.contains("type to filter · Enter use") })   // Enter still bound, listed first
        _ = reduce(&s, .key(.enter))
        #expect(s.modal == nil)
        #expect(screen(s, columns: 200).contains { $0.contains("steps: 30   model: sd_xl_base_1.0.safetensors") })
    }

    @Test func aBackendThatCannotListSaysWhatToDoAndAFilterWithoutMatchesSaysSo() {
        var s = comfy()
        _ = reduce(&s, .key(.function(5)))
        _ = reduce(&s, .modelsListed(backend: "gpu", .notListed))
        let lines = screen(s)
        #expect(lines.contains { $0.contains("gpu cannot list its models: set model in its config table, or use") }, "\(lines.joined(separator: "\n"))")
        _ = reduce(&s, .key(.escape))
        _ = reduce(&s, .key(.function(5)))
        _ = reduce(&s, .modelsListed(backend: "gpu", .models(["a.safetensors"])))
        for c in "zz" { _ = reduce(&s, .key(.char(c))) }
        #expect(screen(s).contains { $0.contains("No model contains “zz” (1 listed)") })
        _ = reduce(&s, .modelsListed(backend: "gpu", .failed("network error: connection refused")))
        #expect(screen(s).contains { $0.contains("Could not list the models of gpu: network error: connection refused") },
                "\(screen(s).joined(separator: "\n"))")
    }
}
