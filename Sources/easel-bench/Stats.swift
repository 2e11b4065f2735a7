import Foundation

extension Array where Element == Double {
    /// The `q` quantile (0...1) by the nearest-rank method; `nil` when empty. `percentile(0.99)` of 1000
    /// samples is the 990th smallest.
    func percentile(_ q: Double) -> Double? {
        guard !isEmpty else { return nil }
        let s = sorted()
        let rank = Swift.max(1, Int((q * Double(s.count)).rounded(.up)))
        return s[Swift.min(rank, s.count) - 1]
    }

    /// "median (min–max)" with `digits` decimals, or "n/a" when empty.
    func summary(_ digits: Int = 1, scale: Double = 1) -> String {
        guard let m = median, let lo = self.min(), let hi = self.max() else { return "n/a" }
        let f = "%.\(digits)f"
        return String(format: f, m * scale) + " (" + String(format: f, lo * scale) + "–" + String(format: f, hi * scale) + ")"
    }
}

/// Milliseconds with two decimals, for tables.
func msText(_ seconds: Double) -> String { String(format: "%.2f", seconds * 1000) }

/// "✓" or "✗".
func mark(_ ok: Bool) -> String { ok ? "✓" : "✗" }
