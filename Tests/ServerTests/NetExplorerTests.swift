import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ChromasongServer

@Suite("Endpoint Explorer page")
struct NetExplorerTests {
    func app() -> some ApplicationProtocol {
        let router = Router()
        explorerRoutes(router: router)
        return Application(router: router)
    }

    @Test func servesTheExplorerAtRoot() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("connect-src 'self'") == true)
                let html = String(buffer: response.body)
                #expect(html.hasPrefix("<!doctype html>"))
                #expect(html.contains("Endpoint Explorer"))
            }
        }
    }

    /// Every request parameter of contract §1 (and the extensions) has its own input, named as the API names it.
    @Test func everyParameterHasAnInput() {
        let html = explorerHTML
        let fields = ["image_file", "image_url", "prompt", "lyrics", "negative_tags", "make_instrumental", "vocal_only",
                      "key", "bpm", "webhook_url", "voice_id", "seed", "duration", "versions"]
        for field in fields {
            #expect(html.contains("id=\"\(field)\" name=\"\(field)\""), "missing input for \(field)")
            #expect(html.contains("data-for=\"\(field)\""), "no error slot for \(field)")
        }
        for format in ["mp3", "wav", "flac", "ogg"] { #expect(html.contains("value=\"\(format)\"")) }
        // The page uses the API as a client does.
        for call in ["/image_to_song", "/byId?conversionType=IMAGE_TO_SONG&task_id=", "/getAllVoices?limit=100"] {
            #expect(html.contains(call), "\(call)")
        }
        // Both versions, the cover, and timed lyrics.
        for needle in ["conversion_path_${n}", "lyrics_timestamped_${n}", "album_cover_path", "createElement(\"audio\")", "timeupdate"] {
            #expect(html.contains(needle), "\(needle)")
        }
    }

    /// Element ids are unique (a duplicate once put the result cards inside the `versions` input).
    @Test func elementIdsAreUnique() {
        let ids = explorerHTML.split(separator: "id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(ids.count > 30)
        #expect(Set(ids).count == ids.count, "duplicates: \(Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys)")
    }

    @Test func pageNeedsNothingFromOutside() {
        // No external script, style or font: the server works offline.
        #expect(!explorerHTML.contains("<script src="))
        #expect(!explorerHTML.contains("<link rel=\"stylesheet\""))
        #expect(!explorerHTML.contains("src=\"http"))
        #expect(!explorerHTML.contains("@import"))
    }
}
