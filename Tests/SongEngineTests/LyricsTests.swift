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
