import EaselHTTP
import EaselServer
import Foundation
import Testing

@Suite("The reference server names the wrong field of a generate body")
struct ReferenceServerBodyTests {
    private func post(_ body: String) async throws -> (Int, String) {
        try await withServer { server, _ in
            let r = try await HTTPClient().send(.postJSON(await server.baseURL + "/api/generate", Array(body.utf8)))
            let object = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
            return (r.status, object?["error"] as? String ?? "")
        }
    }

    @Test func aNegativeSeedIsNamed() async throws {
        let (status, error) = try await post(#"{"prompt":"a bay","seed":-1}"#)
        #expect(status == 400 && error == "seed must be an integer in 0...4294967295", "\(error)")
    }

    @Test func aBodyThatIsNotAnObjectIsStillABadBody() async throws {
        let (_, array) = try await post("[1]")
        #expect(array == "body must be a JSON object")
    }
}
