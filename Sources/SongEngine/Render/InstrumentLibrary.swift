import Foundation

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
    /// One melodic instrument: the enumerations and every numeric field (defaults filled in).
    struct Voice: Sendable, Hashable {
        var engine: Int32
        var wave1: Int32
        var wave2: Int32
        var filter: Int32
        var values: [String: Double]

        func value(_ identifier: String) -> Double {
            if let v = values[identifier] { return v }
            return InstrumentLibrary.voiceParameters.first { $0.identifier == identifier }!.defaultValue
        }
    }

    /// One drum of a kit.
    struct Drum: Sendable, Hashable {
        var values: [String: Double]

        func value(_ identifier: String) -> Double {
            if let v = values[identifier] { return v }
            return InstrumentLibrary.drumParameters.first { $0.identifier == identifier }!.defaultValue
        }
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

    /// Every numeric field of a melodic instrument preset.
    public static let voiceParameters: [ParameterDefinition] = [
        ParameterDefinition("osc2Level", default: 0, range: 0...1, unit: "fraction", "level of oscillator 2"),
        ParameterDefinition("osc2Detune", default: 0, range: -100...100, unit: "cents", "detune of oscillator 2"),
        ParameterDefinition("osc2Octave", default: 0, range: -2...2, unit: "octaves", "octave of oscillator 2"),
        ParameterDefinition("subLevel", default: 0, range: 0...1, unit: "fraction", "sine one octave below"),
        ParameterDefinition("noiseLevel", default: 0, range: 0...1, unit: "fraction", "noise (breath, air)"),
        ParameterDefinition("pulseWidth", default: 0.5, range: 0.05...0.95, unit: "fraction", "square duty cycle"),
        ParameterDefinition("unisonDetune", default: 0, range: 0...50, unit: "cents",
                            "detuned copy of each oscillator (width)"),
        ParameterDefinition("fmRatio", default: 1, range: 0.125...16, unit: "ratio", "modulator/carrier frequency"),
        ParameterDefinition("fmIndex", default: 0, range: 0...20, unit: "index", "peak FM modulation index"),
        ParameterDefinition("fmIndexDecayDuration", default: 1, range: 0.005...20, unit: "seconds",
                            "time for the FM index to fall to 37%"),
        ParameterDefinition("fmFeedback", default: 0, range: 0...1, unit: "fraction", "modulator self-feedback"),
        ParameterDefinition("pluckDamping", default: 0.3, range: 0...1, unit: "fraction",
                            "string damping: higher is darker and shorter"),
        ParameterDefinition("pluckBrightness", default: 0.6, range: 0...1, unit: "fraction",
                            "brightness of the pluck excitation"),
        ParameterDefinition("additivePartials", default: 8, range: 1...32, unit: "count", "number of partials"),
        ParameterDefinition("additiveRolloff", default: 1, range: 0...4, unit: "exponent",
                            "partial n has amplitude 1/n^rolloff"),
        ParameterDefinition("additiveDecayDuration", default: 0, range: 0...20, unit: "seconds",
                            "decay of the partials, upper ones faster (0 = organ-like sustain)"),
        ParameterDefinition("cutoff", default: 8000, range: 20...20000, unit: "Hz", "filter cutoff"),
        ParameterDefinition("resonance", default: 0.1, range: 0...1, unit: "fraction", "filter resonance"),
        ParameterDefinition("filterEnvelopeAmount", default: 0, range: -8...8, unit: "octaves",
                            "how far the filter envelope opens the cutoff"),
        ParameterDefinition("keyTracking", default: 0, range: 0...1, unit: "fraction",
                            "how much the cutoff follows the note"),
        ParameterDefinition("velocityToCutoff", default: 0, range: 0...4, unit: "octaves",
                            "cutoff opening at full velocity"),
        ParameterDefinition("drive", default: 1, range: 1...8, unit: "factor", "saturation (1 = clean)"),
        ParameterDefinition("ampAttackDuration", default: 0.005, range: 0...10, unit: "seconds", "amplitude attack"),
        ParameterDefinition("ampDecayDuration", default: 0.3, range: 0...20, unit: "seconds", "amplitude decay"),
        ParameterDefinition("ampSustain", default: 0.8, range: 0...1, unit: "fraction", "amplitude sustain level"),
        ParameterDefinition("ampReleaseDuration", default: 0.2, range: 0.001...10, unit: "seconds",
                            "amplitude release"),
        ParameterDefinition("filterAttackDuration", default: 0.005, range: 0...10, unit: "seconds", "filter attack"),
        ParameterDefinition("filterDecayDuration", default: 0.3, range: 0...20, unit: "seconds", "filter decay"),
        ParameterDefinition("filterSustain", default: 0.5, range: 0...1, unit: "fraction", "filter sustain level"),
        ParameterDefinition("filterReleaseDuration", default: 0.2, range: 0.001...10, unit: "seconds",
                            "filter release"),
        ParameterDefinition("vibratoRate", default: 5, range: 0...12, unit: "Hz", "vibrato rate"),
        ParameterDefinition("vibratoDepth", default: 0, range: 0...100, unit: "cents", "vibrato depth"),
        ParameterDefinition("vibratoDelayDuration", default: 0.3, range: 0...5, unit: "seconds",
                            "time before the vibrato fades in"),
        ParameterDefinition("glideDuration", default: 0, range: 0...2, unit: "seconds",
                            "pitch glide from the previous note (0 = none)"),
        ParameterDefinition("gain", default: 0, range: -40...12, unit: "dB", "output level"),
        ParameterDefinition("chorusMix", default: 0, range: 0...1, unit: "fraction",
                            "part chorus for stereo width (0 = none)"),
        ParameterDefinition("chorusRate", default: 0.4, range: 0.05...5, unit: "Hz", "chorus modulation rate"),
        ParameterDefinition("chorusDepth", default: 0.004, range: 0...0.02, unit: "seconds",
                            "chorus modulation depth"),
    ]

    /// Every numeric field of one drum of a kit.
    public static let drumParameters: [ParameterDefinition] = [
        ParameterDefinition("tune", default: 0, range: -12...12, unit: "semitones",
                            "pitch relative to the drum's natural pitch"),
        ParameterDefinition("decay", default: 1, range: 0.25...4, unit: "factor", "multiplier of the natural decay"),
        ParameterDefinition("tone", default: 0.5, range: 0...1, unit: "fraction", "dark and soft (0) to bright (1)"),
        ParameterDefinition("drive", default: 1, range: 1...8, unit: "factor", "saturation (1 = clean)"),
        ParameterDefinition("gain", default: 0, range: -40...12, unit: "dB", "level"),
        ParameterDefinition("pan", default: 0, range: -1...1, unit: "position", "left (-1) to right (1) in the kit"),
    ]

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

    /// Validates the numeric fields of `object` against `definitions`; unknown fields are errors.
    private static func numbers(_ object: [String: Any], definitions: [ParameterDefinition], prefix: String,
                                skipping: Set<String>,
                                fail: (String, String) -> InstrumentPresetError) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for definition in definitions { values[definition.identifier] = definition.defaultValue }
        for (key, raw) in object.sorted(by: { $0.key < $1.key }) where !skipping.contains(key) {
            guard let definition = definitions.first(where: { $0.identifier == key }) else {
                throw fail(prefix + key, "unknown field")
            }
            // JSON true/false also arrive as NSNumber; their Objective-C type is "c" (char).
            guard let number = raw as? NSNumber, String(cString: number.objCType) != "c" else {
                throw fail(prefix + key, "value \(raw) is not a number")
            }
            let v = number.doubleValue
            guard v.isFinite, definition.range.contains(v) else {
                throw fail(prefix + key, "value \(v) is outside \(definition.range.lowerBound)...\(definition.range.upperBound) \(definition.unit)")
            }
            values[key] = v
        }
        return values
    }
}
