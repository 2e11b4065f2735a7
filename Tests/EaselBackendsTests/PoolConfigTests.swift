import EaselApp
import EaselBackends
import EaselCore
import Testing

/// `[backends.NAME] kind = "pool"` tables: members and strategy, errors naming file, line and key.
@Suite("Pool tables in the config file")
struct PoolConfigTests {
    @Test func aGivenDeadlineAlsoEndsA429WaitInTheStudioAndTheDefaultDoesNot() {
        #expect(PollPolicy.resolved(interval: nil, deadline: 30, backend: nil).refusalDeadline == .seconds(30))
        var gpu = BackendOptions(name: "gpu", kind: .a1111)
        gpu.deadline = 45
        #expect(PollPolicy.resolved(interval: nil, deadline: nil, backend: gpu).refusalDeadline == .seconds(45))
        #expect(PollPolicy.resolved(interval: nil, deadline: nil, backend: nil).refusalDeadline == nil)
        // The studio's reducer with `--deadline 30`: a job refused with Retry-After 20 s fails at its second 429.
        let start = ContinuousClock.now
        var s = AppState(backendName: "d", pollPolicy: .resolved(interval: nil, deadline: 30, backend: nil), now: start)
        s.editor.prompt = PromptEditor("harbour")
        #expect(reduce(&s, .key(.enter)).count == 1)
        _ = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(20)), during: .submit))
        _ = reduce(&s, .tick(start + .seconds(20), wallTime: 20))
        #expect(s.jobs.first?.state == .submitting)
        _ = reduce(&s, .failed(JobID(1), .rateLimited(retryAfter: .seconds(20)), during: .submit))
        #expect(s.jobs.first?.state == .failed(.rateLimited(retryAfter: .seconds(20))), "still retrying past --deadline")
    }

    @Test func aPoolNamesItsMembersAndStrategy() throws {
        let c = try Config.parse("""
        default_backend = "gpus"
        [backends.gpu1]
        kind = "comfyui"
        url = "http://127.0.0.1:8188"
        [backends.gpus]
        kind = "pool"
        members = ["gpu1", "cloud"]
        strategy = "priority"
        [backends.cloud]
        kind = "replicate"
        [backends.all]
        kind = "pool"
        members = ["cloud", "gpu1", "demo"]
        """, file: "c.toml")
        #expect(c.pools == [BackendPool(name: "gpus", members: ["gpu1", "cloud"], strategy: .priority),
                            BackendPool(name: "all", members: ["cloud", "gpu1", "demo"], strategy: .leastBusy)])
        #expect(c.backends.map(\.name) == ["gpu1", "cloud"])
        #expect(c.defaultBackend == "gpus" && c.warnings.isEmpty)
    }

    @Test func badPoolsNameTheFileLineAndKey() {
        let gpu = "[backends.gpu1]\nkind = \"comfyui\"\nurl = \"http://127.0.0.1:8188\"\n"
        #expect(throws: ConfigError(message: "c.toml:6: backends.p.strategy: expected one of least-busy, round-robin, priority")) {
            try Config.parse(gpu + "[backends.p]\nkind = \"pool\"\nstrategy = \"fastest\"\nmembers = [\"gpu1\"]", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:5: backends.p.members: no [backends.gpu2] table; configured: gpu1")) {
            try Config.parse(gpu + "[backends.p]\nmembers = [\"gpu1\", \"gpu2\"]\nkind = \"pool\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:4: backends.p.members: missing; expected a list of backend names, e.g. [\"gpu1\", \"gpu2\"]")) {
            try Config.parse(gpu + "[backends.p]\nkind = \"pool\"", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:6: backends.p.members: \"gpu1\" is listed twice")) {
            try Config.parse(gpu + "[backends.p]\nkind = \"pool\"\nmembers = [\"gpu1\", \"gpu1\"]", file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:9: backends.q.members: \"p\" is a pool; members are single backends")) {
            try Config.parse(gpu + "[backends.p]\nkind = \"pool\"\nmembers = [\"gpu1\"]\n[backends.q]\nkind = \"pool\"\nmembers = [\"p\"]",
                             file: "c.toml")
        }
    }
}

extension PoolConfigTests {
    @Test func aPoolHasNoSingleBackendsTableAndTheErrorNamesItsMembers() throws {
        let c = try Config.parse("[backends.p]\nkind = \"pool\"\nmembers = [\"demo\"]", file: "c.toml")
        #expect(throws: ConfigError(message: "\"p\" is a pool of demo, not one backend's table (BackendSet.make selects pools)")) {
            try c.backend(named: "p")
        }
    }
}

extension PoolConfigTests {
    /// `demo` names the embedded demo backend: a `[backends.demo]` table would be silently shadowed by it.
    @Test func aTableNamedDemoIsAnErrorNamingFileLineAndKey() {
        let demo = "[backends.gpu1]\nkind = \"comfyui\"\nurl = \"http://127.0.0.1:8188\"\n[backends.demo]\nkind = \"jobapi\"\nurl = \"http://10.0.0.7:8787\""
        #expect(throws: ConfigError(message: "c.toml:4: backends.demo: demo is the embedded backend's name; pick another name")) {
            try Config.parse(demo, file: "c.toml")
        }
        #expect(throws: ConfigError(message: "c.toml:1: backends.demo: demo is the embedded backend's name; pick another name")) {
            try Config.parse("[backends.demo]\nkind = \"pool\"\nmembers = [\"gpu1\"]", file: "c.toml")
        }
    }
}
