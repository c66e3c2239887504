import Foundation
import Testing
import VoiceConvert

/// The voice catalog (issue 4's presets): loads, validates, is varied, and is searchable.
@Suite struct VoiceCatalogTests {
    let directory = TestSupport.root.appendingPathComponent("presets/voices")

    @Test func catalogLoadsAtLeastEightDistinctVoices() throws {
        let catalog = try VoiceCatalog.load(from: directory)
        #expect(catalog.voices.count >= 8)
        // Every pair differs in pitch or formant placement, so conversions are measurably different.
        for (i, a) in catalog.voices.enumerated() {
            for b in catalog.voices[(i + 1)...] {
                let differs = a.value("pitchShift") != b.value("pitchShift") || a.value("formantShift") != b.value("formantShift")
                #expect(differs, "\(a.id) and \(b.id) share pitch and formant shifts")
            }
        }
        // Both registers are there: voices above and below the base voice.
        #expect(catalog.voices.contains { $0.value("pitchShift") >= 3 })
        #expect(catalog.voices.contains { $0.value("pitchShift") <= -5 })
    }

    @Test func brokenPresetsNameFileFieldAndRange() throws {
        let dir = TestSupport.temporaryDirectory("voices")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (#"{"id": "x", "name": "X", "description": "d", "parameters": {"pitchShift": 30}}"#, "parameters.pitchShift"),
            (#"{"id": "x", "name": "X", "description": "d", "parameters": {"warble": 1}}"#, "unknown parameter \"warble\""),
            (#"{"id": "y", "name": "X", "description": "d", "parameters": {}}"#, "must match the file name"),
            (#"{"id": "x", "name": "", "description": "d"}"#, "field \"name\""),
            (#"[1, 2]"#, "is not a JSON object"),
        ]
        for (json, expected) in cases {
            try Data(json.utf8).write(to: dir.appendingPathComponent("x.json"))
            #expect(throws: VoicePresetError.self) { try VoiceCatalog.load(from: dir) }
            do {
                _ = try VoiceCatalog.load(from: dir)
            } catch let error as VoicePresetError {
                #expect(error.description.hasPrefix("x.json: "), "\(error)")
                #expect(error.description.contains(expected), "\(error) should mention \(expected)")
            }
        }
    }

    @Test func searchFindsByWords() throws {
        let catalog = try VoiceCatalog.load(from: directory)
        #expect(catalog.search("").count == catalog.voices.count)
        let deep = catalog.search("male deep")
        #expect(deep.contains { $0.id == "bruno" })
        #expect(catalog.search("no such voice at all").isEmpty)
    }
}
