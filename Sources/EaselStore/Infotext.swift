import EaselCore
import Foundation

/// AUTOMATIC1111's "infotext", the text stored in a PNG's `parameters` tEXt chunk:
///
/// ```
/// {prompt, maybe several lines}
/// Negative prompt: {negative prompt, maybe several lines}
/// Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234567890, Size: 512x512, Model: v1-5-pruned-emaonly
/// ```
///
/// The negative line is left out when empty. Values holding `,` `:` or a newline are JSON-quoted; a
/// field whose value equals its key is written bare. See reference/backends.md §2.3, and
/// https://github.com/AUTOMATIC1111/stable-diffusion-webui/blob/master/modules/processing.py (`create_infotext`)
/// and `modules/infotext_utils.py` (`quote`, `parse_generation_parameters`).
public struct Infotext: Equatable, Sendable {
    public struct Field: Equatable, Sendable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public var prompt: String
    public var negativePrompt: String
    /// The last line's `Key: value` pairs, in order (values unquoted).
    public var fields: [Field]

    public init(prompt: String, negativePrompt: String = "", fields: [Field] = []) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.fields = fields
    }

    /// The order A1111 writes its fields in; Easel writes the ones it knows in this order.
    public static let fieldOrder = [
        "Steps", "Sampler", "Schedule type", "CFG scale", "Image CFG scale", "Seed", "Face restoration", "Size",
        "Model hash", "Model", "VAE hash", "VAE", "Variation seed", "Variation seed strength", "Seed resize from",
        "Denoising strength", "Clip skip", "ENSD", "RNG", "Tiling", "Version", "User",
    ]

    /// The value of `key`, if present.
    public subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    /// The text exactly as A1111 writes it (`create_infotext`): prompt, the negative line when not empty,
    /// then the fields joined by `", "`; surrounding whitespace stripped.
    public func render() -> String {
        var text = prompt
        if !negativePrompt.isEmpty { text += "\nNegative prompt: \(negativePrompt)" }
        let line = fields.map { $0.key == $0.value ? $0.key : "\($0.key): \(Self.quote($0.value))" }.joined(separator: ", ")
        text += "\n" + line
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A1111's `quote`: the value itself, or `json.dumps(value, ensure_ascii=False)` when it holds `,` `:` or `\n`.
    public static func quote(_ value: String) -> String {
        guard value.contains(",") || value.contains(":") || value.contains("\n") else { return value }
        var out = "\""
        for s in value.unicodeScalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if s.value < 0x20 { out += String(format: "\\u%04x", s.value) } else { out.unicodeScalars.append(s) }
            }
        }
        return out + "\""
    }

    /// Reads infotext the way A1111's `parse_generation_parameters` does: the last line is the fields
    /// when it holds at least three `Key: value` pairs (else it belongs to the prompt); lines before a
    /// line starting `Negative prompt:` are the prompt (several lines allowed), lines from it on the
    /// negative prompt; quoted values are JSON-unquoted. Never fails: text without fields is all prompt.
    public static func parse(_ text: String) -> Infotext {
        var lines = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var last = lines.removeLast()
        var found = pairs(in: last)
        if found.count < 3 {
            lines.append(last)
            last = ""
            found = []
        }
        var prompt = "", negative = "", doneWithPrompt = false
        for raw in lines {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Negative prompt:") {
                doneWithPrompt = true
                line = String(line.dropFirst(16)).trimmingCharacters(in: .whitespaces)
            }
            if doneWithPrompt { negative += (negative.isEmpty ? "" : "\n") + line }
            else { prompt += (prompt.isEmpty ? "" : "\n") + line }
        }
        return Infotext(prompt: prompt, negativePrompt: negative, fields: found.map { Field($0.0, unquote($0.1)) })
    }

    /// `re_param` of infotext_utils.py: `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)`, all matches.
    static func pairs(in line: String) -> [(String, String)] {
        let pattern = #/\s*(\w[\w \-\/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/#
        return line.matches(of: pattern).map { (String($0.output.1), String($0.output.2)) }
    }

    /// A1111's `unquote`: a value in double quotes is read as a JSON string; anything else as is.
    static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.first == "\"", value.last == "\"",
              let s = try? JSONDecoder().decode(String.self, from: Data(value.utf8)) else { return value }
        return s
    }

    /// Prompt, negative prompt, seed, size and steps, as far as the text has them.
    public var parameters: ImageParameters {
        var p = ImageParameters(prompt: prompt, negativePrompt: negativePrompt, source: "parameters")
        p.seed = self["Seed"].flatMap { UInt32($0.trimmingCharacters(in: .whitespaces)) }
        p.steps = self["Steps"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if let size = self["Size"] {
            let wh = size.trimmingCharacters(in: .whitespaces).split(separator: "x", omittingEmptySubsequences: false)
            if wh.count == 2, let w = Int(wh[0]), let h = Int(wh[1]), w > 0, h > 0 { (p.width, p.height) = (w, h) }
        }
        return p
    }

    /// `7` for 7.0, `7.5` for 7.5 (how CFG scales appear in A1111 infotext).
    public static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
