import Foundation
internal import CDSP

/// A preset file that does not describe a valid instrument. The message names the file, the field, the value and
/// the allowed range or values.
public struct InstrumentPresetError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var field: String
    public var message: String

    public var description: String { "\(file): field \"\(field)\": \(message)" }
}

/// The instrument sounds of `presets/instruments/*.json`, validated against `InstrumentLibrary.voiceParameters`
/// (melodic instruments) and `InstrumentLibrary.drumParameters` (drum kits, ids ending in `_kit`).
///
/// A melodic preset holds `id`, `engine` (subtractive, fm, pluck, additive), `wave1`/`wave2` (sine, saw, square,
/// triangle), `filter` (none, lowpass, ladder, bandpass, highpass) and any of the numeric fields; a missing field
/// takes its default. A kit holds `id` and `drums`: an object from General MIDI percussion number ("36") to the
/// drum's fields.
public struct InstrumentLibrary: Sendable {
    /// One melodic instrument: the enumerations and every numeric field (defaults filled in), in the order of the
    /// C core's table (cdsp_params.h), read by its typed keys: `voice[.cutoff]`.
    struct Voice: Sendable, Hashable {
        var engine: Int32
        var wave1: Int32
        var wave2: Int32
        var filter: Int32
        var values: [Double]

        subscript(_ key: cdsp_voice_param) -> Double { values[Int(key.rawValue)] }
    }

    /// One drum of a kit, read by the typed keys of the C core's table: `drum[.tune]`.
    struct Drum: Sendable, Hashable {
        var values: [Double]

        /// The drum a kit gets for a number it does not define: every field at its default.
        static let standard = Drum(values: drumParameters.map(\.defaultValue))

        subscript(_ key: cdsp_drum_param) -> Double { values[Int(key.rawValue)] }
    }

    enum Instrument: Sendable, Hashable {
        case voice(Voice)
        /// GM percussion number -> drum.
        case kit([Int: Drum])
    }

    var instruments: [String: Instrument]

    /// The ids of every loaded instrument, sorted.
    public var ids: [String] { instruments.keys.sorted() }

    public func contains(_ id: String) -> Bool { instruments[id] != nil }

    func instrument(_ id: String) -> Instrument? { instruments[id] }

    // MARK: Parameter definitions (one per field)

    public static let engineNames = ["subtractive": 0, "fm": 1, "pluck": 2, "additive": 3]
    public static let waveNames = ["sine": 0, "saw": 1, "square": 2, "triangle": 3]
    public static let filterNames = ["none": 0, "lowpass": 1, "ladder": 2, "bandpass": 3, "highpass": 4]

    /// Every numeric field of a melodic instrument preset: the C core's table (cdsp_params.h), the one definition
    /// the core also takes its defaults and clamps from.
    public static let voiceParameters: [ParameterDefinition] =
        (0..<cdsp_voice_param_count()).map { ParameterDefinition(cdsp_voice_param_info($0)!.pointee) }

    /// Every numeric field of one drum of a kit (the same table's drum half).
    public static let drumParameters: [ParameterDefinition] =
        (0..<cdsp_drum_param_count()).map { ParameterDefinition(cdsp_drum_param_info($0)!.pointee) }

    /// General MIDI percussion numbers a kit may define.
    public static let drumNumbers: Set<Int> = Set(35...82)

    // MARK: Loading

