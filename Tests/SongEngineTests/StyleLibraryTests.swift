import Foundation
import Testing
@testable import SongEngine

@Suite struct StyleLibraryTests {
    @Test func everyPresetLoads() throws {
        let dir = try #require(StyleLibrary.defaultDirectory())
        let library = try StyleLibrary.load(from: dir)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(library.styles.count == files.count)
        let ids = Set(library.styles.map(\.id))
        for required in ["ambient", "lofi", "pop", "rock", "cinematic", "synthwave", "folk", "edm", "piano_ballad"] {
            #expect(ids.contains(required))
        }
        #expect(library.style(id: "ambient")?.instruments["drums"] == nil)
        #expect(library.style(id: "nope") == nil)
    }

    @Test func presetsAreDistinct() throws {
        let library = try StyleLibrary.loadDefault()
        // Distinct places in the valence/arousal plane and distinct instrument line-ups.
        for (i, a) in library.styles.enumerated() {
            for b in library.styles[(i + 1)...] {
                let d = ((a.valence - b.valence) * (a.valence - b.valence)
                    + (a.arousal - b.arousal) * (a.arousal - b.arousal)).squareRoot()
                #expect(d > 0.2, "\(a.id) and \(b.id) sit too close")
                #expect(a.instruments != b.instruments || a.drumPattern != b.drumPattern)
            }
        }
    }

    @Test func environmentVariableIsNotRequired() {
        // Found from the source tree when CHROMASONG_PRESETS is unset.
        #expect(StyleLibrary.defaultDirectory()?.path.hasSuffix("presets/styles") == true)
    }

    /// Writes `ambient.json` with one field replaced into a fresh temp dir and returns the load error.
    func brokenError(_ edit: (inout [String: Any]) -> Void, file: String = "ambient.json") throws -> String {
        let source = try #require(StyleLibrary.defaultDirectory()).appendingPathComponent("ambient.json")
        var object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        edit(&object)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chromasong-style-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent(file))
        do {
            _ = try StyleLibrary.load(from: dir)
        } catch {
            return "\(error)"
        }
        Issue.record("broken preset loaded")
        return ""
    }

    @Test func brokenPresetsNameFileFieldValueAndRange() throws {
        var m = try brokenError { $0["tempoMin"] = 300 }
        #expect(m.contains("ambient.json") && m.contains("tempoMin") && m.contains("300") && m.contains("40...240 bpm"))
        m = try brokenError { $0["tempoMin"] = 90 }
        #expect(m.contains("tempoMax") && m.contains("80") && m.contains("90...240"))
        m = try brokenError { $0["parameters"] = ["reverbSize": 1.5] }
        #expect(m.contains("parameters.reverbSize") && m.contains("1.5") && m.contains("0.0...1.0 fraction"))
        m = try brokenError { $0["parameters"] = ["reverbSzie": 0.5] }
        #expect(m.contains("parameters.reverbSzie") && m.contains("unknown") && m.contains("reverbSize"))
        m = try brokenError { $0["valence"] = -1.5 }
        #expect(m.contains("valence") && m.contains("-1.5") && m.contains("-1...1"))
        m = try brokenError { $0["sectionBars"] = ["intro": 8, "verse": 40, "chorus": 8, "bridge": 8, "outro": 8] }
        #expect(m.contains("sectionBars.verse") && m.contains("40") && m.contains("1...32 bars"))
        m = try brokenError { $0["form"] = [String]() }
        #expect(m.contains("form"))
        m = try brokenError { $0["instruments"] = ["lead": "kazoo"] }
        #expect(m.contains("instruments.lead") && m.contains("kazoo") && m.contains("soft_lead"))
        m = try brokenError { $0["instruments"] = ["drums": "piano"]; $0["drumPattern"] = "backbeat" }
        #expect(m.contains("instruments.drums") && m.contains("piano") && m.contains("acoustic_kit"))
        m = try brokenError { $0["drumPattern"] = "polka" }
        #expect(m.contains("drumPattern") && m.contains("polka") && m.contains("fourOnFloor"))
        m = try brokenError { $0["mix"] = ["lead": ["gain": 30, "pan": 0, "reverb": 0.1, "delay": 0]] }
        #expect(m.contains("mix.lead.gain") && m.contains("30") && m.contains("dB"))
        m = try brokenError { $0.removeValue(forKey: "keywords") }
        #expect(m.contains("keywords") && m.contains("missing"))
        m = try brokenError { $0["alternate"] = ["instruments": ["lead": "kazoo"]] }
        #expect(m.contains("alternate.instruments.lead") && m.contains("kazoo"))
        m = try brokenError { $0["alternate"] = ["instruments": ["drums": "acoustic_kit"]] }
        #expect(m.contains("alternate.instruments.drums") && m.contains("does not play"))
        m = try brokenError { $0["targetSpectrum"] = ["63": 2, "1000": 0, "loud": 1] }
        #expect(m.contains("targetSpectrum.loud") && m.contains("frequency in Hz"))
        m = try brokenError { $0["targetSpectrum"] = ["63": 2, "1000": 0, "8000": -90] }
        #expect(m.contains("targetSpectrum.8000") && m.contains("-90"))
        m = try brokenError { $0["harmony"] = "bebop" }
        #expect(m.contains("harmony") && m.contains("bebop") && m.contains("jazz"))
        m = try brokenError { $0["parameters"] = ["seventhChords": 1.5] }
        #expect(m.contains("seventhChords") && m.contains("1.5"))
        m = try brokenError { $0["alternate"] = ["chordPattern": "polka"] }
        #expect(m.contains("alternate.chordPattern") && m.contains("polka") && m.contains("arpeggio"))
        m = try brokenError { $0["drumSubstitutes"] = ["42": 200] }
        #expect(m.contains("drumSubstitutes.42") && m.contains("200") && m.contains("percussion"))
        m = try brokenError({ _ in }, file: "other.json")
        #expect(m.contains("other.json") && m.contains("id"))
    }
}
