import EaselProcess
import Foundation

/// A private PostgreSQL cluster for one test or bench part: `initdb` in a temporary folder (trust auth, superuser `easel`),
/// `pg_ctl start` on a free loopback port with its socket in that folder, `pg_ctl stop -m immediate` and the
/// folder removed at the end. Never a system service. As root (CI), the server runs as Debian's `postgres`
/// user through `runuser`, since `initdb` refuses root.
public struct PrivatePostgres: Sendable {
    public let dir: URL
    public let port: Int

    /// Debian's binaries (`postgresql-15`), else `PATH`.
    public static func binary(_ name: String) -> String? {
        let candidates = ["/usr/lib/postgresql/15/bin/\(name)"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    /// Runs `body` with a started cluster, stopping it afterwards whatever happens.
    /// - Throws: `Failure` (recorded as the test's failure) when `initdb` is missing or the cluster does not start.
    public static func with<T>(_ body: (PrivatePostgres) async throws -> T) async throws -> T {
        guard binary("initdb") != nil, binary("pg_ctl") != nil else {
            throw Failure(description: "initdb/pg_ctl not found (neither /usr/lib/postgresql/15/bin nor PATH): install Debian's postgresql (make test does)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("easel-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cluster = PrivatePostgres(dir: dir, port: try freePort())
        defer { try? FileManager.default.removeItem(at: dir) }
        try cluster.start()
        do {
            let result = try await body(cluster)
            cluster.stop()
            return result
        } catch {
            cluster.stop()
            throw error
        }
    }

    /// `postgres://easel@127.0.0.1:PORT/DB`.
    public func url(_ database: String = "postgres") -> String { "postgres://easel@127.0.0.1:\(port)/\(database)" }

    /// Creates database `name` (owned by `easel`).
    public func createDatabase(_ name: String) throws {
        guard let createdb = Self.binary("createdb") else { throw Failure(description: "createdb not found") }
        try run(createdb, ["-h", "127.0.0.1", "-p", String(port), "-U", "easel", name])
    }

    private var data: String { dir.appendingPathComponent("data").path }

    private func start() throws {
        if getuid() == 0 { _ = try run("/bin/chown", ["postgres", dir.path]) }
        try run(Self.binary("initdb")!, ["-D", data, "--auth=trust", "-U", "easel", "-E", "UTF8", "--no-sync"], asServer: true)
        try run(Self.binary("pg_ctl")!, ["-D", data, "-l", dir.appendingPathComponent("log").path, "-w", "-t", "60", "-o",
                                         "-p \(port) -k \(dir.path) -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                asServer: true)
    }

    public func stop() {
        _ = try? run(Self.binary("pg_ctl")!, ["-D", data, "-m", "immediate", "-w", "stop"], asServer: true)
    }

    /// Runs a command to its end (`ChildProcess` and waitpid: Foundation's `Process` never saw `pg_ctl
    /// start` end here, with the server it leaves running); as root with `asServer`, as the `postgres` user.
    @discardableResult
    private func run(_ path: String, _ args: [String], asServer: Bool = false) throws -> String {
        let argv = asServer && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + args : [path] + args
        let outPath = dir.appendingPathComponent("command-\(UUID().uuidString.prefix(8)).out").path
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        // No descriptor of the test process goes along: with ~1,000 sockets inherited, PostgreSQL refused
        // to start ("insufficient file descriptors available to start server process").
        let pid: pid_t
        switch ChildProcess.spawn(argv, stdout: .file(outPath), stderr: .descriptor(1)) {
        case .success(let started): pid = started
        case .failure(let error): throw Failure(description: "could not start \(argv[0]): \(error)")
        }
        let status = ChildProcess.wait(pid)
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let log = (try? String(contentsOf: dir.appendingPathComponent("log"), encoding: .utf8)) ?? ""
            throw Failure(description: "\(argv.joined(separator: " ")) exited with status \(status): \(text)\n\(log)")
        }
        return text
    }

    /// A loopback port nobody listens on now (bound to 0 and released).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw Failure(description: "no free loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
