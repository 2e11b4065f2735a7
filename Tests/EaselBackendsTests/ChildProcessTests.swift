import EaselProcess
import Foundation
import Testing

/// `ChildProcess`: a child gets its three standard descriptors as asked and none of the parent's others.
@Suite("Starting child processes")
struct ChildProcessTests {
    @Test func aChildInheritsNoDescriptorBeyondTheStandardThree() throws {
        // A descriptor without close-on-exec, as libcurl's and FlyingSocks' sockets are.
        let leaked = open("/dev/null", O_RDONLY)
        #expect(leaked > 2)
        defer { close(leaked) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("easel-child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let pid = try ChildProcess.spawn(["/bin/sh", "-c", "ls /proc/self/fd; test -e /proc/self/fd/\(leaked) && exit 3; exit 0"],
                                         stdout: .file(out), stderr: .descriptor(1)).get()
        #expect(ChildProcess.wait(pid) == 0, "the child saw descriptor \(leaked)")
        // ls lists 0, 1, 2 and its own directory handle; nothing of ours.
        let listed = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }.sorted()
        #expect(listed.filter { $0 > 3 }.isEmpty, "\(listed)")
        #expect(listed.prefix(3) == [0, 1, 2])
    }

    @Test func aProgramThatIsNotThereIsAnErrnoNotACrash() {
        guard case .failure(let error) = ChildProcess.spawn(["/nonexistent/easel-no-such-program"]) else {
            Issue.record("spawned a program that does not exist")
            return
        }
        #expect(error.code == ENOENT)
        #expect(error.description == "No such file or directory")
    }
}
