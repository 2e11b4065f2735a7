import Foundation
import Glibc

/// What Linux says about a running process, from `/proc/PID/stat` and `/proc/PID/status`.
/// - SeeAlso: https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
enum ProcStat {
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux): the unit of `cpuTicks`.
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of `pid` in clock ticks (fields 14 and 15 of `/proc/PID/stat`), all its threads
    /// together; `nil` when the process is gone.
    static func cpuTicks(_ pid: pid_t) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "comm)" start at field 3 (state); utime is field 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else { return nil }
        return utime + stime
    }

    /// `VmRSS` and `VmHWM` (peak RSS) of `pid` in KiB, from `/proc/PID/status`; `nil` when gone.
    static func memory(_ pid: pid_t) -> (rss: Int, peak: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func kib(_ key: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return Int(line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        guard let rss = kib("VmRSS"), let peak = kib("VmHWM") else { return nil }
        return (rss, peak)
    }

    /// The process name (`/proc/PID/comm`), to check that a pid is the program we think.
    static func name(_ pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmed
    }
}
