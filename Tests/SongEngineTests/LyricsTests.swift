import Foundation
import Testing
@testable import SongEngine

@Suite struct LyricsParserTests {
    func shape(_ l: Lyrics) -> [String] { l.sections.map { "\($0.kind) \($0.tag) \($0.lines.count)" } }

    @Test func everyTagKindInOrder() {
        let text = """
        [Intro]
        [Verse 1]
        Gold on the water
        Light in the trees
        [pre chorus]
        Hold on
        [CHORUS]
        We are the summer
        We are the sea
        [  verse   2 ]
        Wind in the wires
        [Pre-Chorus]
        [Hook]
        Sing it again
        [Refrain]
        Once more
        [Bridge]
        Down by the river
        [outro]
        Goodbye now
        """
        let l = LyricsParser.parse(text)
        #expect(!l.written && l.title == nil)
        #expect(l.sections.map(\.kind) == ["intro", "verse", "pre_chorus", "chorus", "verse", "pre_chorus", "chorus",
                                           "chorus", "bridge", "outro"])
        #expect(l.sections.map(\.tag) == ["[Intro]", "[Verse 1]", "[Pre Chorus]", "[Chorus]", "[Verse 2]",
                                          "[Pre-Chorus]", "[Hook]", "[Refrain]", "[Bridge]", "[Outro]"])
        #expect(l.sections[0].lines.isEmpty)  // a bare intro is instrumental
        #expect(l.sections[1].lines == ["Gold on the water", "Light in the trees"])
        #expect(l.sections[5].lines == ["Hold on"])  // bare pre-chorus repeats the one sung before
        #expect(l.sections[9].lines == ["Goodbye now"])
    }

    @Test func bareChorusRepeatsTheChorus() {
        let text = "[Verse]\nOne line here\n[Chorus]\nHook line one\nHook line two\n[Verse 2]\nAnother line\n[Chorus]\n\n[chorus]"
        let l = LyricsParser.parse(text)
        #expect(shape(l) == ["verse [Verse] 1", "chorus [Chorus] 2", "verse [Verse 2] 1", "chorus [Chorus] 2",
                             "chorus [Chorus] 2"])
        #expect(l.sections[3].lines == l.sections[1].lines && l.sections[4].lines == l.sections[1].lines)
        // A bare tag of a kind never sung stays empty (instrumental); a bare [Verse 3] repeats the latest verse.
        let m = LyricsParser.parse("[Bridge]\n[Verse 1]\nA B C\n[Verse 3]")
        #expect(shape(m) == ["bridge [Bridge] 0", "verse [Verse 1] 1", "verse [Verse 3] 1"])
        // "[Chorus x2]" sings it twice; "[Verse 2]" is not a repeat count.
        let r = LyricsParser.parse("[Verse 2]\nla di da\n[Chorus x2]\nhey hey\n[Outro (2x)]\nbye")
        #expect(shape(r) == ["verse [Verse 2] 1", "chorus [Chorus] 1", "chorus [Chorus] 1", "outro [Outro] 1", "outro [Outro] 1"])
    }

    @Test func unknownTagsAreVersesWithTheUsersWords() {
        let l = LyricsParser.parse("[GUITAR   solo]\nla la la\n[Verse 1: Ana]\nsung by Ana\n[chorus] first line on the tag line\nsecond")
        #expect(shape(l) == ["verse [Guitar Solo] 1", "verse [Verse 1] 1", "chorus [Chorus] 2"])
        #expect(l.sections[2].lines == ["first line on the tag line", "second"])
        // Plain "Chorus:" and "(Bridge)" lines are tags; a lyric line ending in a colon is not.
        let m = LyricsParser.parse("Verse 1:\nI said this:\nhello\n(Bridge)\nover the bridge")
        #expect(shape(m) == ["verse [Verse 1] 2", "bridge [Bridge] 1"])
    }

    @Test func untaggedStanzasFindTheChorus() {
        let v1 = "I walked along the road\nThe sky was grey and low"
        let ch = "Sing it loud\nSing it proud"
        let v2 = "The town was fast asleep\nThe river running deep"
        let br = "And then the light came on"
        let l = LyricsParser.parse([v1, ch, v2, ch, br, ch].joined(separator: "\n\n"))
        #expect(shape(l) == ["verse [Verse 1] 2", "chorus [Chorus] 2", "verse [Verse 2] 2", "chorus [Chorus] 2",
                             "bridge [Bridge] 1", "chorus [Chorus] 2"])
        // No repeated stanza: verse first, then verse and chorus alternate.
        let m = LyricsParser.parse([v1, v2, br].joined(separator: "\n \n"))
        #expect(shape(m) == ["verse [Verse 1] 2", "chorus [Chorus] 2", "verse [Verse 2] 1"])
    }

    @Test func untaggedWithoutBlankLinesMakesGroupsOfFour() {
        let lines = (1...10).map { "line number \($0) goes here" }
        let l = LyricsParser.parse(lines.joined(separator: "\n"))
        #expect(l.sections.map(\.lines.count) == [4, 4, 2])
        #expect(l.sections.flatMap(\.lines) == lines)
        // A long stanza (with blank lines elsewhere) is split evenly into pieces of at most 8.
        let long = (1...12).map { "long stanza line \($0)" }.joined(separator: "\n")
        let m = LyricsParser.parse(long + "\n\nshort one\nshort two")
        #expect(m.sections.map(\.lines.count) == [6, 6, 2])
    }

    @Test func linesAreCleanedAndLongLinesSplit() {
        let l = LyricsParser.parse("[Verse]\n  Hello\t\tthere \u{0007}world  \n...!!!\n---\nok\u{200B}ay 42\n")
        #expect(l.sections[0].lines == ["Hello there world", "okay 42"])
        let long = "I have been walking down this endless road for days, and I still cannot find my way back home"
        let m = LyricsParser.parse(long)
        let got = m.sections.flatMap(\.lines)
        #expect(got == ["I have been walking down this endless road for days", "and I still cannot find my way back home"])
        for line in got {
            #expect(line.split(separator: " ").map { LyricsParser.estimateSyllables(String($0)) }.reduce(0, +) <= 14)
        }
        // No comma: split at the middle word, recursively, until every piece fits.
        let words = (1...40).map { _ in "beautiful" }.joined(separator: " ")
        let pieces = LyricsParser.parse(words).sections.flatMap(\.lines)
        #expect(pieces.count >= 9)
        #expect(pieces.allSatisfy { $0.split(separator: " ").count <= 4 })
        #expect(pieces.joined(separator: " ") == words)
    }

    @Test func emptyAndJunkInput() {
        #expect(LyricsParser.parse("").sections.isEmpty)
        #expect(LyricsParser.parse("\n\n  \n...\n[]\n").sections.isEmpty)
        #expect(LyricsParser.parse("[Chorus]").sections.map(\.lines) == [[]])
    }

    /// Seeded fuzz: random mixes of tags, brackets, control characters, emoji, long words and whitespace never crash,
    /// and every line that comes out is non-empty, trimmed, holds a letter or digit and no control character.
    @Test func fuzzNeverCrashes() {
        var rng = SeededGenerator(seed: 0xF0CC)
        let pieces = ["[", "]", "[Chorus]", "[verse 2]", "(Bridge)", "Chorus:", "\n", "\n\n", "\r\n", "\t", " ", ",",
                      "la", "love", "🙂", "\u{0000}", "\u{001B}", "\u{200D}", "é", "日本", "42", "x", ":", "-", "—",
                      "supercalifragilistic", "[[", "]]", "\u{FFFF}", "\u{0301}", "pre-chorus"]
        for _ in 0..<400 {
            var text = ""
            for _ in 0..<rng.int(in: 0...120) { text += pieces[rng.int(in: 0...(pieces.count - 1))] }
            let l = LyricsParser.parse(text)
            for s in l.sections {
                #expect(StyleLibrary.sectionNames.contains(s.kind))
                #expect(s.tag.hasPrefix("[") && s.tag.hasSuffix("]"))
                for line in s.lines {
                    #expect(!line.isEmpty && line.first != " " && line.last != " ")
                    #expect(line.unicodeScalars.contains { LyricsParser.isLetterOrDigit($0) })
                    #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control })
                }
            }
        }
    }
}

