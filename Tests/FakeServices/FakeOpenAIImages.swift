import EaselCore
import FlyingFox
import Foundation

/// An OpenAI-compatible image API as a fake: `POST /v1/images/generations` answering `b64_json` (or a
/// LocalAI-style `url` to its own `/generated-images/…`), `GET /v1/models`, errors in OpenAI's
/// `{"error": {message, type, param, code}}` shape, and sd-server's plain-string `{"error": "…"}` for a
/// failed generation. Like OpenAI it refuses `response_format` for `gpt-image-*` (400 `unknown_parameter`)
/// and any parameter its own models do not take (`seed`, `step`, `negative_prompt`).
/// Every `/v1` route wants `Authorization: Bearer <expectedKey>`, else 401 `invalid_api_key`.
/// Scenarios: `[[queued]]`/`[[running]]`/`[[stall]]` hold the request 30 s (the call is synchronous).
///
/// Like OpenAI, it refuses a `size` the named model does not make (gpt-image-*: 1024x1024, 1536x1024,
/// 1024x1536, auto; dall-e-3: 1024x1024, 1792x1024, 1024x1792; dall-e-2: 256/512/1024 squares) and
/// `n > 1` for dall-e-3, and answers `n` images. Prompt markers of its own: `[[n=K]]` answers K images
/// whatever `n` said (a proxy that batches); `[[moderation]]` is gpt-image's 400 `moderation_blocked`;
/// `[[filtered]]` a 200 whose every item is held back with `content_filter_results` (Azure's shape);
/// `[[finish-filter]]` a 200 with no data and `finish_reason: "content_filter"`.
/// `gateway` puts a proxy in front: errors are re-sent as JSON escaped inside a JSON string, `depth`
/// levels deep, under the gateway's own status; `htmlStatus` makes the front server answer every POST
/// with nginx's HTML error page instead.
public actor FakeOpenAIImages: FakeService {
    private var server: HTTPServer?
    private var task: Task<Void, Error>?
    private var port: UInt16 = 0
    public private(set) var received: [GenerationRequest] = []
    /// Always 0: the API has no cancel call (a client cancels by closing the request).
    public private(set) var cancels = 0
    public private(set) var log: [FakeRequest] = []
    /// The key the fake accepts.
    public let expectedKey: String
    /// The key a fake expects unless told otherwise.
    public static let defaultKey = "sk-easel-test-0123456789abcdef"
    /// Echo the key it was sent in 401 bodies (some servers do), to test that clients redact it.
    public let echoesKey: Bool
    /// Answer with `url` (LocalAI) instead of `b64_json` when the request names no `response_format`.
    public let answersWithURL: Bool
    private var images: [String: GenerationRequest] = [:]
    /// A proxy in front that wraps error bodies (`depth` levels of JSON in a JSON string) and answers `status`.
    public struct Gateway: Sendable {
        public let depth: Int
        public let status: Int
        public init(depth: Int, status: Int) {
            self.depth = depth
            self.status = status
        }
    }
    public let gateway: Gateway?
    /// A web server in front answering every POST with its HTML error page of this status (nginx's 502).
    public let htmlStatus: Int?

    public init(expectedKey: String = FakeOpenAIImages.defaultKey, echoesKey: Bool = false, answersWithURL: Bool = false,
                gateway: Gateway? = nil, htmlStatus: Int? = nil) {
        self.expectedKey = expectedKey
        self.echoesKey = echoesKey
        self.answersWithURL = answersWithURL
        self.gateway = gateway
        self.htmlStatus = htmlStatus
    }

    /// The sizes OpenAI accepts for `model`, as it lists them in its 400; nil for models that take any.
    public static func sizes(for model: String) -> [String]? {
        if model.hasPrefix("gpt-image") { return ["1024x1024", "1536x1024", "1024x1536", "auto"] }
        if model.hasPrefix("dall-e-3") { return ["1024x1024", "1792x1024", "1024x1792"] }
        if model.hasPrefix("dall-e-2") { return ["256x256", "512x512", "1024x1024"] }
        return nil
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func start() async throws {
        let (s, t, p) = try await Fake.listen { server in
            await server.appendRoute("*") { [weak self] req in
                guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
                let body = [UInt8](try await req.bodyData)
                return await self.handle(req, body: body)
            }
        }
        (server, task, port) = (s, t, p)
    }

    public func stop() async {
        await server?.stop(timeout: 1)
        task?.cancel()
    }

    private func openAIError(_ status: Int, _ message: String, type: String, param: String? = nil, code: String? = nil) -> FlyingFox.HTTPResponse {
        Fake.json(Fake.status(status), ["error": ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()] as [String: Any]])
    }

    private func handle(_ req: FlyingFox.HTTPRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        let entry = FakeRequest(req, body: body)
        log.append(entry)
        if let code = htmlStatus, req.method == .POST {
            let page = "<html>\r\n<head><title>\(code) Bad Gateway</title></head>\r\n<body>\r\n<center><h1>\(code) Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
            return HTTPResponse(statusCode: Fake.status(code), headers: [.contentType: "text/html"], body: Data(page.utf8))
        }
        let response = await route(req, entry: entry, body: body)
        guard let gateway, response.statusCode.code >= 400 else { return response }
        // The gateway re-sends the service's error as text inside its own JSON, `depth` times over.
        var text = String(decoding: (try? await response.bodyData) ?? Data(), as: UTF8.self)
        for level in 0..<gateway.depth {
            let wrapper: [String: Any] = level == gateway.depth - 1
                ? ["error": "Forbidden", "message": text, "statusCode": gateway.status]
                : ["error": ["message": text, "type": "upstream_error"] as [String: Any]]
            text = String(decoding: (try? JSONSerialization.data(withJSONObject: wrapper, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        }
        return HTTPResponse(statusCode: Fake.status(gateway.status), headers: [.contentType: "application/json"], body: Data(text.utf8))
    }

    private func route(_ req: FlyingFox.HTTPRequest, entry: FakeRequest, body: [UInt8]) async -> FlyingFox.HTTPResponse {
        if req.method == .GET, req.path.hasPrefix("/generated-images/"), req.path.hasSuffix(".png") {
            let name = String(req.path.dropFirst("/generated-images/".count).dropLast(4))
            guard let r = images[name] else { return Fake.json(.notFound, ["error": "no such image"]) }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"], body: Data(Fake.png(width: r.width, height: r.height, seed: r.seed, maxSide: 2048)))
        }
        let sent = entry.headers["authorization"] ?? ""
        guard sent == "Bearer " + expectedKey else {
            let shown = echoesKey ? String(sent.dropFirst("Bearer ".count)) : "sk-****"
            return openAIError(401, "Incorrect API key provided: \(shown). You can find your API key at https://platform.openai.com/account/api-keys.",
                               type: "invalid_request_error", code: "invalid_api_key")
        }
        switch (req.method, req.path) {
        case (.GET, "/v1/models"):
            // OpenAI's own list holds every model the key may use, chat ones too.
            return Fake.json(.ok, ["object": "list", "data": [["id": "gpt-image-1", "object": "model", "owned_by": "system"],
                                                              ["id": "gpt-4o-mini", "object": "model", "owned_by": "system"],
                                                              ["id": "dall-e-3", "object": "model", "owned_by": "system"]]])
        case (.POST, "/v1/images/generations"):
            return await generate(body)
        default:
            return openAIError(404, "Invalid URL (\(req.method.rawValue) \(req.path))", type: "invalid_request_error")
        }
    }

    private func generate(_ body: [UInt8]) async -> FlyingFox.HTTPResponse {
        guard let o = Fake.object(body), let prompt = o["prompt"] as? String, !prompt.isEmpty else {
            return Fake.json(.badRequest, ["error": "prompt required"])     // sd-server's string form
        }
        let model = o["model"] as? String ?? ""
        if model.hasPrefix("gpt-image"), o["response_format"] != nil {
            return openAIError(400, "Unknown parameter: 'response_format'.", type: "invalid_request_error",
                               param: "response_format", code: "unknown_parameter")
        }
        if model.hasPrefix("gpt-image") || model.hasPrefix("dall-e") {
            for extra in ["seed", "step", "negative_prompt"] where o[extra] != nil {
                return openAIError(400, "Unknown parameter: '\(extra)'.", type: "invalid_request_error", param: extra, code: "unknown_parameter")
            }
        }
        let asked = o["size"] as? String ?? "1024x1024"
        if let allowed = Self.sizes(for: model), !allowed.contains(asked) {
            let listed = allowed.map { "'\($0)'" }
            return openAIError(400, "Invalid value: '\(asked)'. Supported values are: \(listed.dropLast().joined(separator: ", ")), and \(listed.last ?? "").",
                               type: "invalid_request_error", param: "size", code: "invalid_value")
        }
        let n = o["n"] as? Int ?? 1
        if model.hasPrefix("dall-e-3"), n != 1 {
            return openAIError(400, "You must provide n=1 for this model.", type: "invalid_request_error", param: "n", code: "invalid_value")
        }
        let size = (asked == "auto" ? "1024x1024" : asked).split(separator: "x").compactMap { Int($0) }
        guard size.count == 2 else {
            return openAIError(400, "Invalid value for 'size'.", type: "invalid_request_error", param: "size", code: "invalid_value")
        }
        let request = GenerationRequest(prompt: prompt, negativePrompt: o["negative_prompt"] as? String ?? "",
                                        width: size[0], height: size[1], seed: UInt32(o["seed"] as? Int ?? 0),
                                        steps: o["step"] as? Int ?? 30)
        received.append(request)
        switch Scenario.of(prompt) {
        case .invalid:
            return openAIError(400, "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
                               type: "invalid_request_error", code: "content_policy_violation")
        case .serverError:
            return openAIError(500, "The server had an error while processing your request: worker crashed", type: "server_error")
        case .fail:
            return Fake.json(.internalServerError, ["error": "generation failed: the sampler produced NaNs"])
        case .stall, .queued, .running:
            try? await Task.sleep(for: .seconds(30))
            return openAIError(503, "stalled", type: "server_error")
        case .normal: break
        }
        if prompt.contains("[[moderation]]") {
            return openAIError(400, "Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_9f2c.",
                               type: "image_generation_user_error", code: "moderation_blocked")
        }
        if prompt.contains("[[finish-filter]]") {
            return Fake.json(.ok, ["created": 1_713_833_628, "data": [] as [Any], "finish_reason": "content_filter",
                                   "message": "The generated image was withheld by the output safety filter."])
        }
        let count = prompt.firstMatch(of: /\[\[n=(\d+)\]\]/).flatMap { Int($0.1) } ?? n
        let format = o["response_format"] as? String
        var items: [[String: Any]] = []
        for k in 0..<max(1, min(count, 10)) {
            var one = request
            one.seed = request.seed &+ UInt32(k)
            var item: [String: Any]
            if prompt.contains("[[filtered]]") {
                item = ["content_filter_results": ["sexual": ["filtered": true, "severity": "high"], "violence": ["filtered": false, "severity": "safe"]]]
            } else if format == "url" || (format == nil && answersWithURL) {
                let name = "img\(images.count + 1)"
                images[name] = one
                item = ["url": baseURL + "/generated-images/\(name).png"]
            } else {
                item = ["b64_json": Data(Fake.png(width: one.width, height: one.height, seed: one.seed, maxSide: 2048)).base64EncodedString()]
            }
            if model == "dall-e-3" { item["revised_prompt"] = prompt }
            items.append(item)
        }
        var reply: [String: Any] = ["created": 1_713_833_628, "data": items]
        if model.hasPrefix("gpt-image") {
            reply["output_format"] = "png"
            reply["usage"] = ["input_tokens": 50, "output_tokens": 1056, "total_tokens": 1106]
        }
        return Fake.json(.ok, reply)
    }
}
