import EaselCore
import Foundation

/// File names for the gallery from a template such as `{date}/{time}_{prompt_slug}_{seed}.{ext}`
/// (config `gallery.template`).
///
/// Tokens: `{date}` (`2026-11-29`), `{time}` (`175959`), `{datetime}` (`2026-11-29T175959`), all in local
/// time; `{prompt_slug}` (lower-case words joined by `-`, at most `slugLength` characters, `untitled` when
/// nothing is left); `{seed}`; `{backend}` (the `[backends.NAME]` name, `demo`); `{model}` (`default` when none
/// is set); `{width}`; `{height}`; `{steps}`; `{job_id}`;
/// `{index}` (the image's number within its job, from 1); `{ext}` (`png`, `jpg`, `webp`). `{{` and `}}`
/// are literal braces. `/` in the template makes sub-folders.
///
/// Every path component is sanitized after substitution, whatever the prompt or the server said: no
/// `/` inside a value, no `.` or `..` components and no leading dot, no control characters (C0, DEL, C1),
/// no leading `/`, at most `maxComponentBytes` bytes of UTF-8 per component (cut at a character
/// boundary, leaving room for a clash suffix `-NNNN` and the extension).
public struct GalleryTemplate: Equatable, Sendable {
    public static let defaultText = "{date}/{time}_{prompt_slug}_{seed}.{ext}"
    /// Longest file or folder name most file systems accept (ext4, APFS, NTFS), in bytes.
    public static let maxComponentBytes = 255
    /// Longest `{prompt_slug}`, in characters.
    public static let slugLength = 48
    /// Room kept in the file name for a clash suffix (`-9999`).
    static let suffixRoom = 5

    public enum Token: String, CaseIterable, Sendable {
        case date, time, datetime, promptSlug = "prompt_slug", seed, backend, model, width, height, steps
        case jobID = "job_id", index, ext
    }

    enum Piece: Equatable, Sendable { case literal(String), token(Token) }

    /// The template as written.
    public let text: String
    /// Components split at `/`; each a list of literals and tokens.
    let components: [[Piece]]

