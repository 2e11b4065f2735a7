@testable import EaselBackends
import EaselCore
import EaselHTTP
import FakeServices
import Foundation
import Testing

/// Error bodies as proxies and web servers send them (issue 19, items 2 and 3): the service's JSON
/// escaped inside a gateway's JSON string, one to three levels deep, under 400/403/500; a moderation
/// block under any status; nginx's HTML error page. Against `FakeOpenAIImages` with a gateway in front,
/// and `ErrorBody` on raw, garbage and truncated bodies.
@Suite("Hosted error bodies: nested JSON from proxies, moderation under any status, HTML pages")
struct HostedErrorBodyTests {
    private let key = KeySource.configFile(FakeOpenAIImages.defaultKey, file: "test.toml")

    private func failure(_ fake: FakeOpenAIImages, model: String, prompt: String) async throws -> JobError? {
        let api = OpenAIImagesBackend(options: HostedRig.options(.openai, await fake.baseURL, key: key, model: model),
                                      http: HostedRig.http())
        return await HostedRig.error { _ = try await HostedRig.run(api, HostedRig.request(prompt)) }
    }

    @Test(arguments: [(depth: 2, status: 400), (2, 403), (2, 500), (3, 400), (3, 403), (3, 500)])
    func aModerationBlockWrappedByAGatewayIsAnInvalidPromptWithTheInnermostMessage(_ depth: Int, _ status: Int) async throws {
        try await HostedRig.with(FakeOpenAIImages(gateway: .init(depth: depth, status: status))) { fake in
            let error = try await failure(fake, model: "gpt-image-1", prompt: "a fox [[moderation]]")
            guard case .invalidPrompt(let reason)? = error else { Issue.record("\(depth)/\(status): \(String(describing: error))"); return }
            #expect(reason == "rejected by the content policy: Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_9f2c.")
            let shown = try #require(error?.message)
            #expect(!shown.contains("{") && !shown.contains("\\"), "\(shown)")
            #expect(error?.kind == "invalid_prompt")
        }
    }

