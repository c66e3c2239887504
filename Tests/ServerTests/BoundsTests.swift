import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Issue 9, findings 2 and 12b through the route: the engine's `validate` refuses at submission, so the client gets
/// a 422 naming the field and no task is queued.
@Suite struct BoundsRouteTests {
    typealias F = ServerFixtures

    @Test func longSongAndCombiningMarksAre422() async throws {
        let verse = "[Verse]\n" + String(repeating: "the light is falling on the river\n", count: 4)
        let lyrics = String(repeating: verse, count: 3000 / verse.count)
        let zalgo = "a" + String(repeating: "\u{0301}", count: 10_000)
        let config = F.configuration("bounds")
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        try await app.test(.router) { client in
            for (fields, field) in [([("lyrics", lyrics), ("bpm", "40")], "lyrics"), ([("prompt", zalgo)], "prompt")] {
                try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                         body: F.multipart(fields, image: F.photoBytes)) { r in
                    #expect(r.status == .unprocessableContent)
                    let detail = F.json(r.body)["detail"] as? [[String: String]] ?? []
                    #expect(detail.first?["field"] == field, "\(F.json(r.body))")
                }
            }
        }
        #expect(try F.rowCount(config) == 0, "a rejected request leaves no task row")
    }
}
