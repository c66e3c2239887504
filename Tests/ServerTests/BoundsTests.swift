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
        #expect(try await F.rowCount(config) == 0, "a rejected request leaves no task row")
    }

    /// The eta of a song whose lyrics make it long counts its length, not the 180 s default.
    @Test func etaCountsTheLyricsLength() async throws {
        let lyrics = "[Verse]\n" + String(repeating: "the light is falling on the river\n", count: 56)
        let length = try #require(try ChromasongEngine().lyricsLength(
            SongRequest(image: .bytes(Data()), lyrics: lyrics, bpm: 60)))
        #expect(length.seconds > 400 && length.seconds <= 600, "\(length)")
        var etas: [Int] = []
        for fields in [[("bpm", "60"), ("versions", "1")], [("lyrics", lyrics), ("bpm", "60"), ("versions", "1")]] {
            let app = try await buildApplication(configuration: F.configuration("eta"), logger: F.quietLogger)
            let eta = try await app.test(.router) { client in
                try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                         body: F.multipart(fields, image: F.photoBytes)) { r in
                    #expect(r.status == .ok || r.status == .accepted, "\(F.json(r.body))")
                    return F.json(r.body)["eta"] as? Int ?? -1
                }
            }
            etas.append(eta)
        }
        // Same speed guess for both: the eta scales with the seconds of audio.
        #expect(etas.count == 2 && Double(etas[1]) >= Double(etas[0]) * length.seconds / 180 * 0.95, "\(etas)")
    }

    /// The server's own text fields use the same rule: webhook_url (2048) and the voice search's query (100), in
    /// Unicode scalars.
    @Test func serverTextFieldsCountScalars() async throws {
        let config = F.configuration("bounds-text")
        let app = try await buildApplication(configuration: config, logger: F.quietLogger)
        let longHook = "https://example.com/" + String(repeating: "h", count: 2100)
        let query = ("a" + String(repeating: "\u{0301}", count: 200)).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/public/v1/image_to_song", method: .post, headers: F.multipartHeaders,
                                     body: F.multipart([("webhook_url", longHook)], image: F.photoBytes)) { r in
                #expect(r.status == .unprocessableContent)
                let detail = F.json(r.body)["detail"] as? [[String: String]] ?? []
                #expect(detail.first?["field"] == "webhook_url", "\(F.json(r.body))")
            }
            try await client.execute(uri: "/api/public/v1/searchVoices?query=\(query)", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                let detail = F.json(r.body)["detail"] as? [[String: String]] ?? []
                #expect(detail.first?["field"] == "query", "\(F.json(r.body))")
            }
        }
        #expect(try await F.rowCount(config) == 0)
    }
}
