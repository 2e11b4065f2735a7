import EaselHTTP
import Foundation

/// Reads what an error body says, whatever wraps it: the service's JSON, the same JSON escaped inside a
/// JSON string by a proxy or gateway (any number of levels deep), or an HTML error page from a web
/// server in front (nginx's `502 Bad Gateway`). Shared by every adapter's error mapping.
///
/// Shapes seen: OpenAI `{"error": {message, type, code}}` (reference/backends.md §5.4), sd-server
/// `{"error": "text"}` (§9 row 23), FastAPI `{"detail": …}`, gateways
/// `{"error": "Forbidden", "message": "{\"error\": {\"message\": …, \"code\": \"moderation_blocked\"}}"}`.
enum ErrorBody {
    /// What was found: the innermost human-readable message, and every `code` / `type` on the way.
    struct Reading: Equatable {
        /// The deepest text that is not itself JSON; nil when the body holds none.
        var message: String?
        /// `code`, `type` and `error_code` values at every level, outermost first, lower-cased.
        var codes: [String] = []
        /// True when the body is an HTML page (its `<title>` is then the message).
        var isHTML = false
    }

    /// How deep JSON-in-a-string is unwrapped; deeper nesting keeps the text at this level.
    static let maxDepth = 8

    /// Reads `body` (at most its first 64 KiB).
    /// - Returns: the innermost message (trimmed, not sanitized: `JobError.message` sanitizes) and codes.
    static func read(_ body: [UInt8]) -> Reading {
        let bytes = Array(body.prefix(65_536))
        let text = String(decoding: bytes, as: UTF8.self)
        if let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) {
            var reading = Reading()
            reading.message = innermost(value, depth: 0, codes: &reading.codes)
            return reading
        }
        if looksLikeHTML(text) { return Reading(message: htmlTitle(text), isHTML: true) }
        return Reading()
    }

    /// The response's readable summary for messages: the innermost JSON message, an HTML page's
    /// title, or the first 200 bytes of a plain-text body. Never markup; nil for an HTML page with no title.
    static func summary(_ response: HTTPResponse) -> String? {
        let reading = read(response.body)
        if let message = reading.message { return String(message.prefix(300)) }
        if reading.isHTML || response.contentType?.lowercased().contains("html") == true { return nil }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// True when the codes or the message say a moderation or content-policy filter refused the request
    /// (OpenAI `content_policy_violation`, `moderation_blocked`; Azure `content_filter`; "safety system").
    static func isPolicyBlock(_ reading: Reading) -> Bool {
        let codes = ["content_policy_violation", "moderation_blocked", "content_filter", "responsibleaipolicyviolation",
                     "safety_violation", "nsfw_content_detected"]
        if reading.codes.contains(where: { code in codes.contains { code.contains($0) } }) { return true }
        guard let m = reading.message?.lowercased() else { return false }
        return ["safety system", "content policy", "moderation", "content filter", "safety filter", "nsfw"].contains { m.contains($0) }
    }

    // MARK: - JSON

    /// The deepest message in `value`: a string that parses as JSON is unwrapped; objects are searched by
    /// `error`, `message`, `detail`, `msg`, `error_message`, `title` in that order.
    private static func innermost(_ value: Any, depth: Int, codes: inout [String]) -> String? {
        switch value {
        case let s as String:
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if depth < maxDepth, trimmed.hasPrefix("{") || trimmed.hasPrefix("["),
               let inner = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)),
               let found = innermost(inner, depth: depth + 1, codes: &codes) {
                return found
            }
            return trimmed.isEmpty ? nil : trimmed
        case let object as [String: Any]:
            for key in ["code", "type", "error_code", "error_type"] {
                if let c = object[key] as? String, !c.isEmpty { codes.append(c.lowercased()) }
            }
            // A deeper message wins over a shallow generic one ("Forbidden" beside an escaped body).
            var shallow: String?
            for key in ["error", "message", "detail", "msg", "error_message", "title"] {
                guard let v = object[key], !(v is NSNull) else { continue }
                var innerCodes: [String] = []
                guard let found = innermost(v, depth: depth + 1, codes: &innerCodes) else { continue }
                codes += innerCodes
                if v is String, !isJSONText(v as? String) {
                    if shallow == nil { shallow = found }
                } else {
                    return found
                }
            }
            return shallow
        case let list as [Any]:
            for item in list { if let found = innermost(item, depth: depth + 1, codes: &codes) { return found } }
            return nil
        default:
            return nil
        }
    }

    private static func isJSONText(_ s: String?) -> Bool {
        guard let t = s?.trimmingCharacters(in: .whitespacesAndNewlines), t.hasPrefix("{") || t.hasPrefix("[") else { return false }
        return (try? JSONSerialization.jsonObject(with: Data(t.utf8))) != nil
    }

    // MARK: - HTML

    static func looksLikeHTML(_ text: String) -> Bool {
        let head = text.prefix(512).lowercased().drop { $0.isWhitespace }
        return head.hasPrefix("<!doctype html") || head.hasPrefix("<html") || head.hasPrefix("<head")
            || head.hasPrefix("<body") || head.hasPrefix("<title") || head.hasPrefix("<center") || head.hasPrefix("<h1")
    }

    /// The text of the first `<title>` (entities `&amp;` `&lt;` `&gt;` `&quot;` `&#39;` decoded,
    /// whitespace collapsed), else of the first `<h1>`; nil when neither is there.
    static func htmlTitle(_ html: String) -> String? {
        for tag in ["title", "h1"] {
            guard let open = html.range(of: "<\(tag)", options: .caseInsensitive),
                  let gt = html[open.upperBound...].firstIndex(of: ">"),
                  let close = html.range(of: "</\(tag)", options: .caseInsensitive, range: gt..<html.endIndex) else { continue }
            var inner = String(html[html.index(after: gt)..<close.lowerBound])
            while let tagStart = inner.firstIndex(of: "<"), let tagEnd = inner[tagStart...].firstIndex(of: ">") {
                inner.removeSubrange(tagStart...tagEnd)
            }
            for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
                inner = inner.replacingOccurrences(of: entity, with: char)
            }
            let words = inner.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if !words.isEmpty { return String(words.prefix(200)) }
        }
        return nil
    }
}
