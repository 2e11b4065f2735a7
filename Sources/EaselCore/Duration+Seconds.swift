extension Duration {
    /// A time given in seconds (a command-line option, a config key), kept to the whole millisecond:
    /// `2.5` → 2,500 ms. The one conversion the CLI and the config use, so both truncate alike.
    public static func seconds(milliseconds seconds: Double) -> Duration { .milliseconds(Int(seconds * 1000)) }

    /// This duration in seconds, fractions included (attosecond precision, as a `Double`).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// This duration in whole milliseconds, truncated toward zero (`3.000999 s` → 3000).
    public var inMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
