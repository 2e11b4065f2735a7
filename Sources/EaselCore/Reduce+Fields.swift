// M-n and M-e: the negative prompt and the parameters, edited in the prompt editor as text.

/// `seed=42 size=768x768 steps=30` (or `seed=random`).
func parametersText(_ p: GenerationParameters) -> String {
    "seed=\(p.seed.map(String.init) ?? "random") size=\(p.width)x\(p.height) steps=\(p.steps)"
}

/// Leaves M-n / M-e: applies the field (or, for parameters with a mistake, keeps editing with a hint).
func finishFieldEdit(_ state: inout AppState, apply: Bool) {
    guard let field = state.fieldEdit else { return }
    let stashed = state.modal?.layers.lazy.compactMap { if case .field(_, let prompt) = $0 { prompt } else { nil } }.first
    if apply {
        switch field {
        case .negativePrompt:
            state.editor.parameters.negativePrompt = Sanitize.line(state.editor.prompt.text).trimmingWhitespace()
        case .parameters:
            var p = state.editor.parameters
            for token in state.editor.prompt.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }) {
                let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { state.hint = .warning("Not key=value: \(token)"); return }
                switch kv[0].lowercased() {
                case "seed":
                    if kv[1] == "random" { p.seed = nil }
                    else if let n = UInt32(kv[1]) { p.seed = n }
                    else { state.hint = .warning("seed must be 0...4294967295 or random"); return }
                case "size":
                    let wh = kv[1].lowercased().split(separator: "x").compactMap { Int($0) }
                    guard wh.count == 2, Limits.size.contains(wh[0]), Limits.size.contains(wh[1]) else {
                        state.hint = .warning("size must be WxH, each \(Limits.text(Limits.size))"); return
                    }
                    if let refusal = refusedSize(state, OutputSize(wh[0], wh[1])) { state.hint = .warning(refusal); return }
                    (p.width, p.height) = (wh[0], wh[1])
                case "steps":
                    guard let n = Int(kv[1]), Limits.steps.contains(n) else { state.hint = .warning("steps must be \(Limits.text(Limits.steps))"); return }
                    p.steps = n
                default:
                    state.hint = .warning("Unknown parameter \(kv[0]) (seed, size, steps)"); return
                }
            }
            state.editor.parameters = p
        }
    }
    state.editor.prompt = stashed ?? PromptEditor()
    state.modal = state.modal?.removingLayer { $0.isField }
}
