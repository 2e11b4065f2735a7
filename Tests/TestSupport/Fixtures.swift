import EaselCore

/// A fixed instant every fixture starts from; tests advance it explicitly.
public let t0 = ContinuousClock.now

extension AppState {
    /// A state with the prompt typed, at `t0`, on the demo backend.
    public static func fixture(prompt: String = "", mode: GenerationMode = .exclusive,
                               parameters: GenerationParameters = GenerationParameters(seed: 42)) -> AppState {
        var s = AppState(backendName: "demo backend — procedural, offline", mode: mode, parameters: parameters,
                         seeds: SeedSource(seed: 7), now: t0)
        s.editor.prompt = PromptEditor(prompt)
        return s
    }
}

extension GenerationRequest {
    public static func fixture(prompt: String = "lighthouse", seed: UInt32 = 42) -> GenerationRequest {
        GenerationRequest(prompt: prompt, negativePrompt: "", width: 768, height: 768, seed: seed, steps: 30)
    }
}