    @Test(arguments: [(depth: 2, status: 400), (2, 403), (2, 500), (3, 400), (3, 403), (3, 500)])
    func anOrdinaryErrorWrappedByAGatewayShowsTheInnermostMessageUnderTheGatewaysCategory(_ depth: Int, _ status: Int) async throws {
        try await HostedRig.with(FakeOpenAIImages(gateway: .init(depth: depth, status: status))) { fake in
            // dall-e-3 refuses n > 1 … here: a size it does not make, sent by a client that skips the mapping.
            let body = Array(#"{"model":"dall-e-3","prompt":"fox","size":"640x480","response_format":"b64_json"}"#.utf8)
            let r = try await HostedRig.http().send(.postJSON(await fake.baseURL + "/v1/images/generations", body,
                                                              headers: [("Authorization", "Bearer " + FakeOpenAIImages.defaultKey)]))
            #expect(r.status == status)
            let message = "Invalid value: '640x480'. Supported values are: '1024x1024', '1792x1024', and '1024x1792'."
            switch status {
            case 400: #expect(OpenAIImagesBackend.failure(r) == .invalidPrompt(reason: message))
            case 403: #expect(OpenAIImagesBackend.failure(r) == .unauthorized(message))
            default: #expect(OpenAIImagesBackend.failure(r) == .server(status: 500, message: message))
            }
        }
    }

    @Test func aGateway403ThatSaysNothingAboutPolicyStaysUnauthorized() {
        let inner = #"{"error":{"message":"Incorrect API key provided: sk-****.","type":"invalid_request_error","code":"invalid_api_key"}}"#
        let outer = try! JSONSerialization.data(withJSONObject: ["error": "Forbidden", "message": inner])
        let error = OpenAIImagesBackend.failure(HTTPResponse(status: 403, headers: [:], body: [UInt8](outer)))
        #expect(error == .unauthorized("Incorrect API key provided: sk-****."))
    }

    @Test(arguments: [403, 500])
    func anyBackendFilesAModerationBlockUnder403Or500AsAnInvalidPrompt(_ status: Int) {
        let inner = #"{"error":{"message":"Prompt flagged by moderation","code":"moderation_blocked"}}"#
        let body = [UInt8](try! JSONSerialization.data(withJSONObject: ["error": "Forbidden", "message": inner]))
        let r = HTTPResponse(status: status, headers: [:], body: body)
        #expect(ReplicateBackend.failure(r) == .invalidPrompt(reason: "Prompt flagged by moderation"))
        #expect(ErrorMapping.status(r, message: nil) == .invalidPrompt(reason: "Prompt flagged by moderation"))
        // The same status without a policy word keeps its category.
        let plain = HTTPResponse(status: status, headers: [:], body: Array(#"{"detail":"Forbidden"}"#.utf8))
        #expect(ErrorMapping.status(plain, message: nil) == (status == 403 ? .unauthorized("Forbidden") : .server(status: 500, message: "Forbidden")))
    }

    @Test func nginxsHTMLPageGivesTheStatusAndTitleNeverMarkup() async throws {
        try await HostedRig.with(FakeOpenAIImages(htmlStatus: 502)) { fake in
            let error = try await failure(fake, model: "gpt-image-1", prompt: "a fox")
            #expect(error == .server(status: 502, message: "502 Bad Gateway"))
            #expect(error?.message == "server error 502: 502 Bad Gateway")
        }
    }

    @Test(arguments: [400, 403, 404, 500, 503])
    func anHTMLBodyNeverReachesAMessageForAnyBackend(_ status: Int) {
        let page = "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>\(status) Service &amp; Gateway</title></head><body><h1>Oops</h1></body></html>"
        let error = ErrorMapping.status(HTTPResponse(status: status, headers: ["content-type": "text/html"], body: Array(page.utf8)), message: nil)
        #expect(!error.message.contains("<") && !error.message.contains(">"), "\(error.message)")
        if status != 404 { #expect(error.message.contains("\(status) Service & Gateway"), "\(error.message)") }
    }

    @Test func anHTMLPageWithoutATitleUsesItsHeadingOrNothing() {
        #expect(ErrorBody.htmlTitle("<html><body><center><h1>504 Gateway Time-out</h1></center></body></html>") == "504 Gateway Time-out")
        #expect(ErrorBody.htmlTitle("<html><body>down</body></html>") == nil)
        #expect(ErrorMapping.status(HTTPResponse(status: 502, headers: [:], body: Array("<html><body>down</body></html>".utf8)), message: nil)
                == .server(status: 502, message: ""))
    }

    @Test func readingFindsTheDeepestTextAndEveryCode() {
        let level1 = #"{"error":{"message":"Your request was rejected by the safety system.","type":"image_generation_user_error","code":"moderation_blocked"}}"#
        let level2 = String(decoding: try! JSONSerialization.data(withJSONObject: ["error": ["message": level1]]), as: UTF8.self)
        let level3 = String(decoding: try! JSONSerialization.data(withJSONObject: ["error": "Forbidden", "message": level2]), as: UTF8.self)
        let r = ErrorBody.read(Array(level3.utf8))
        #expect(r.message == "Your request was rejected by the safety system.")
        #expect(r.codes.contains("moderation_blocked"))
        #expect(ErrorBody.isPolicyBlock(r))
    }

    @Test func garbageAndTruncatedBodiesGiveNoMessageAndNeverCrash() {
        for body in ["", "{", "{\"error\":", "\"just a string\"", "[1,2", "null", "{\"error\":null}", "<html", "\u{1B}[31m{}",
                     String(repeating: "{\"error\":\"", count: 500)] {
            let r = ErrorBody.read(Array(body.utf8))
            #expect(r.message == nil || r.message == "just a string", "\(body.prefix(20)): \(String(describing: r.message))")
        }
        // Nesting deeper than maxDepth keeps the text found there instead of recursing forever.
        var deep = #"{"error":"innermost"}"#
        for _ in 0..<9 { deep = String(decoding: try! JSONSerialization.data(withJSONObject: ["error": deep]), as: UTF8.self) }
        #expect(ErrorBody.read(Array(deep.utf8)).message?.isEmpty == false)
    }
}
