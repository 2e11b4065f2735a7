/// Generation parameters read back from an image (Easel's `easel` chunk, AUTOMATIC1111's
/// `parameters` text, or a sidecar `.json`), to load into the editor. Fields the source did not
/// record are `nil`; text is as found in the file (sanitize before showing it).
public struct ImageParameters: Equatable, Sendable {
    public var prompt: String
    public var negativePrompt: String
    public var seed: UInt32?
    /// Pixels.
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    /// Where they came from: "easel", "parameters" or "sidecar".
    public var source: String

    public init(prompt: String, negativePrompt: String = "", seed: UInt32? = nil, width: Int? = nil, height: Int? = nil,
                steps: Int? = nil, source: String) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.width = width
        self.height = height
        self.steps = steps
        self.source = source
    }
}