    /// Parses `text`.
    /// - Throws: `JobError.storage` naming the problem: an unknown `{token}`, an unclosed `{`, a stray `}`,
    ///   no `{ext}` in the file name, or nothing left after the folders.
    public init(_ text: String) throws(JobError) {
        self.text = text
        var components: [[Piece]] = [[]]
        var literal = ""
        func flush() { if !literal.isEmpty { components[components.count - 1].append(.literal(literal)); literal = "" } }
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            switch c {
            case "{" where chars.first == "{": chars.removeFirst(); literal.append("{")
            case "}" where chars.first == "}": chars.removeFirst(); literal.append("}")
            case "{":
                guard let close = chars.firstIndex(of: "}") else {
                    throw .storage("gallery template \"\(Sanitize.line(text))\": unclosed {")
                }
                let name = String(chars[..<close])
                guard let token = Token(rawValue: name) else {
                    throw .storage("gallery template \"\(Sanitize.line(text))\": unknown token {\(Sanitize.line(name))}; known: "
                        + Token.allCases.map { "{\($0.rawValue)}" }.joined(separator: " "))
                }
                flush()
                components[components.count - 1].append(.token(token))
                chars = chars[chars.index(after: close)...]
            case "}":
                throw .storage("gallery template \"\(Sanitize.line(text))\": stray } (write }} for a brace)")
            case "/":
                flush()
                components.append([])
            default:
                literal.append(c)
            }
        }
        flush()
        components.removeAll { $0.isEmpty }                   // a leading "/" or "//" makes nothing
        guard let file = components.last else { throw .storage("gallery template is empty") }
        guard file.contains(.token(.ext)) else {
            throw .storage("gallery template \"\(Sanitize.line(text))\": the file name must contain {ext}")
        }
        guard components.dropLast().allSatisfy({ !$0.contains(.token(.ext)) }) else {
            throw .storage("gallery template \"\(Sanitize.line(text))\": {ext} belongs in the file name, not a folder")
        }
        self.components = components
    }

    /// The default template, `{date}/{time}_{prompt_slug}_{seed}.{ext}`.
    public static let standard = GalleryTemplate(text: defaultText, components: [
        [.token(.date)],
        [.token(.time), .literal("_"), .token(.promptSlug), .literal("_"), .token(.seed), .literal("."), .token(.ext)],
    ])

    private init(text: String, components: [[Piece]]) {
        self.text = text
        self.components = components
    }

    /// What the tokens stand for, for one image.
    public struct Values: Sendable {
        public var date: Date
        public var prompt: String
        public var seed: UInt32
        public var backend: String
        public var model: String
        public var width: Int
        public var height: Int
        public var steps: Int
        public var jobID: String
        public var index: Int
        /// `png`, `jpg` or `webp`.
        public var ext: String

        public init(date: Date, prompt: String, seed: UInt32, backend: String = "", model: String = "", width: Int,
                    height: Int, steps: Int, jobID: String, index: Int = 1, ext: String) {
            self.date = date
            self.prompt = prompt
            self.seed = seed
            self.backend = backend
            self.model = model
            self.width = width
            self.height = height
            self.steps = steps
            self.jobID = jobID
            self.index = index
            self.ext = ext
        }
    }

    /// A relative place in the gallery: folders, then a file name split before its extension so a
    /// clash suffix can go between them.
    public struct RelativePath: Equatable, Sendable {
        public var folders: [String]
        public var stem: String
        public var ext: String
        /// `folders/stem.ext`.
        public var path: String { (folders + ["\(stem).\(ext)"]).joined(separator: "/") }
    }

    /// Fills in the tokens and sanitizes every component.
    /// - Returns: folders and the file name; never absolute, never with `.` or `..`, each component
    ///   at most `maxComponentBytes` bytes including a clash suffix of up to 5 bytes.
    public func render(_ v: Values) -> RelativePath {
        let (day, time) = Self.stamp(v.date)
        func value(_ token: Token) -> String {
            switch token {
            case .date: day
            case .time: time
            case .datetime: "\(day)T\(time)"
            case .promptSlug: Self.slug(v.prompt)
            case .seed: String(v.seed)
            case .backend: Self.slug(v.backend, untitled: "backend")
            case .model: Self.slug(v.model, untitled: "default")     // no model set: the service's default
            case .width: String(v.width)
            case .height: String(v.height)
            case .steps: String(v.steps)
            case .jobID: Self.slug(v.jobID, untitled: "job")
            case .index: String(v.index)
            case .ext: Self.cleanValue(v.ext)
            }
        }
        func joined(_ pieces: ArraySlice<Piece>) -> String {
            pieces.map { piece -> String in
                switch piece {
                case .literal(let s): s
                case .token(let t): value(t)
                }
            }.joined()
        }
        var folders: [String] = []
        for component in components.dropLast() {
            let clean = Self.clean(joined(component[...]), maxBytes: Self.maxComponentBytes)
            if !clean.isEmpty { folders.append(clean) }
        }
        // The file name: the part before the last {ext} is the stem; what follows it stays attached.
        let file = components[components.count - 1]                       // init guarantees one, with {ext}
        let extAt = file.lastIndex(of: .token(.ext)) ?? file.endIndex
        var stem = joined(file[..<extAt])
        if stem.hasSuffix(".") { stem.removeLast() }
        let ext = Self.clean(value(.ext) + joined(file[min(file.endIndex, extAt + 1)...]), maxBytes: 32)
        let room = Self.maxComponentBytes - Self.suffixRoom - 1 - ext.utf8.count
        stem = Self.clean(stem, maxBytes: room)
        if stem.isEmpty { stem = "untitled" }
        return RelativePath(folders: folders, stem: stem, ext: ext.isEmpty ? "bin" : ext)
    }

    // MARK: - Sanitizing

    /// Lower-case letters and digits joined by `-`, at most `slugLength` characters; `untitled` when
    /// nothing is left (an empty prompt, only punctuation or emoji).
    public static func slug(_ text: String, untitled: String = "untitled") -> String {
        var out = ""
        var count = 0
        var dash = false
        for s in text.lowercased().unicodeScalars {
            if (s.properties.isAlphabetic || ("0"..."9").contains(s)) && s.value > 0x20 && !isControl(s) {
                if dash && !out.isEmpty {
                    if count + 2 > slugLength { break }
                    out.append("-"); count += 1
                }
                out.unicodeScalars.append(s)
                count += 1
                dash = false
            } else {
                dash = true
            }
            if count >= slugLength { break }
        }
        return out.isEmpty ? untitled : out
    }

    /// A value that must stay inside one component: `/` and `\` become `_`, controls go.
    static func cleanValue(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.compactMap { isControl($0) ? nil : ($0 == "/" || $0 == "\\") ? "_" : $0 }))
    }

    /// One path component made safe: controls dropped, `/` `\` replaced, leading dots and
    /// surrounding spaces removed (so never `.`, `..` or hidden), cut to `maxBytes` of UTF-8 at a
    /// character boundary. May return "".
    static func clean(_ s: String, maxBytes: Int) -> String {
        var text = cleanValue(s)
        while let f = text.first, f == "." || f.isWhitespace { text.removeFirst() }
        while let l = text.last, l.isWhitespace { text.removeLast() }
        guard text.utf8.count > maxBytes else { return text }
        var out = ""
        var bytes = 0
        for ch in text {
            let n = String(ch).utf8.count
            if bytes + n > maxBytes { break }
            out.append(ch)
            bytes += n
        }
        while let l = out.last, l.isWhitespace || l == "-" || l == "_" { out.removeLast() }
        return out
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s == "\u{2028}" || s == "\u{2029}"
    }

    /// Local date `2026-11-29` and time `175959`.
    static func stamp(_ date: Date) -> (day: String, time: String) {
        var t = time_t(date.timeIntervalSince1970)
        var tm = tm()
        localtime_r(&t, &tm)
        let day = String(format: "%04d-%02d-%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday))
        let time = String(format: "%02d%02d%02d", Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        return (day, time)
    }
}
