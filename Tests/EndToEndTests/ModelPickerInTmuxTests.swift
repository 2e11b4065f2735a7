import FakeServices
import Foundation
import Testing

@Suite("The model picker in the studio", .serialized)
struct ModelPickerInTmuxTests {
    /// F5 lists the ComfyUI fake's checkpoints, typing narrows them, Enter picks one: the parameters line
    /// shows it, the next job's graph loads it, and the next run of the studio starts with it.
    @Test func f5PicksACheckpointThatTheNextJobLoadsAndTheNextRunRemembers() async throws {
        try #require(Harness.which("tmux"), "tmux is not installed (make test installs it)")
        let fake = FakeComfyUI()
        try await fake.start()
        await fake.setCheckpoints(["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors"])
        try await withTeardown({ await fake.stop() }) {
            let dir = Harness.tempDir("comfy-picker")
            let config = dir + "/config.toml"
            try """
            [backends.gpu]
            kind = "comfyui"
            url = "\(await fake.baseURL)"
            poll_interval = 0.2
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let command = "env TERM=tmux-256color \(Harness.binary) --config \(config) --backend gpu --gallery \(dir)/g --graphics blocks --probe-timeout 0.2 --steps 2"
            let tmux = Tmux()
            defer { tmux.kill() }
            #expect(tmux.start(command + "; sleep 30"))
            #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("comfyui") }, "\(tmux.capture())")
            tmux.keys("F5")
            // Loose bounds: the fake answers from this test process, whose cooperative threads the parallel
            // end-to-end tier keeps busy (a listing took over 10 s in 1 of 5 clean-clone runs at load 6).
            #expect(await Harness.waitUntil(.seconds(40)) { tmux.capture().contains("sd_xl_refiner_1.0.safetensors") }, "\(tmux.capture())")
            #expect(tmux.capture().contains("Model for gpu"), "\(tmux.capture())")
            tmux.literal("xl_base")
            #expect(await Harness.waitUntil(.seconds(15)) { !tmux.capture().contains("sd_xl_refiner") }, "\(tmux.capture())")
            tmux.keys("Enter")
            #expect(await Harness.waitUntil(.seconds(15)) { tmux.capture().contains("model: sd_xl_base_1.0.safet") }, "\(tmux.capture())")
            tmux.literal("a harbour at dawn")
            tmux.keys("Enter")
            #expect(await Harness.waitUntil(.seconds(60)) { tmux.capture().contains("Saved ") }, "\(tmux.capture())")
            let sent = await fake.log.filter { $0.path == "/prompt" }.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(sent.count == 1 && sent[0].contains(#""ckpt_name":"sd_xl_base_1.0.safetensors""#), "\(sent)")
            tmux.keys("C-c")
            #expect(await Harness.waitUntil(.seconds(10)) { !tmux.capture().contains("model: sd_xl") }, "\(tmux.capture())")

            // The next run, with the same journal folder, starts with the pick.
            let again = Tmux(stateHome: tmux.stateHome)
            defer { again.kill() }
            #expect(again.start(command + "; sleep 30"))
            #expect(await Harness.waitUntil(.seconds(20)) { again.capture().contains("model: sd_xl_base_1.0.safet") }, "\(again.capture())")
            again.keys("C-c")
        }
    }
}
