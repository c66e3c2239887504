import Foundation
import Testing
@testable import VoiceConvert

/// The voice catalog (issue 4's presets): loads, validates, is varied, and is searchable.
@Suite struct VoiceCatalogTests {
    let directory = TestSupport.root.appendingPathComponent("presets/voices")

    @Test func catalogLoadsAtLeastEightDistinctVoices() throws {
        let catalog = try VoiceCatalog.load(from: directory)
        #expect(catalog.voices.count >= 8)
        // Every pair differs in pitch or formant placement, so conversions are measurably different.
        for (i, a) in catalog.voices.enumerated() {
            for b in catalog.voices[(i + 1)...] {
                let differs = a[.pitchShift] != b[.pitchShift] || a[.formantShift] != b[.formantShift]
                #expect(differs, "\(a.id) and \(b.id) share pitch and formant shifts")
            }
        }
        // Both registers are there: voices above and below the base voice.
        #expect(catalog.voices.contains { $0[.pitchShift] >= 3 })
        #expect(catalog.voices.contains { $0[.pitchShift] <= -5 })
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

    /// Issue 10: the converter takes a voice's colour (tilt, breath, vibrato) within the catalog's one definition of
    /// each; it used to accept a tilt of +-12 where the catalog allows +-6.
    @Test func conversionTakesTheCatalogsRanges() throws {
        for (parameter, field) in [(VoiceParameter.tilt, "tilt"), (.breath, "breath"), (.vibratoRate, "vibrato_rate"),
                                   (.vibratoDepth, "vibrato_depth")] {
            let range = parameter.definition.range
            for (value, ok) in [(range.lowerBound, true), (range.upperBound, true), (range.upperBound + 1, false),
                                (range.lowerBound - 1, false)] {
                var settings = ConversionSettings(semitones: 0)
                switch parameter {
                case .tilt: settings.tilt = value
                case .breath: settings.breath = value
                case .vibratoRate: settings.vibratoRate = value
                default: settings.vibratoDepth = value
                }
                do {
                    try settings.validate()
                    #expect(ok, "\(field) = \(value) was accepted")
                } catch let error as ConversionError {
                    #expect(!ok && error.field == field, "\(field) = \(value): \(error)")
                }
            }
        }
        // A vibrato rate of 0 is "no vibrato".
        #expect(throws: Never.self) { try ConversionSettings(semitones: 0).validate() }
    }
}
