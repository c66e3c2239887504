import Foundation
import Testing
@testable import SongEngine

/// Issue 9, findings 2 and 12b: the song's length (lyrics included) and the text limits are enforced by
/// `ChromasongEngine.validate`, before any work (the server calls it at submission, the CLI before rendering).
@Suite struct BoundsTests {
    static let engine = TestSupport.engine

    /// About `characters` characters of ordinary lyrics, in verses and choruses of four lines.
    static func lyrics(characters: Int) -> String {
        let lines = ["the light is falling on the river", "and the yellow flowers turn to the sun",
                     "I walk along the water all day long", "till the evening brings the colours home"]
        var text = ""
        var section = 0
        while text.count < characters - 80 {
            text += section % 2 == 0 ? "[Verse]\n" : "[Chorus]\n"
            for line in lines where text.count + line.count + 1 <= characters { text += line + "\n" }
            section += 1
        }
        return text
    }

    static func request(lyrics: String, bpm: Int = 0, prompt: String = "", instrumental: Bool = false) -> SongRequest {
        SongRequest(image: .file("unused.jpg"), prompt: prompt, lyrics: lyrics, makeInstrumental: instrumental, bpm: bpm)
    }

    /// The issue's request: 3000 characters at bpm 40 made a 1,156 s song per version. Now a 422 naming lyrics.
    @Test func longLyricsAtASlowTempoAreRefusedNamingLyrics() throws {
        let text = Self.lyrics(characters: 3000)
        #expect(text.count <= SongRequest.maxLyricsLength)
        let request = Self.request(lyrics: text, bpm: 40)
        do {
            try Self.engine.validate(request)
            Issue.record("3000 characters of lyrics at 40 bpm passed validation")
        } catch {
            #expect(error.field == "lyrics")
            #expect(error.kind == .invalid)
            #expect(error.message.contains("600 s"), "\(error.message)")
            #expect(error.message.contains("40 bpm"), "\(error.message)")
        }
        let length = try #require(Self.engine.lyricsLength(request))
        #expect(length.seconds > 1000, "\(length)")
    }

    /// With the tempo left to the engine the bound assumes the slowest tempo the automatic choice can take, so a
    /// request that passes can never turn into a long song whatever the image.
    @Test func automaticTempoAssumesTheSlowestItMayTake() throws {
        let request = Self.request(lyrics: Self.lyrics(characters: 3000))
        #expect(throws: RequestError.self) { try Self.engine.validate(request) }
        let length = try #require(Self.engine.lyricsLength(request))
        #expect(length.tempoIsAutomatic)
        let slowest = Self.engine.styles.styles.map(\.tempoMin).min()!
        #expect(length.bpm < slowest)
        // "slow" in the prompt lowers the automatic tempo further; "96 bpm" in it fixes the tempo.
        let slow = try #require(Self.engine.lyricsLength(Self.request(lyrics: "[Verse]\nla la la\n", prompt: "slow song")))
        #expect(slow.bpm < length.bpm)
        let fixed = try #require(Self.engine.lyricsLength(Self.request(lyrics: "[Verse]\nla la la\n", prompt: "96 bpm")))
        #expect(fixed.bpm == 96 && !fixed.tempoIsAutomatic)
    }

    /// Empty tags are instrumental sections of the style's length: hundreds of them are a long song too.
    @Test func emptyTagsCountAsInstrumentalSections() throws {
        let text = "[Verse]\nthe light is falling\n" + String(repeating: "[Solo]\n", count: 400)
        #expect(text.count <= SongRequest.maxLyricsLength)
        #expect(throws: RequestError.self) { try Self.engine.validate(Self.request(lyrics: text, bpm: 120)) }
    }

