import Testing
@testable import SongEngine

@Suite struct KeyParsingTests {
    @Test(arguments: [
        ("C major", Key(tonic: 0, mode: .major)), ("A minor", Key(tonic: 9, mode: .minor)),
        ("F# minor", Key(tonic: 6, mode: .minor)), ("Bb major", Key(tonic: 10, mode: .major)),
        ("c#m", Key(tonic: 1, mode: .minor)), ("Ebmaj", Key(tonic: 3, mode: .major)), ("bm", Key(tonic: 11, mode: .minor)),
        ("G", Key(tonic: 7, mode: .major)), ("cb major", Key(tonic: 11, mode: .major)),
    ])
    func parsesAcceptedForms(text: String, expected: Key) {
        #expect(Key.parse(text) == expected)
    }

    @Test(arguments: ["H major", "C dorian", "", "major", "C##", "Cmajorx"])
    func rejectsOthers(text: String) {
        #expect(Key.parse(text) == nil)
    }

    @Test func namesRoundTrip() {
        for key in Key.all { #expect(Key.parse(key.description) == key) }
    }
}
