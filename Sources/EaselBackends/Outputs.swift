import EaselCore
import Foundation

/// Reading a hosted service's finished result: every image it holds (not only the first), and whether
/// the service refused while answering 200 (a safety flag, a content-filter finish reason).
///
/// Shapes: fal `{"images": [{url, width, height, content_type}], "has_nsfw_concepts": [false, true]}`
/// (https://fal.ai/models/fal-ai/flux/dev/api, "has_nsfw_concepts"); Replicate `output` as a URL or a
/// list of URLs (https://replicate.com/docs/reference/http#predictions.get); OpenAI `data: [{b64_json |
/// url}]` (§5.2) and Azure OpenAI's `content_filter_results` with `filtered: true`
/// (https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter); Gemini-style
/// `finishReason: "SAFETY"`; diffusers' `nsfw_content_detected`.
enum Outputs {
    /// The most images one job keeps (a service that answers with more is cut here).
    static let maxImages = 16

    /// Every image-looking string in `value` in order (`http(s)://` URLs and `data:` URIs; lists in
    /// order, objects by `url`, `image`, `images`, `output`, `uri` first), without duplicates.
    static func imageURLs(in value: Any?) -> [String] {
        var found: [String] = []
        collect(value, into: &found, depth: 0)
        var seen = Set<String>()
        return Array(found.filter { seen.insert($0).inserted }.prefix(maxImages))
    }

    private static func collect(_ value: Any?, into found: inout [String], depth: Int) {
        guard depth < 6, found.count < maxImages * 4 else { return }
        switch value {
        case let s as String:
            if s.hasPrefix("https://") || s.hasPrefix("http://") || s.hasPrefix("data:") { found.append(s) }
        case let list as [Any]:
            for item in list { collect(item, into: &found, depth: depth + 1) }
        case let object as [String: Any]:
            let preferred = ["url", "image", "images", "output", "uri"]
            for k in preferred { collect(object[k], into: &found, depth: depth + 1) }
            guard found.isEmpty else { return }
            for (k, v) in object.sorted(by: { $0.key < $1.key }) where !preferred.contains(k) {
                collect(v, into: &found, depth: depth + 1)
            }
        default:
            return
        }
    }

    /// The status for a list of image URLs: one → `.completed`, several → `.completedBatch`.
    /// - Throws: `JobError.badResponse(emptyReason)` when there is none.
    static func status(_ urls: [String], emptyReason: String) throws(JobError) -> RemoteStatus {
        let refs = urls.map { ImageRef(url: $0) }
        switch refs.count {
        case 0: throw .badResponse(emptyReason)
        case 1: return .completed(refs[0])
        default: return .completedBatch(refs)
        }
    }

    /// Which of `count` images the result marks as filtered: `has_nsfw_concepts` / `nsfw_content_detected`
    /// (a list of booleans, one per image, or one boolean for all) and per-item `content_filter_results`
    /// with any `filtered: true`.
    static func flagged(in object: [String: Any], items: [Any] = [], count: Int) -> Set<Int> {
        var out = Set<Int>()
        for key in ["has_nsfw_concepts", "nsfw_content_detected"] {
            if let list = object[key] as? [Any] {
                for (i, flag) in list.enumerated() where i < count && isTrue(flag) { out.insert(i) }
            } else if let flag = object[key], isTrue(flag) {
                out.formUnion(0..<count)
            }
        }
        for (i, item) in items.enumerated() {
            guard let results = (item as? [String: Any])?["content_filter_results"] as? [String: Any] else { continue }
            if results.values.contains(where: { (($0 as? [String: Any])?["filtered"]).map(isTrue) ?? false }) { out.insert(i) }
        }
        return out
    }

    /// The refusal a 200 carries for the whole request: a finish reason that names a filter, or a
    /// `refusal` / `blocked_reason` text. Returns the service's own words, or nil.
    static func refusal(in object: [String: Any], items: [Any] = []) -> String? {
        for candidate in [object] + items.compactMap({ $0 as? [String: Any] }) {
            for key in ["refusal", "blocked_reason", "block_reason"] {
                if let text = candidate[key] as? String, !text.isEmpty { return text }
            }
            for key in ["finish_reason", "finishReason", "stop_reason"] {
                guard let reason = candidate[key] as? String else { continue }
                let r = reason.lowercased()
                if ["content_filter", "safety", "blocked", "prohibited_content", "moderation", "nsfw", "image_safety"]
                    .contains(where: { r.contains($0) }) {
                    let text = (candidate["message"] as? String) ?? (candidate["finish_message"] as? String) ?? ""
                    return "finish reason \(reason)" + (text.isEmpty ? "" : ": \(text)")
                }
            }
        }
        return nil
    }

    private static func isTrue(_ value: Any) -> Bool {
        if let b = value as? Bool { return b }
        if let n = value as? NSNumber { return n.intValue != 0 }
        if let s = value as? String { return s.lowercased() == "true" }
        return false
    }

    /// The error for a refused result: `.invalidPrompt` ("rejected by the content policy: …"), the
    /// category of every content-policy block.
    static func policyError(_ words: String) -> JobError {
        .invalidPrompt(reason: "rejected by the content policy: \(words)")
    }

    /// A result's images with the filtered ones left out.
    /// - Throws: `policyError` when the result is refused as a whole or every image is flagged; the
    ///   message counts them ("2 of 2 images flagged as NSFW (has_nsfw_concepts)").
    static func unfiltered(_ urls: [String], object: [String: Any], items: [Any] = []) throws(JobError) -> [String] {
        if let words = refusal(in: object, items: items) { throw policyError(words) }
        let flags = flagged(in: object, items: items, count: urls.count)
        guard !flags.isEmpty else { return urls }
        let kept = urls.enumerated().filter { !flags.contains($0.offset) }.map(\.element)
        if kept.isEmpty {
            let key = object["has_nsfw_concepts"] != nil ? "has_nsfw_concepts"
                : object["nsfw_content_detected"] != nil ? "nsfw_content_detected" : "content_filter_results"
            throw policyError("\(flags.count) of \(urls.count) image\(urls.count == 1 ? "" : "s") flagged by the service's safety checker (\(key))")
        }
        return kept
    }
}
