import CDSP
import Testing
@testable import SongEngine

/// Issue 10: one definition per tunable. The presets' fields, defaults and ranges that Swift validates against are
/// the C core's table (cdsp_params.h), and the core's defaults and clamps are that table's, field by field.
@Suite struct ParameterTableTests {
    struct Table: Sendable {
        var name: String
        var definitions: [ParameterDefinition]
        var row: @Sendable (Int) -> cdsp_param_info
    }

    static let tables = [
        Table(name: "voice", definitions: InstrumentLibrary.voiceParameters) { cdsp_voice_param_info($0)!.pointee },
        Table(name: "drum", definitions: InstrumentLibrary.drumParameters) { cdsp_drum_param_info($0)!.pointee },
    ]

    /// The row's value as the C struct holds it.
    static func inStruct(_ row: cdsp_param_info, _ value: Double) -> Float {
        switch row.conversion {
        case Int32(CDSP_PARAM_DECIBELS.rawValue): return cdsp_db_to_gain(Float(value))
        case Int32(CDSP_PARAM_ROUNDED.rawValue): return Float(value).rounded()
        default: return Float(value)
        }
    }

    static func field<T>(_ params: T, _ row: cdsp_param_info) -> Float {
        withUnsafeBytes(of: params) { $0.load(fromByteOffset: Int(row.offset), as: Float.self) }
    }

    /// A voice or drum struct made from the preset values, as the renderer makes it.
    static func made(_ table: Table, _ values: [Double]) -> (cdsp_voice_params?, cdsp_drum_params?) {
        if table.name == "voice" {
            let voice = InstrumentLibrary.Voice(engine: 0, wave1: 1, wave2: 1, filter: 1, values: values)
            return (voice.cParams, nil)
        }
        return (nil, InstrumentLibrary.Drum(values: values).cParams)
    }

    @Test func swiftDefinitionsAreTheCTable() {
        #expect(InstrumentLibrary.voiceParameters.count == cdsp_voice_param_count())
        #expect(InstrumentLibrary.drumParameters.count == cdsp_drum_param_count())
        for table in Self.tables {
            for (i, definition) in table.definitions.enumerated() {
                let row = table.row(i)
                #expect(definition.identifier == String(cString: row.identifier))
                #expect(definition.defaultValue == row.default_value && definition.range == row.minimum...row.maximum)
            }
        }
        // The typed keys name the right rows.
        #expect(InstrumentLibrary.voiceParameters[Int(cdsp_voice_param.cutoff.rawValue)].identifier == "cutoff")
        #expect(InstrumentLibrary.voiceParameters[Int(cdsp_voice_param.chorusDepth.rawValue)].identifier == "chorusDepth")
        #expect(InstrumentLibrary.drumParameters[Int(cdsp_drum_param.pan.rawValue)].identifier == "pan")
    }

    /// Every C default equals the Swift definition's, and every field the renderer hands the core is clamped to the
    /// Swift definition's range: past the maximum gives the maximum, below the minimum the minimum.
    @Test func cDefaultsAndClampsAreTheSwiftRanges() {
        var voice = cdsp_voice_params()
        cdsp_voice_params_default(&voice)
        var drum = cdsp_drum_params()
        cdsp_drum_params_default(&drum)
        for table in Self.tables {
            for (i, definition) in table.definitions.enumerated() {
                let row = table.row(i)
                guard row.offset >= 0 else { continue }
                let defaults: Float = table.name == "voice" ? Self.field(voice, row) : Self.field(drum, row)
                #expect(defaults == Self.inStruct(row, definition.defaultValue), "\(table.name).\(definition.identifier) default")
                let span = definition.range.upperBound - definition.range.lowerBound
                for (probe, want) in [(definition.range.upperBound + span, definition.range.upperBound),
                                      (definition.range.lowerBound - span, definition.range.lowerBound),
                                      (definition.defaultValue, definition.defaultValue)] {
                    var values = table.definitions.map(\.defaultValue)
                    values[i] = probe
                    let (v, d) = Self.made(table, values)
                    let got = v.map { Self.field($0, row) } ?? Self.field(d!, row)
                    #expect(got == Self.inStruct(row, want), "\(table.name).\(definition.identifier) = \(probe)")
                }
            }
        }
    }
}
