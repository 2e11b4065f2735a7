import EaselBackends
import EaselCore
import EaselHTTP
import EaselImaging
import Foundation

/// One backend adapter under fuzz: how to build it against the fuzz server, and the valid bodies its
/// service sends (the seeds the mutator starts from). `FuzzTests` drives every target in `FuzzTargets.all`.
struct FuzzTarget: Sendable {
    /// Shown in failures, e.g. "SeedJobAPI".
    let name: String
    /// The adapter, pointed at `baseURL` (the fuzz server), using `http`.
    let make: @Sendable (_ baseURL: String, _ http: HTTPClient) -> any GenerationBackend
    /// Well-formed response bodies of this service (submit replies, statuses, errors), in UTF-8 JSON.
    let seeds: [String]
}

/// The adapters the fuzz suite drives. A new backend adds one entry here (with its own seed bodies).
enum FuzzTargets {
    /// A 1×1 PNG, base64.
    static let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/eL9GtQAAAABJRU5ErkJggg=="
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "SeedJobAPI", make: { SeedJobAPI(baseURL: $0, http: $1) }, seeds: [
            #"{"jobId":"abc-1","status":"processing"}"#,
            #"{"jobId":"abc-2"}"#,
            #"{"status":"processing","image":null,"progress":0.42}"#,
            #"{"status":"processing","image":null,"progress":0,"queue_position":3}"#,
            #"{"status":"queued","queue_position":1}"#,
            #"{"status":"completed","image":"/images/abc-1.png","progress":1}"#,
            #"{"status":"completed","image":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/eL9GtQAAAABJRU5ErkJggg=="}"#,
            #"{"status":"failed","image":null,"error":"out of memory"}"#,
            #"{"status":"canceled","error":"canceled"}"#,
            #"{"error":"prompt is required"}"#,
            #"{"error":"rate limit exceeded: 8/60s per IP; retry in 12s"}"#,
            #"{"jobId":"x","status":"processing","extra":{"nested":[1,2,{"deep":true}]}}"#,
        ]),
        FuzzTarget(name: "ComfyUI", make: { url, http in
            try! ComfyUIBackend(options: BackendOptions(name: "fuzz", kind: .comfyui, url: url), http: http)
        }, seeds: [
            #"{"prompt_id":"p-1","number":3,"node_errors":{}}"#,
            #"{}"#,
            #"{"p-1":{"outputs":{"9":{"images":[{"filename":"ComfyUI_0001_.png","subfolder":"","type":"output"}]}},"status":{"status_str":"success","completed":true,"messages":[]}}}"#,
            #"{"p-1":{"outputs":{},"status":{"status_str":"error","completed":false,"messages":[["execution_error",{"node_id":"3","node_type":"KSampler","exception_message":"NaN"}]]}}}"#,
            #"{"queue_running":[[1,"p-1",{},{},["9"]]],"queue_pending":[[2,"p-2",{},{},["9"]]]}"#,
            #"{"error":{"type":"prompt_outputs_failed_validation","message":"Prompt outputs failed validation","details":"","extra_info":{}},"node_errors":{"4":{"errors":[{"type":"value_not_in_list","message":"Value not in list","details":"ckpt_name: 'x' not in []","extra_info":{}}],"dependent_outputs":["9"],"class_type":"CheckpointLoaderSimple"}}}"#,
            #"{"error":"no prompt","node_errors":[]}"#,
        ]),
        FuzzTarget(name: "A1111", make: { url, http in
            try! A1111Backend(options: BackendOptions(name: "fuzz", kind: .a1111, url: url), http: http)
        }, seeds: [
            #"{"images":["PNG"],"parameters":{},"info":"{\"seed\": 5, \"all_seeds\": [5]}"}"#.replacingOccurrences(of: "PNG", with: FuzzTargets.png),
            #"{"progress":0.5,"eta_relative":3.2,"state":{"job_count":1,"sampling_step":10,"sampling_steps":20},"current_image":null,"textinfo":null}"#,
            #"{"progress":0.0,"eta_relative":0,"state":{"job_count":0},"current_image":"data:image/png;base64,PNG"}"#.replacingOccurrences(of: "PNG", with: FuzzTargets.png),
            #"{"error":"OutOfMemoryError","detail":"","body":"","errors":"CUDA out of memory. Tried to allocate 1.11 GiB"}"#,
            #"{"detail":"Not Found"}"#,
            #"{"detail":[{"loc":["body","steps"],"msg":"value is not a valid integer","type":"type_error.integer"}]}"#,
        ]),
        FuzzTarget(name: "SDCpp", make: { url, http in
            SDCppBackend(options: BackendOptions(name: "fuzz", kind: .sdcpp, url: url), http: http)
        }, seeds: [
            #"{"id":"j-1","kind":"img_gen","status":"queued","created":1775401200,"queue_position":1}"#,
            #"{"id":"j-1","kind":"img_gen","status":"generating","queue_position":0,"result":null,"error":null}"#,
            #"{"id":"j-1","kind":"img_gen","status":"completed","result":{"output_format":"png","images":[{"index":0,"b64_json":"PNG"}]},"error":null}"#.replacingOccurrences(of: "PNG", with: FuzzTargets.png),
            #"{"id":"j-1","status":"failed","error":{"code":"generation_failed","message":"generate_image returned no results"}}"#,
            #"{"error":"job expired"}"#,
        ]),
        FuzzTarget(name: "OpenAIImages", make: { url, http in
            var o = BackendOptions(name: "fuzz", kind: .openai, url: url)
            o.apiKey = .configFile("sk-fuzz-0123456789", file: "fuzz.toml")
            return OpenAIImagesBackend(options: o, http: http)
        }, seeds: [
            #"{"created":1713833628,"data":[{"b64_json":"PNG","revised_prompt":"a fox"}]}"#.replacingOccurrences(of: "PNG", with: FuzzTargets.png),
            #"{"created":1713833628,"data":[{"url":"http://127.0.0.1:1/img.png"}]}"#,
            #"{"error":{"message":"Unknown parameter: 'response_format'.","type":"invalid_request_error","param":"response_format","code":"unknown_parameter"}}"#,
            #"{"error":"prompt required"}"#,
            #"{"object":"list","data":[{"id":"gpt-image-1","object":"model"}]}"#,
        ]),
        FuzzTarget(name: "Replicate", make: { url, http in
            var o = BackendOptions(name: "fuzz", kind: .replicate, url: url)
            o.model = "black-forest-labs/flux-schnell"
            o.apiKey = .configFile("r8_fuzz0123456789", file: "fuzz.toml")
            return try! ReplicateBackend(options: o, http: http, rereadPause: .zero)
        }, seeds: [
            #"{"id":"p1","status":"starting","urls":{"get":"/v1/predictions/p1","cancel":"/v1/predictions/p1/cancel"},"output":null,"logs":""}"#,
            #"{"id":"p1","status":"processing","logs":" 45%|████      | 2/4 [00:01<00:01]","output":null}"#,
            #"{"id":"p1","status":"succeeded","output":["http://127.0.0.1:1/out.webp"]}"#,
            #"{"id":"p1","status":"succeeded","output":"http://127.0.0.1:1/out.png"}"#,
            #"{"id":"p1","status":"failed","error":"NSFW content detected"}"#,
            #"{"detail":"Request was throttled. Expected available in 1 second.","status":429}"#,
        ]),
        FuzzTarget(name: "Fal", make: { url, http in
            var o = BackendOptions(name: "fuzz", kind: .fal, url: url)
            o.model = "fal-ai/flux/dev"
            o.apiKey = .configFile("fal-fuzz:0123456789", file: "fuzz.toml")
            return try! FalBackend(options: o, http: http)
        }, seeds: [
            #"{"request_id":"r1","status_url":"/fal-ai/flux/requests/r1/status","response_url":"/fal-ai/flux/requests/r1","cancel_url":"/fal-ai/flux/requests/r1/cancel"}"#,
            #"{"status":"IN_QUEUE","queue_position":0}"#,
            #"{"status":"IN_PROGRESS","logs":[{"message":"step 3/20","timestamp":"2026-01-01T00:00:00Z"}]}"#,
            #"{"status":"COMPLETED"}"#,
            #"{"images":[{"url":"http://127.0.0.1:1/a.png","content_type":"image/png","width":64,"height":64}],"seed":1}"#,
            #"{"detail":"Unauthorized"}"#,
        ]),
    ]
}