@Suite(.serialized) struct LyricsWriterTests {
    struct Photo {
        var name: String
        var features: ImageFeatures
        var plan: MusicPlan
    }

    /// The 12 shared photos through the real analysis path, once.
    static let photos: [Photo] = {
        guard let library = try? StyleLibrary.loadDefault() else { return [] }
        // The shared photos beside the checkout, or where CHROMASONG_SHARED_IMAGES says (a worktree elsewhere).
        var urls = TestSupport.photos
        if urls.isEmpty, let dir = ProcessInfo.processInfo.environment["CHROMASONG_SHARED_IMAGES"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            urls = names.filter { !$0.hasSuffix(".md") }.sorted().map { URL(fileURLWithPath: dir).appendingPathComponent($0) }
        }
        return urls.compactMap { url in
            guard let data = try? Data(contentsOf: url), let image = try? ImageLoader.decode(data) else { return nil }
            let f = ImageAnalyzer.analyze(image)
            guard let plan = try? Planner.plan(features: f, steering: Steering(), styles: library, seed: 7) else { return nil }
            return Photo(name: url.lastPathComponent, features: f, plan: plan)
        }
    }()

    static let drafts: [LyricsWriter.Draft] = photos.map {
        LyricsWriter.draft(features: $0.features, plan: $0.plan, prompt: "", pronouncer: Speech.shared, seed: 11)
    }

