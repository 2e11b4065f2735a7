/// The prompt editor's part of the state: the text being written, the parameters the next job gets,
/// and the past prompts ↑/↓ and C-r go through. (A field edit and the C-r search are `Modal`s.)
public struct EditorState: Equatable, Sendable {
    /// The text and cursor in the editor: the prompt, or the field a `Modal.field` edits.
    public var prompt = PromptEditor()
    /// What the next Enter makes (seed, size, steps, negative prompt, images per Enter).
    public var parameters: GenerationParameters
    /// Where random seeds come from (seeded, so tests and `--seed` repeat).
    public var seeds: SeedSource
    /// Past prompts with their parameters, oldest first, without duplicates (↑/↓, C-r); at most 1,000.
    public var promptHistory: [PromptHistoryEntry] = []
    /// While ↑/↓ goes through `promptHistory`: the entry shown and the draft to come back to.
    public var browsing: PromptBrowse?

    public init(parameters: GenerationParameters, seeds: SeedSource) {
        self.parameters = parameters
        self.seeds = seeds
    }
}

/// Where ↑/↓ is in the prompt history, and the prompt that was being written before.
public struct PromptBrowse: Equatable, Sendable {
    /// Index into `EditorState.promptHistory` of the entry in the editor.
    public var index: Int
    /// The prompt as it was before browsing; ↓ past the newest entry brings it back.
    public var draft: PromptEditor
    /// The parameters (seed, size, steps, negative prompt) as they were before browsing; they come back with `draft`.
    public var draftParameters: GenerationParameters
    public init(index: Int, draft: PromptEditor, draftParameters: GenerationParameters) {
        self.index = index
        self.draft = draft
        self.draftParameters = draftParameters
    }
}
