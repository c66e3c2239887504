import Foundation
import Testing

@testable import SongEngine

/// Issue 12: the scene reader, the lyric stage that writes about the scene and the prompt's topic, and the sound
/// that follows the scene. The figures on real photos (per-tag precision and recall, the description pick) are
/// measured by Benchmarks/picture_check.py; these tests pin the rules' behaviour on pictures whose content is known
/// by construction.
@Suite struct SceneTests {
    /// A deterministic texture: 0...1 per pixel.
    static func noise(_ x: Int, _ y: Int) -> Double {
        var h = UInt64(x &* 73_856_093 ^ y &* 19_349_663)
        h = (h ^ (h >> 13)) &* 0x5bd1_e995
        return Double(h % 1000) / 1000
    }

    static func things(_ image: RGBAImage) -> Scene { ImageAnalyzer.read(image).scene }

    @Test func skyOverGrassIsSkyAboveAndGrassBelow() {
        let image = TestImages.make(width: 240, height: 160) { x, y in
            if y < 70 { return (110, 160, 225) }  // smooth blue
            let n = Self.noise(x, y)
            return (UInt8(40 + 40 * n), UInt8(110 + 70 * n), UInt8(30 + 20 * n))  // textured green
        }
        let scene = Self.things(image)
        let sky = scene.thing("sky"), grass = scene.thing("grass")
        #expect(sky?.location == "above" && sky?.colour == "blue", "\(scene.things)")
        #expect(grass?.location == "below", "\(scene.things)")
        #expect(!scene.has("night") && !scene.has("buildings") && !scene.has("snow"))
        for t in scene.things {
            #expect(Scene.vocabulary.contains(t.tag) && t.confidence >= Scene.foundConfidence && t.confidence <= 1)
            #expect(!t.evidence.isEmpty)
        }
    }

    @Test func aFlatPictureShowsNothing() {
        for (r, g, b) in [(128, 128, 128), (30, 60, 200), (250, 250, 250)] as [(UInt8, UInt8, UInt8)] {
            let scene = Self.things(TestImages.flat(r, g, b, width: 200, height: 150))
            #expect(!scene.has("sky") && !scene.has("grass") && !scene.has("buildings"), "\(scene.things)")
        }
    }

    @Test func darkWithSmallPointsIsANightWithStars() {
        let image = TestImages.make(width: 240, height: 160) { x, y in
            if x % 17 == 5 && y % 13 == 4 && y < 100 { return (250, 250, 245) }
            return (8, 10, 28)
        }
        let scene = Self.things(image)
        #expect(scene.has("night") && scene.has("stars"), "\(scene.things)")
        #expect(!scene.has("sky"))
    }

    @Test func levelLinedBlueUnderASkyIsWater() {
        let image = TestImages.make(width: 240, height: 160) { _, y in
            if y < 60 { return (150, 190, 235) }
            // Water: blue with level ripples (horizontal lines).
            return y % 6 < 3 ? (40, 90, 150) : (55, 110, 170)
        }
        let scene = Self.things(image)
        #expect(scene.has("sky") && scene.has("water"), "\(scene.things)")
        #expect(scene.has("sea") != scene.has("lake"), "one reading of the water, not both")
    }

