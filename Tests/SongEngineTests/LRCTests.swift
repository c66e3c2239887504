import Testing
@testable import SongEngine

@Suite struct LRCTests {
    @Test func linesInTimeWithoutTags() {
        let lines = [
            Manifest.LyricLine(index: 0, text: "[Verse 1]", start: 8173, end: 8173, words: []),
            Manifest.LyricLine(index: 1, text: "Gold on the water", start: 8173, end: 11020,
                               words: [.init(text: "Gold", start: 8173, end: 8610)]),
            Manifest.LyricLine(index: 2, text: "Late light", start: 61_999, end: 63_000,
                               words: [.init(text: "Late", start: 61_999, end: 62_300)]),
        ]
        let text = LRCFile.encode(title: "Gold Hour", lines: lines)
        #expect(text == "[ti:Gold Hour]\n[re:Chromasong]\n[00:08.17]Gold on the water\n[01:01.99]Late light\n")
    }
}