    /// Loads and validates every `<id>.json` in `directory`; every id of `InstrumentCatalog.entries` must be there
    /// and every file must name a catalog id.
    public static func load(from directory: URL) throws -> InstrumentLibrary {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw InstrumentPresetError(file: directory.path, field: "-", message: "cannot list the directory: \(error)")
        }
        var instruments: [String: Instrument] = [:]
        for file in files {
            let data: Data
            do { data = try Data(contentsOf: file) } catch {
                throw InstrumentPresetError(file: file.lastPathComponent, field: "-", message: "cannot read: \(error)")
            }
            let (id, instrument) = try parse(data, fileName: file.lastPathComponent)
            instruments[id] = instrument
        }
        for entry in InstrumentCatalog.entries where instruments[entry.id] == nil {
            throw InstrumentPresetError(file: directory.appendingPathComponent("\(entry.id).json").path, field: "id",
                                        message: "missing: every catalog instrument needs a preset")
        }
        return InstrumentLibrary(instruments: instruments)
    }

    /// Parses and validates one preset; `fileName` is used in error messages and must be `<id>.json`.
    static func parse(_ data: Data, fileName: String) throws -> (String, Instrument) {
        func fail(_ field: String, _ message: String) -> InstrumentPresetError {
            InstrumentPresetError(file: fileName, field: field, message: message)
        }
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("-", "the file must hold a JSON object")
            }
            object = o
        } catch let error as InstrumentPresetError {
            throw error
        } catch {
            throw fail("-", "not valid JSON: \(error.localizedDescription)")
        }
        guard let id = object["id"] as? String else { throw fail("id", "missing or not a string") }
        guard InstrumentCatalog.entry(id) != nil else {
            throw fail("id", "\"\(id)\" is not in InstrumentCatalog.entries")
        }
        guard fileName == "\(id).json" else { throw fail("id", "\"\(id)\" does not match the file name") }

        if id.hasSuffix("_kit") {
            var kit: [Int: Drum] = [:]
            for key in object.keys.sorted() where !["id", "name", "drums"].contains(key) {
                throw fail(key, "unknown field (a kit has id, name, drums)")
            }
            guard let drums = object["drums"] as? [String: Any], !drums.isEmpty else {
                throw fail("drums", "missing or not an object of GM percussion number -> drum")
            }
            for (numberText, value) in drums.sorted(by: { $0.key < $1.key }) {
                guard let number = Int(numberText), drumNumbers.contains(number) else {
                    throw fail("drums.\(numberText)", "not a General MIDI percussion number 35...82")
                }
                guard let fields = value as? [String: Any] else {
                    throw fail("drums.\(numberText)", "must be an object")
                }
                let values = try numbers(fields, definitions: drumParameters, prefix: "drums.\(numberText).",
                                         skipping: ["name"], fail: fail)
                kit[number] = Drum(values: values)
            }
            return (id, .kit(kit))
        }

        func choice(_ field: String, _ names: [String: Int], default defaultName: String) throws -> Int32 {
            guard let raw = object[field] else { return Int32(names[defaultName]!) }
            guard let name = raw as? String, let v = names[name] else {
                throw fail(field, "value \(raw) is not one of \(names.keys.sorted().joined(separator: ", "))")
            }
            return Int32(v)
        }
        let engine = try choice("engine", engineNames, default: "subtractive")
        let wave1 = try choice("wave1", waveNames, default: "saw")
        let wave2 = try choice("wave2", waveNames, default: "saw")
        let filter = try choice("filter", filterNames, default: "none")
        let values = try numbers(object, definitions: voiceParameters, prefix: "",
                                 skipping: ["id", "name", "engine", "wave1", "wave2", "filter"], fail: fail)
        return (id, .voice(Voice(engine: engine, wave1: wave1, wave2: wave2, filter: filter, values: values)))
    }

    /// Validates the numeric fields of `object` against `definitions`; unknown fields are errors. Returns one value
    /// per definition, in its order (the default where the preset says nothing).
    private static func numbers(_ object: [String: Any], definitions: [ParameterDefinition], prefix: String,
                                skipping: Set<String>,
                                fail: (String, String) -> InstrumentPresetError) throws -> [Double] {
        var values = definitions.map(\.defaultValue)
        for (key, raw) in object.sorted(by: { $0.key < $1.key }) where !skipping.contains(key) {
            guard let index = definitions.firstIndex(where: { $0.identifier == key }) else {
                throw fail(prefix + key, "unknown field")
            }
            let definition = definitions[index]
            // JSON true/false also arrive as NSNumber; their Objective-C type is "c" (char).
            guard let number = raw as? NSNumber, String(cString: number.objCType) != "c" else {
                throw fail(prefix + key, "value \(raw) is not a number")
            }
            let v = number.doubleValue
            guard v.isFinite, definition.range.contains(v) else {
                throw fail(prefix + key, "value \(v) is outside \(definition.range.lowerBound)...\(definition.range.upperBound) \(definition.unit)")
            }
            values[index] = v
        }
        return values
    }
}
