/// The one home of the ranges Easel accepts, checked alike by the command line, the config file, the
/// editor's fields (the reducer) and the reference server.
public enum Limits {
    /// Output width and height, in pixels.
    public static let size = 64...2048
    /// Sampling steps.
    public static let steps = 1...150
    /// Images per prompt: one Enter, one `--count`.
    public static let count = 1...GenerationParameters.maxCount
    /// Jobs in flight on one backend at once (`--concurrency`, `queue.concurrency`).
    public static let concurrency = 1...32

    /// "64...2048", for messages.
    public static func text(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)...\(range.upperBound)" }
}
