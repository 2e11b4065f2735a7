import ArgumentParser

/// Durations given on the command line, in seconds: finite and at most a day (as the config file's), so
/// `inf`, `nan` or `1e300` are usage errors (exit 64) instead of a crash where they become a `Duration`.
enum SecondsOption {
    static let most = 86_400.0

    /// - Throws: `ValidationError` naming `option` when `value` is not finite, over a day, or not above
    ///   `above` (when given) / below `least`.
    static func check(_ value: Double?, _ option: String, least: Double = 0, above: Double? = nil) throws {
        guard let value else { return }
        let low = above.map { value > $0 } ?? (value >= least)
        guard value.isFinite, low, value <= most else {
            let bound = above.map { "more than \(format($0))" } ?? "\(format(least)) or more"
            throw ValidationError("\(option) must be \(bound) and at most \(Int(most)) seconds")
        }
    }

    private static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}
