/// A guard in front of TOMLKit for one input its parser cannot survive. toml++ 3 (inside TOMLKit) asserts —
/// and so ends the whole process with SIGABRT — on a table header whose name is missing before the end of
/// its line (`[`, `[ `, `[[`, `[#…`, `[.a]` on a line of its own; `[` at the very end of the file is reported
/// normally). A config or theme file like that must get a line-numbered error like any other bad TOML, so the
/// text is scanned for such a header before it reaches the parser.
public enum TOMLHeaderCheck {
    /// The first table header (`[` or `[[` at the start of a line, outside strings, comments and multi-line
    /// arrays or inline tables) that is not followed on its line by a key: its 1-based line and the column of
    /// the character where the key should start. nil when the text has none.
    public static func keylessHeader(in text: String) -> (line: Int, column: Int)? {
        let s = Array(text.unicodeScalars)
        var i = 0, line = 1, lineStart = 0, depth = 0, atLineStart = true
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        func skipLine() { while i < s.count, s[i] != "\n" { i += 1 } }
        while i < s.count {
            let c = s[i]
            switch c {
            case "\n":
                line += 1; lineStart = i + 1; atLineStart = true
            case " ", "\t", "\r":
                break
            case "#":
                skipLine(); continue
            case "\"", "'":
                atLineStart = false
                let triple = at(i + 1) == c && at(i + 2) == c
                i += triple ? 3 : 1
                while i < s.count {
                    if c == "\"", s[i] == "\\" { i += 2; continue }
                    if s[i] == "\n" {
                        if !triple { break }                    // an unclosed one-line string: the parser says so
                        line += 1; lineStart = i + 1
                    }
                    if s[i] == c, !triple || (at(i + 1) == c && at(i + 2) == c) { i += triple ? 3 : 1; break }
                    i += 1
                }
                continue
            case "[" where atLineStart && depth == 0:
                var j = i + 1
                if at(j) == "[" { j += 1 }
                while let w = at(j), w == " " || w == "\t" { j += 1 }
                if let k = at(j), !(isBareKey(k) || k == "\"" || k == "'") { return (line, j - lineStart + 1) }
                atLineStart = false
                skipLine(); continue
            case "[", "{":
                depth += 1; atLineStart = false
            case "]", "}":
                depth = max(0, depth - 1); atLineStart = false
            default:
                atLineStart = false
            }
            i += 1
        }
        return nil
    }

    private static func isBareKey(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }
}