    /// Ordinary lyrics pass; an instrumental request ignores its lyrics; the refusal suggests a tempo that fits.
    @Test func wordsThatFitPassAndTheMessageSuggestsATempo() throws {
        let song = Self.lyrics(characters: 800)
        try Self.engine.validate(Self.request(lyrics: song, bpm: 90))
        try Self.engine.validate(Self.request(lyrics: song))
        try Self.engine.validate(Self.request(lyrics: Self.lyrics(characters: 3000), bpm: 40, instrumental: true))
        let medium = Self.lyrics(characters: 1800)
        let refused = Self.request(lyrics: medium, bpm: 40)
        let length = try #require(Self.engine.lyricsLength(refused))
        let faster = try #require(length.fittingBpm)
        #expect(faster > 40)
        do {
            try Self.engine.validate(refused)
            Issue.record("1800 characters at 40 bpm passed")
        } catch {
            #expect(error.field == "lyrics" && error.message.contains("\(faster) bpm"), "\(error.message)")
        }
        try Self.engine.validate(Self.request(lyrics: medium, bpm: faster))
    }

    /// The bound is never below the song the planner really makes (same parser, pronouncer and form fitting).
    @Test func theBoundCoversThePlannedForm() throws {
        let features = ImageAnalyzer.analyze(TestImages.textured(base: (0.45, 0.55, 0.35), amplitude: 0.12, seed: 3))
        for (characters, bpm) in [(600, 0), (1500, 0), (1500, 70), (2500, 150)] {
            let request = Self.request(lyrics: Self.lyrics(characters: characters), bpm: bpm)
            let bound = try #require(Self.engine.lyricsLength(request))
            var steering = Steering(prompt: "", negativeTags: "", key: nil, bpm: bpm == 0 ? nil : bpm, duration: nil)
            steering.vocals = true
            steering.lyrics = request.lyrics
            let plan = try Planner.plan(features: features, steering: steering, styles: Self.engine.styles, seed: 7)
            let seconds = Double(plan.form.reduce(0) { $0 + $1.bars }) * 240 / Double(plan.bpm)
            #expect(seconds <= bound.seconds + 1e-9, "\(characters) characters at \(bpm): plan \(seconds) s > bound \(bound)")
            #expect(plan.bpm >= bound.bpm)
        }
    }

    /// Finding 12b: one character carrying 10,000 combining marks is 10,001 Unicode scalars, not 1 character.
    @Test(arguments: ["prompt", "lyrics", "negative_tags"])
    func combiningMarksCountAsScalars(_ field: String) throws {
        let zalgo = "a" + String(repeating: "\u{0301}", count: 10_000)
        #expect(zalgo.count == 1)
        var request = SongRequest(image: .file("unused.jpg"))
        switch field {
        case "prompt": request.prompt = zalgo
        case "lyrics": request.lyrics = zalgo
        default: request.negativeTags = zalgo
        }
        do {
            try Self.engine.validate(request)
            Issue.record("\(field) of one grapheme with 10,000 combining marks passed")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.message.contains("Unicode scalars"), "\(error.message)")
        }
    }

    /// The byte cap is checked before anything scans the value, and every text field has a limit.
    @Test func byteCapAndEveryTextFieldBounded() throws {
        var request = SongRequest(image: .file("unused.jpg"))
        request.prompt = String(repeating: "a", count: 100_000)
        #expect(throws: RequestError(field: "prompt", message: "must be at most 300 characters (Unicode scalars) and 1200 "
                                        + "bytes of UTF-8, got 100000 bytes")) { try Self.engine.validate(request) }
        // At the limit in scalars, with 4-byte scalars: accepted.
        request.prompt = String(repeating: "\u{1F3B5}", count: 300)
        try Self.engine.validate(request)
        for (field, value) in [("key", String(repeating: "C", count: 41)), ("voice_id", String(repeating: "v", count: 65)),
                               ("image_url", "https://example.com/" + String(repeating: "x", count: 2100))] {
            var r = SongRequest(image: field == "image_url" ? .url(value) : .file("unused.jpg"))
            if field == "key" { r.key = value }
            if field == "voice_id" { r.voiceId = value }
            #expect(throws: RequestError.self) { try Self.engine.validate(r) }
            do { try Self.engine.validate(r) } catch {
                #expect(error.field == field && error.message.contains("Unicode scalars"), "\(error)")
            }
        }
    }
}