    @Test func sectionsAlignWithTheForm() throws {
        #expect(Self.photos.count == 12)
        for (photo, draft) in zip(Self.photos, Self.drafts) {
            let l = draft.lyrics
            #expect(l.written)
            #expect(l.sections.count == photo.plan.form.count)
            var verses: [[String]] = []
            var choruses: [[String]] = []
            for (section, planned) in zip(l.sections, photo.plan.form) {
                #expect(section.kind == planned.name)
                #expect(section.tag.hasPrefix("[") && section.tag.hasSuffix("]"))
                if ["intro", "outro", "breakdown"].contains(planned.name) {
                    #expect(section.lines.isEmpty)
                } else {
                    #expect(section.lines.count == max(1, planned.bars / 2), "\(photo.name) \(section.tag)")
                }
                if section.kind == "verse" { verses.append(section.lines) }
                if section.kind == "chorus" && planned.bars == photo.plan.form.first(where: { $0.name == "chorus" })?.bars {
                    choruses.append(section.lines)
                }
            }
            #expect(Set(choruses).count <= 1, "\(photo.name): every chorus sings the same lines")
            #expect(Set(verses).count == verses.count, "\(photo.name): verses differ")
            let verseTags = l.sections.filter { $0.kind == "verse" }.map(\.tag)
            #expect(verseTags == verseTags.indices.map { "[Verse \($0 + 1)]" })
        }
    }

    @Test func linesScanAndRhyme() {
        var pairs = 0, rhymed = 0, lines = 0, inRange = 0
        var histogram: [Int: Int] = [:]
        for draft in Self.drafts {
            for (s, section) in draft.lyrics.sections.enumerated() {
                for line in section.lines {
                    let n = Speech.shared.pronounce(line: line).syllableCount
                    histogram[n, default: 0] += 1
                    lines += 1
                    if LyricsWriter.syllableRange.contains(n) { inRange += 1 }
                }
                for p in draft.rhymePairs[s] {
                    pairs += 1
                    let a = Speech.shared.rhymeKey(line: section.lines[p.first])
                    let b = Speech.shared.rhymeKey(line: section.lines[p.second])
                    if a != nil && a == b { rhymed += 1 }
                }
            }
        }
        let rhymeShare = Double(rhymed) / Double(max(1, pairs))
        let rangeShare = Double(inRange) / Double(max(1, lines))
        print("lyrics: \(rhymed)/\(pairs) pairs rhyme (\(Int(rhymeShare * 100))%), \(inRange)/\(lines) lines in 6-9 syllables; syllables \(histogram.sorted { $0.key < $1.key })")
        #expect(pairs >= 12 * 4)
        #expect(rhymeShare >= 0.7)
        #expect(rangeShare >= 0.9)
    }

    /// More seeds, a prompt and fitted durations (odd bar counts, long choruses): the same floors hold.
    @Test func acrossSeedsAndDurations() throws {
        let library = try StyleLibrary.loadDefault()
        var pairs = 0, rhymed = 0, lines = 0, inRange = 0
        for (i, photo) in Self.photos.enumerated() {
            let duration = [45.0, 75, 130, 240][i % 4]
            let plan = try Planner.plan(features: photo.features, steering: Steering(duration: duration), styles: library,
                                        seed: UInt64(i))
            let draft = LyricsWriter.draft(features: photo.features, plan: plan, prompt: "neon city lights at the harbour",
                                           pronouncer: Speech.shared, seed: UInt64(100 + i))
            #expect(draft.lyrics.sections.count == plan.form.count)
            for (s, section) in draft.lyrics.sections.enumerated() {
                #expect(section.kind == plan.form[s].name)
                for line in section.lines {
                    lines += 1
                    if LyricsWriter.syllableRange.contains(Speech.shared.pronounce(line: line).syllableCount) { inRange += 1 }
                }
                for p in draft.rhymePairs[s] {
                    pairs += 1
                    let a = Speech.shared.rhymeKey(line: section.lines[p.first])
                    if a != nil && a == Speech.shared.rhymeKey(line: section.lines[p.second]) { rhymed += 1 }
                }
            }
        }
        print("lyrics, fitted durations: \(rhymed)/\(pairs) pairs rhyme, \(inRange)/\(lines) lines in 6-9 syllables")
        #expect(Double(rhymed) >= 0.7 * Double(pairs))
        #expect(Double(inRange) >= 0.9 * Double(lines))
    }

