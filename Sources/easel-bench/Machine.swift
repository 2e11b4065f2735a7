import Foundation
import Glibc

/// The machine and tool versions a run was measured with, for the top of BENCHMARKS.md.
struct MachineInfo {
    var cpus = "?"
    var cpuModel = "?"
    var kernel = "?"
    var os = "?"
    var swift = "?"
    var img2sixel = "not installed"
    var chafa = "not installed"
    var build = "?"
    var date = ""
    var loadBefore = "?"
    var loadAfter = "?"

    static func collect() -> MachineInfo {
        var m = MachineInfo()
        m.cpus = Subprocess.capture(["nproc"])?.trimmed ?? "\(sysconf(Int32(_SC_NPROCESSORS_ONLN)))"
        m.cpuModel = firstValue(in: "/proc/cpuinfo", key: "model name") ?? "?"
        m.kernel = (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?.trimmed ?? "?"
        m.os = firstValue(in: "/etc/os-release", key: "PRETTY_NAME", separator: "=")?
            .trimmingCharacters(in: CharacterSet(charactersIn: "\"")) ?? "?"
        m.swift = Subprocess.capture(["swift", "--version"])?.split(separator: "\n")
            .first { $0.contains("Swift version") }.map { String($0).trimmed } ?? compiledWith
        if let v = Subprocess.capture(["img2sixel", "-V"])?.split(separator: "\n").first {
            m.img2sixel = String(v).trimmed + packageVersions(["libsixel-bin", "libsixel1"])
        }
        if let v = Subprocess.capture(["chafa", "--version"])?.split(separator: "\n").first {
            m.chafa = String(v).trimmed + packageVersions(["chafa", "libchafa0"])
        }
        #if DEBUG
        m.build = "debug build (figures are not representative; use `make bench`)"
        #else
        m.build = "release build (`swift build -c release`)"
        #endif
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        m.date = f.string(from: Date())
        m.loadBefore = loadAverage()
        return m
    }

    /// `/proc/loadavg`'s 1, 5 and 15 minute figures.
    static func loadAverage() -> String {
        guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return s.split(separator: " ").prefix(3).joined(separator: " ")
    }

    private static var compiledWith: String {
        #if compiler(>=6.3)
        "compiled with Swift ≥ 6.3 (`swift` not on PATH)"
        #else
        "compiled with Swift < 6.3 (`swift` not on PATH)"
        #endif
    }

    private static func firstValue(in path: String, key: String, separator: Character = ":") -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: separator, maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
                return String(parts[1]).trimmed
            }
        }
        return nil
    }

    /// " (Debian libsixel-bin 1.10.3-3, …)" from dpkg, or "" when dpkg does not know them.
    private static func packageVersions(_ packages: [String]) -> String {
        let found = packages.compactMap { p -> String? in
            guard let v = Subprocess.capture(["dpkg-query", "-W", "-f", "${Version}", p])?.trimmed, !v.isEmpty else { return nil }
            return "\(p) \(v)"
        }
        return found.isEmpty ? "" : " (Debian \(found.joined(separator: ", ")))"
    }

    /// The machine block that opens BENCHMARKS.md.
    var markdown: String {
        """
        Measured \(date) on:

        - CPU: \(cpuModel), `nproc` = \(cpus)
        - OS: \(os), kernel \(kernel)
        - Swift: \(swift); easel-bench \(build)
        - img2sixel: \(img2sixel)
        - chafa: \(chafa)
        - Load average (1/5/15 min) before → after: \(loadBefore) → \(loadAfter) (a shared machine: \
        medians and interleaving are there to absorb this noise)
        """
    }
}

extension StringProtocol {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
