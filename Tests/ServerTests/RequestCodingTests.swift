import Foundation
import Testing
@testable import ChromasongServer
@testable import SongEngine

/// Issue 10: one request type for the CLI, the library, the server and the task store. `TaskRequest` wraps the
/// engine's `SongRequest` instead of copying its fields, and stores it exactly as the copy did.
@Suite struct RequestCodingTests {
    static let full = SongRequest(image: .url("https://example.org/a.jpg"), prompt: "slow jazz", lyrics: "la la",
                                  negativeTags: "drums", makeInstrumental: false, vocalOnly: false, key: "c#m",
                                  bpm: 96, voiceId: "bruno", seed: 7, duration: 42.5, versions: 3,
                                  formats: [.flac, .mp3])

    @Test func aSongRequestRoundTrips() throws {
        for image in [ImageSource.file("/x/y.png"), .url("https://e.org/p.webp"), .bytes(Data([0, 1, 2, 255]))] {
            var request = Self.full
            request.image = image
            let decoded = try JSONDecoder().decode(SongRequest.self, from: JSONEncoder().encode(request))
            #expect(decoded == request)
        }
    }

    /// A row written by the version that copied the fields field by field (its JSON, verbatim) still decodes.
    @Test func aStoredRowFromBeforeStillDecodes() throws {
        let old = #"{"prompt":"slow jazz","lyrics":"la la","negativeTags":"drums","makeInstrumental":false,"#
            + #""vocalOnly":false,"key":"c#m","bpm":96,"voiceId":"bruno","seed":7,"duration":42.5,"versions":3,"#
            + #""formats":["flac","mp3"],"imageURL":"https://example.org/a.jpg","webhookURL":"http://hooks.test/x"}"#
        let task = try JSONDecoder().decode(TaskRequest.self, from: Data(old.utf8))
        var expected = Self.full
        expected.image = .file("/data/uploads/t.jpg")
        #expect(task.songRequest(imagePath: "/data/uploads/t.jpg") == expected)
        #expect(task.imageURL == "https://example.org/a.jpg" && task.webhookURL == "http://hooks.test/x")
        #expect(task.versions == 3 && task.formats == [.flac, .mp3])
    }

    /// The stored form has the same keys and values as before, and never the image bytes (they are a file of
    /// their own): so an Idempotency-Key's fingerprint of a request is what it was.
    @Test func theStoredFormIsTheOldOneWithoutTheImage() throws {
        var request = Self.full
        request.image = .bytes(Data(repeating: 9, count: 1000))
        let task = TaskRequest(request, imageURL: nil, webhookURL: "http://hooks.test/x")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(task)) as? [String: Any])
        #expect(Set(object.keys) == ["prompt", "lyrics", "negativeTags", "makeInstrumental", "vocalOnly", "key", "bpm",
                                     "voiceId", "seed", "duration", "versions", "formats", "webhookURL"])
        #expect(object["formats"] as? [String] == ["flac", "mp3"])
        let again = try JSONDecoder().decode(TaskRequest.self, from: JSONEncoder().encode(task))
        #expect(again == task)
    }
}