    struct Silent: Pronouncing {
        func pronounce(line _: String) -> PronouncedLine { PronouncedLine(words: []) }
    }

    /// Odd plans never crash: one-bar and 32-bar sections, unknown section names, an empty palette, a pronouncer
    /// that knows no word.
    @Test func oddPlansDoNotCrash() throws {
        let p = try #require(Self.photos.first)
        var plan = p.plan
        plan.form = [SectionPlan(name: "verse", bars: 1, energy: 0.5), SectionPlan(name: "chorus", bars: 32, energy: 1),
                     SectionPlan(name: "chorus", bars: 3, energy: 1), SectionPlan(name: "breakdown", bars: 4, energy: 0.2),
                     SectionPlan(name: "solo", bars: 8, energy: 0.5)]
        var features = p.features
        features.palette = []
        let l = LyricsWriter.write(features: features, plan: plan, prompt: "🙂 ###", pronouncer: Speech.shared, seed: 1)
        #expect(l.sections.map(\.lines.count) == [1, 16, 1, 0, 4])
        #expect(l.sections[2].lines[0] == l.sections[1].lines[0])
        let silent = LyricsWriter.write(features: features, plan: plan, prompt: "", pronouncer: Silent(), seed: 1)
        #expect(silent.sections.map(\.lines.count) == [1, 16, 1, 0, 4])
        plan.form = []
        #expect(LyricsWriter.write(features: features, plan: plan, prompt: "", pronouncer: Speech.shared, seed: 1).sections.isEmpty)
    }

    /// Prints every photo's lyrics (CHROMASONG_PRINT_LYRICS=1), for reading them.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CHROMASONG_PRINT_LYRICS"] != nil)) func printLyrics() {
        for (photo, draft) in zip(Self.photos, Self.drafts) {
            print("=== \(photo.name) (\(photo.plan.style), valence \(photo.plan.valence)): \(draft.lyrics.title ?? "")")
            print(draft.lyrics.text)
        }
    }

    @Test func titlesAndDistinctLyrics() {
        var texts = Set<String>()
        for (photo, draft) in zip(Self.photos, Self.drafts) {
            let words = draft.lyrics.title?.split(separator: " ") ?? []
            #expect((2...5).contains(words.count), "\(photo.name): title \(draft.lyrics.title ?? "nil")")
            texts.insert(draft.lyrics.text)
        }
        #expect(texts.count == Self.drafts.count)
    }

    @Test func deterministicPerSeed() throws {
        let p = try #require(Self.photos.first)
        let a = LyricsWriter.write(features: p.features, plan: p.plan, prompt: "a lighthouse by the harbour",
                                   pronouncer: Speech.shared, seed: 5)
        let b = LyricsWriter.write(features: p.features, plan: p.plan, prompt: "a lighthouse by the harbour",
                                   pronouncer: Speech.shared, seed: 5)
        let c = LyricsWriter.write(features: p.features, plan: p.plan, prompt: "a lighthouse by the harbour",
                                   pronouncer: Speech.shared, seed: 6)
        #expect(a == b)
        #expect(a != c)
        // The prompt's content words are sung.
        let text = a.text.lowercased()
        #expect(text.contains("lighthouse") || text.contains("harbour"))
    }

    @Test func imageryFollowsThePicture() {
        // Every song sings at least one of its palette's colour words, and its light words follow the lightness.
        for (photo, draft) in zip(Self.photos, Self.drafts) {
            let text = draft.lyrics.text.lowercased()
            let colourWords = photo.features.palette.map { LyricsWordBank.colour(forPaletteName: $0.name).word }
            let words = Set(text.split(whereSeparator: { !$0.isLetter }).map(String.init))
            #expect(colourWords.contains { words.contains($0) }, "\(photo.name)")
            // Light words follow the image's lightness: no daylight in a dark picture, no midnight in a bright one.
            if photo.features.meanLightness < 38 { #expect(words.isDisjoint(with: LyricsWordBank.brightLight)) }
            if photo.features.meanLightness > 62 { #expect(words.isDisjoint(with: LyricsWordBank.darkLight)) }
        }
    }
}