    /// Narrow, tiny and one-colour pictures: no crash, every confidence a number in 0.5...1 (the manifest is JSON).
    @Test func oddShapesReadSafely() throws {
        for (w, h) in [(8, 300), (300, 8), (9, 9), (1, 1), (2, 500), (4000, 3)] {
            let image = TestImages.make(width: w, height: h) { x, y in
                (UInt8((x * 37) % 256), UInt8((y * 11) % 256), UInt8(((x + y) * 5) % 256))
            }
            let scene = Self.things(image)
            for t in scene.things { #expect(t.confidence.isFinite && t.confidence >= 0.5 && t.confidence <= 1) }
            _ = try JSONEncoder().encode(scene)
        }
    }

    @Test func sameImageSameScene() throws {
        let data = try Data(contentsOf: TestSupport.example)
        let image = try ImageLoader.decode(data)
        #expect(Self.things(image) == Self.things(image))
        // The bundled flower: flowers, at the centre, with a colour.
        let flowers = Self.things(image).thing("flowers")
        #expect(flowers != nil && flowers?.colour != nil)
    }

    // MARK: - The prompt's topic

    @Test func aTopicPromptBecomesTheHookAndTheTitle() {
        let t = LyricTopic(prompt: "a song about sailing home across the sea to my family", pronouncer: Speech.shared)
        #expect(t.phrase == "sailing home across the sea to my family")
        #expect(t.title == "Sailing Home across the Sea")
        #expect(t.hookLines.first == "Sailing home across the sea")
        for line in t.hookLines { #expect(Speech.shared.pronounce(line: line).syllableCount <= 11, "\(line)") }
        // Two clauses: the second is needed for two topic words; each clause starts its own line.
        let w = LyricTopic(prompt: "our wedding day, dancing with my wife under the lights", pronouncer: Speech.shared)
        #expect(w.hookLines.count >= 2 && w.hookLines[1].hasPrefix("Dancing"), "\(w.hookLines)")
    }

    /// Found by the topic fuzz target: a first word over 9 syllables left no room to step back to a break word.
    @Test func aVeryLongWordDoesNotBreakTheHook() {
        let t = LyricTopic(prompt: "supercalifragilisticexpialidocious kitchen dance traack", pronouncer: Speech.shared)
        #expect(t.hookLines.first?.lowercased().contains("supercalifragilisticexpialidocious") == true)
    }

    /// The voice asked for is not what the song is about: "female vocals" once gave "Oh, female, oh".
    @Test func voiceWordsAreNotTheTopic() {
        let t = LyricTopic(prompt: "a song about sailing home, female vocals", pronouncer: Speech.shared)
        #expect(t.phrase == "sailing home", "\(t.phrase ?? "")")
        #expect(t.hookLines.allSatisfy { !$0.lowercased().contains("female") }, "\(t.hookLines)")
    }

    /// A clause that directs the singer is not sung: "a song about my dog, sung by a man" once gave the hook
    /// "Oh, sung by a man, oh"; "deep male voice" gave "Oh, deep, oh". A topic about a voice stays a topic.
    @Test(arguments: [
        ("a song about my dog, sung by a man", "my dog"),
        ("a song about my dog sung by a man", "my dog"),
        ("a love song for my wife, deep male voice", "my wife"),
        ("song about the first day of school, children's choir", "first day of school"),
        ("female vocals, a song about sailing home", "sailing home"),
        ("a song about the voice of the sea", "voice of the sea"),
    ])
    func singerDirectionsAreNotTheTopic(prompt: String, phrase: String) {
        let t = LyricTopic(prompt: prompt, pronouncer: Speech.shared)
        #expect(t.phrase == phrase, "\(prompt): \(t.phrase ?? "nil")")
        let sung = t.hookLines.joined(separator: " ").lowercased()
        for w in ["sung", "deep", "choir", "vocals", " man"] where !phrase.contains(w.trimmingCharacters(in: .whitespaces)) {
            #expect(!sung.contains(w), "\(prompt): \(t.hookLines)")
        }
    }

    /// A prompt word keeps the prompt's own "my" ("Dreaming of my sister", not "of the sister"); "home" takes no article.
    @Test func promptWordsKeepTheirDeterminer() {
        let prompt = "missing my little sister, my dog's ball and home, the old harbour"
        let images = LyricTopic.promptImages(prompt)
        let d = LyricTopic.promptDeterminers(prompt, images: images)
        #expect(d["sister"] == "my" && d["dog"] == "my" && d["ball"] == nil && d["home"] == "" && d["harbour"] == nil,
                "\(d)")
    }

    /// Nor are they sung as the verses' images: "sung by a man" gave "Dreaming of the man and the cave".
    @Test func singerDirectionsAreNotImages() {
        #expect(LyricTopic.promptImages("a song about my dog, sung by a man") == ["dog"])
        #expect(LyricTopic.promptImages("a song about my dog sung by a man, deep male voice") == ["dog"])
        #expect(LyricTopic.promptImages("rain on the harbour, children's choir") == ["rain", "harbour"])
    }

    @Test func styleAndMoodPromptsHaveNoTopic() {
        for p in ["upbeat electronic dance track", "slow sad piano ballad", "Generate a relaxing acoustic track inspired by this scene.", "",
                  "male vocals", "upbeat pop with female vocals", "a song about this image", "make a song of this photo",
                  "a song in the style of the beatles", "a track for this picture"] {
            let t = LyricTopic(prompt: p, pronouncer: Speech.shared)
            #expect(t.phrase == nil && t.hookLines.isEmpty && t.title == nil, "\(p): \(t.phrase ?? "")")
        }
    }

    // MARK: - The lyric stage

    /// Counts what it is asked: the stage must use the pronouncer it is given, not a shared one.
    final class CountingPronouncer: Pronouncing, @unchecked Sendable {
        let lock = NSLock()
        var calls = 0
        func pronounce(line: String) -> PronouncedLine {
            lock.lock(); calls += 1; lock.unlock()
            return Speech.shared.pronounce(line: line)
        }
    }

    static func plannedSong(prompt: String = "", scene: Scene) throws -> (MusicPlan, ImageFeatures) {
        let image = try ImageLoader.decode(Data(contentsOf: TestSupport.example))
        let f = ImageAnalyzer.analyze(image)
        var steering = Steering(prompt: prompt)
        steering.vocals = true
        let plan = try Planner.plan(features: f, steering: steering, styles: StyleLibrary.loadDefault(), seed: 9,
                                    scene: scene)
        return (plan, f)
    }

    @Test func theStageWritesAboutTheSceneWithThePronouncerItIsGiven() throws {
        let lake = Scene(things: [
            SceneThing(tag: "lake", confidence: 0.9, evidence: "test", location: "centre", colour: "blue"),
            SceneThing(tag: "mountains", confidence: 0.8, evidence: "test", location: "above"),
        ])
        let (plan, f) = try Self.plannedSong(scene: lake)
        #expect(plan.lyrics == nil, "the planner leaves written lyrics to the lyric stage")
        let counter = CountingPronouncer()
        let sung = LyricStage.run(plan: plan, features: f, scene: lake, prompt: "", vocals: true, pronouncer: counter, seed: 4)
        let lyrics = try #require(sung.lyrics)
        #expect(counter.calls > 0)
        #expect(sung.pronounced?.count == lyrics.sections.count)
        let words = lyrics.text.lowercased()
        let sceneWords = ["lake", "mountain", "peak", "shore", "water"].filter { words.contains($0) }
        #expect(sceneWords.count >= 2, "\(lyrics.text)")
        let mentions = ["lake", "mountain"].map { words.components(separatedBy: $0).count - 1 }.reduce(0, +)
        #expect(mentions >= 4, "\(lyrics.text)")
        #expect(lyrics.title == "Blue Lake")
        #expect(sung.decisions.last?.name == "lyrics" && sung.decisions.last!.reason.contains("lake 0.90"))
        // Nothing written for an instrumental plan, nor over the user's lyrics.
        #expect(LyricStage.run(plan: plan, features: f, scene: lake, prompt: "", vocals: false, pronouncer: counter,
                               seed: 4).lyrics == nil)
    }

    /// A line does not end on a scene the picture does not show, nor on a colour it does not have, while the rhyme
    /// groups offer other words (stop 40: "The flower is calling from the storm" on a picture of a flower).
    @Test func lineEndsStayInThePicture() throws {
        let scenes: [[(String, String?)]] = [[("flowers", "golden")], [("grass", "green")], [("sea", "blue"), ("sky", "blue")],
                                             [("buildings", "grey")]]
        var ends = 0
        for things in scenes {
            let scene = Scene(things: things.map {
                SceneThing(tag: $0.0, confidence: 0.9, evidence: "test", location: "centre", colour: $0.1)
            })
            let tags = Set(things.map(\.0))
            let (plan, f) = try Self.plannedSong(scene: scene)
            for seed in UInt64(1)...5 {
                let lyrics = try #require(LyricStage.run(plan: plan, features: f, scene: scene, prompt: "", vocals: true,
                                                         pronouncer: Speech.shared, seed: seed).lyrics)
                for line in Set(lyrics.sections.flatMap(\.lines)) {
                    let last = String((line.split(separator: " ").last ?? "").lowercased().filter(\.isLetter))
                    ends += 1
                    if let needs = LyricsWordBank.sceneNeeds[last] {
                        #expect(!needs.isDisjoint(with: tags), "\(tags.sorted()): '\(line)' ends on \(last)")
                    }
                }
            }
        }
        #expect(ends >= 200)
    }

    @Test func aTopicOpensEveryChorusAndNoOtherLineRepeats() throws {
        let scene = Scene(things: [SceneThing(tag: "sea", confidence: 0.8, evidence: "test", location: "centre")])
        let prompt = "a song about sailing home across the sea to my family"
        let (plan, f) = try Self.plannedSong(prompt: prompt, scene: scene)
        let lyrics = try #require(LyricStage.run(plan: plan, features: f, scene: scene, prompt: prompt, vocals: true,
                                                 pronouncer: Speech.shared, seed: 4).lyrics)
        #expect(lyrics.title == "Sailing Home across the Sea")
        let choruses = lyrics.sections.filter { $0.kind == "chorus" }
        #expect(!choruses.isEmpty)
        for c in choruses { #expect(c.lines.first == "Sailing home across the sea", "\(c.lines)") }
        var seen = Set<String>()
        for s in lyrics.sections where !["chorus", "pre_chorus"].contains(s.kind) {
            for line in s.lines {
                #expect(seen.insert(line).inserted, "\(line) repeats outside a chorus")
            }
        }
    }

    // MARK: - The sound follows the scene

    @Test func nightIsSparserAndDarkerAndWaterWashes() throws {
        let none = try Self.plannedSong(scene: Scene(things: [])).0
        let night = try Self.plannedSong(scene: Scene(things: [
            SceneThing(tag: "night", confidence: 1, evidence: "test", location: "everywhere"),
        ])).0
        #expect(night.density < none.density && night.brightness <= none.brightness)
        #expect(night.decisions.contains { $0.name == "scene sound" && $0.value.contains("night") })
        let water = SceneSound.choose(
            scene: Scene(things: [SceneThing(tag: "lake", confidence: 0.9, evidence: "", location: "centre")]),
            instruments: [.pad: "warm_pad", .chords: "piano"], density: 0.5, brightness: 0.5, reading: PromptReading())
        #expect(water.instruments[.pad] == "airy_pad" && water.brightness < 0.5)
        // A pad the prompt names stays; a style without a pad gets none.
        var asked = PromptReading()
        asked.instruments[.pad] = "string_pad"
        let kept = SceneSound.choose(
            scene: Scene(things: [SceneThing(tag: "lake", confidence: 0.9, evidence: "", location: "centre")]),
            instruments: [.pad: "string_pad"], density: 0.5, brightness: 0.5, reading: asked)
        #expect(kept.instruments[.pad] == "string_pad")
        let noPad = SceneSound.choose(
            scene: Scene(things: [SceneThing(tag: "city_lights", confidence: 0.9, evidence: "", location: "below")]),
            instruments: [.chords: "piano"], density: 0.5, brightness: 0.5, reading: PromptReading())
        #expect(noPad.instruments == [.chords: "piano"])
    }
}
