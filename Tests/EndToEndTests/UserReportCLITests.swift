import Foundation
import Testing

/// A loopback TCP port that stays taken (listening) until `close`.
private func takenPort() throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    try #require(bound)
    return (fd, UInt16(bigEndian: addr.sin_port))
}

/// The defects a first-time user reported, reproduced with the built binary as they ran it.
@Suite("A new user's reports, run as they ran them")
struct UserReportCLITests {
    @Test func serveOnAPortInUseFailsAtOnceNamingIt() async throws {
        let (fd, port) = try takenPort()
        defer { close(fd) }
        // `timeout`: without the fix the server never returns.
        let r = await Harness.runAsync(["timeout", "20", Harness.binary, "serve", "--port", "\(port)", "--quiet"])
        #expect(r.status == 1, "\(r.out)")
        #expect(r.out.contains("port \(port) on 127.0.0.1 is in use"), "\(r.out)")
    }

    @Test func showSaysFolderAndNotARegularFile() async {
        let folder = await Harness.runAsync([Harness.binary, "show", NSTemporaryDirectory()])
        #expect(folder.status == 1 && folder.out.contains("is a folder"), "\(folder.out)")
        let device = await Harness.runAsync(["timeout", "20", Harness.binary, "show", "/dev/zero"])
        #expect(device.status == 1 && device.out.contains("not a regular file"), "\(device.out)")
    }

    @Test func aNegativeHistoryLimitNamesTheValidRange() async {
        let r = await Harness.runAsync([Harness.binary, "history", "--limit", "-1", "--state-dir", Harness.tempDir("limit")])
        #expect(r.status == 64 && r.out.contains("--limit must be 0 (all) or more"), "\(r.out)")
    }

    @Test func anEmptyGalleryIsRefusedAndAnUnknownBackendIsAUsageError() async throws {
        let state = Harness.tempDir("usage-state")
        let empty = await Harness.runAsync([Harness.binary, "generate", "a bay", "--gallery", ""], env: ["XDG_STATE_HOME": state])
        #expect(empty.status == 64 && empty.out.contains("--gallery is empty"), "\(empty.out)")
        let unknown = await Harness.runAsync([Harness.binary, "generate", "a bay", "--backend", "nope", "--json",
                                              "--gallery", Harness.tempDir("usage-gallery")],
                                             env: ["XDG_STATE_HOME": state, "XDG_CONFIG_HOME": Harness.tempDir("usage-config")])
        #expect(unknown.status == 64, "\(unknown.out)")
        let line = try #require(unknown.out.split(separator: "\n").first { $0.hasPrefix("{") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["error"] as? [String: Any])?["category"] as? String == "usage", "\(line)")
    }

    @Test func aTildeInTheConfigAndInAQuotedGalleryUsesHOME() async throws {
        let home = Harness.tempDir("home")
        let config = Harness.tempDir("tilde-config")
        try FileManager.default.createDirectory(atPath: config + "/easel", withIntermediateDirectories: true)
        try "[gallery]\ndir = \"~/pics\"\n".write(toFile: config + "/easel/config.toml", atomically: true, encoding: .utf8)
        let env = ["HOME": home, "XDG_CONFIG_HOME": config, "XDG_STATE_HOME": Harness.tempDir("tilde-state")]
        let fromConfig = await Harness.runAsync([Harness.binary, "generate", "a quiet bay", "--latency", "0.2", "--poll-interval", "0.2"], env: env)
        #expect(fromConfig.status == 0, "\(fromConfig.out)")
        #expect(Harness.pngs(in: home + "/pics").count == 1, "\(fromConfig.out)")
        let quoted = await Harness.runAsync([Harness.binary, "generate", "a quiet bay", "--gallery", "~/quoted", "--latency", "0.2",
                                             "--poll-interval", "0.2"], env: env)
        #expect(quoted.status == 0, "\(quoted.out)")
        #expect(Harness.pngs(in: home + "/quoted").count == 1, "\(quoted.out)")
    }

    @Test func themesAreFoundThroughASymlinkOnPATHAndABrokenOneSaysNotUTF8() async throws {
        let bin = Harness.tempDir("symlink-bin")
        try FileManager.default.createSymbolicLink(atPath: bin + "/easel", withDestinationPath: Harness.binary)
        let config = Harness.tempDir("themes-config")
        try FileManager.default.createDirectory(atPath: config + "/easel/themes", withIntermediateDirectories: true)
        try Data([0xFF, 0xFE, 0x00, 0x5B]).write(to: URL(fileURLWithPath: config + "/easel/themes/broken.toml"))
        let r = await Harness.runAsync(["/bin/sh", "-c", "cd / && PATH='\(bin)':/usr/bin:/bin exec easel themes"],
                                       env: ["XDG_CONFIG_HOME": config, "NO_COLOR": "1"])
        #expect(r.out.contains("\nnord\n") || r.out.hasPrefix("nord\n") || r.out.contains("default\n"), "\(r.out)")
        #expect(r.out.contains("broken: theme \"broken\": \(config)/easel/themes/broken.toml is not UTF-8 text"), "\(r.out)")
        #expect(r.status == 1)
    }
}
