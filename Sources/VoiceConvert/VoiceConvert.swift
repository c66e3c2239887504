// VoiceConvert: the voice catalog (presets/voices/*.json) and, with issue 4, the conversion of a sung vocal to
// another voice by the C core's pitch and formant shifter. This file holds the catalog: loading, validation
// against one definition per tunable, and lookup and search as `chromasong voices` and the server's
// getAllVoices/searchVoices need them.
import Foundation

/// The definition of one tunable of a voice: identifier, default, range, unit.
public struct VoiceParameterDefinition: Sendable, Hashable {
    public var identifier: String
    public var defaultValue: Double
    public var range: ClosedRange<Double>
    public var unit: String
    public var summary: String
}

/// The tunables of a voice: the typed keys of `Voice`, each with its one definition.
public enum VoiceParameter: String, CaseIterable, Sendable {
    case pitchShift, formantShift, tilt, breath, vibratoRate, vibratoDepth

    public var definition: VoiceParameterDefinition {
        switch self {
        case .pitchShift:
            VoiceParameterDefinition(identifier: rawValue, defaultValue: 0, range: -12...12, unit: "semitones",
                                     summary: "how far the sung line moves")
        case .formantShift:
            VoiceParameterDefinition(identifier: rawValue, defaultValue: 0, range: -6...6, unit: "semitones",
                                     summary: "how far the spectral envelope (vocal tract size) moves, independent of pitch")
        case .tilt:
            VoiceParameterDefinition(identifier: rawValue, defaultValue: 0, range: -6...6, unit: "dB/octave",
                                     summary: "spectral tilt above 1 kHz: dark (negative) to bright (positive)")
        case .breath:
            VoiceParameterDefinition(identifier: rawValue, defaultValue: 0.1, range: 0...1, unit: "fraction",
                                     summary: "level of breath noise under the voice")
        case .vibratoRate:
            VoiceParameterDefinition(identifier: rawValue, defaultValue: 5.5, range: 3...8, unit: "Hz",
                                     summary: "vibrato speed")
        case .vibratoDepth:
            VoiceParameterDefinition(identifier: rawValue, defaultValue: 30, range: 0...100, unit: "cents",
                                     summary: "vibrato depth")
        }
    }
}

/// One voice of the catalog. Ids are stable strings: clients store them.
public struct Voice: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var description: String
    /// Validated tunables by identifier (every definition present, defaults filled in).
    public var parameters: [String: Double]

    /// A tunable by its typed key (the default when the preset leaves it out).
    public subscript(_ parameter: VoiceParameter) -> Double {
        parameters[parameter.rawValue] ?? parameter.definition.defaultValue
    }

    /// A tunable by name, for callers that hold one as text; nil for a name that is not a tunable.
    public func value(_ identifier: String) -> Double? {
        VoiceParameter(rawValue: identifier).map { self[$0] }
    }
}

/// A voice preset that breaks a rule: the file, the field, the value and what is allowed.
public struct VoicePresetError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// The catalog of voices, loaded once and validated.
public struct VoiceCatalog: Sendable {
    public private(set) var voices: [Voice]

    public static let parameterDefinitions: [VoiceParameterDefinition] = VoiceParameter.allCases.map(\.definition)

    public static func definition(_ identifier: String) -> VoiceParameterDefinition? {
        parameterDefinitions.first { $0.identifier == identifier }
    }

    public init(voices: [Voice]) { self.voices = voices }

    /// Loads every `*.json` of a folder (sorted by id). Each must hold id, name, description and parameters; ids
    /// are lower-case letters, digits, '-' or '_', unique, and equal to the file name; every parameter is a defined
    /// one within its range.
    public static func load(from directory: URL) throws -> VoiceCatalog {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        var voices: [Voice] = []
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            voices.append(try decode(data, file: file))
        }
        var seen = Set<String>()
        for v in voices where !seen.insert(v.id).inserted {
            throw VoicePresetError(file: "\(v.id).json", message: "id \"\(v.id)\" is used twice")
        }
        if voices.isEmpty { throw VoicePresetError(file: directory.path, message: "no voice presets found") }
        return VoiceCatalog(voices: voices.sorted { $0.id < $1.id })
    }

    static func decode(_ data: Data, file: String) throws -> Voice {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VoicePresetError(file: file, message: "is not a JSON object")
        }
        func string(_ key: String) throws -> String {
            guard let s = object[key] as? String, !s.isEmpty else {
                throw VoicePresetError(file: file, message: "field \"\(key)\" must be a non-empty string")
            }
            return s
        }
        let id = try string("id")
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard id.allSatisfy({ allowed.contains($0) }) else {
            throw VoicePresetError(file: file, message: "field \"id\" = \"\(id)\" may hold only a-z, 0-9, '-' and '_'")
        }
        guard file == "\(id).json" else {
            throw VoicePresetError(file: file, message: "field \"id\" = \"\(id)\" must match the file name")
        }
        for key in object.keys where !["id", "name", "description", "parameters"].contains(key) {
            throw VoicePresetError(file: file, message: "unknown field \"\(key)\"")
        }
        let raw = object["parameters"] as? [String: Any] ?? [:]
        var parameters: [String: Double] = [:]
        for (key, value) in raw {
            guard let definition = definition(key) else {
                throw VoicePresetError(file: file, message: "unknown parameter \"\(key)\"; known: "
                    + parameterDefinitions.map(\.identifier).joined(separator: ", "))
            }
            guard let number = (value as? NSNumber)?.doubleValue, number.isFinite, definition.range.contains(number) else {
                throw VoicePresetError(file: file, message: "field \"parameters.\(key)\" = \(value) is outside "
                    + "\(definition.range.lowerBound)...\(definition.range.upperBound) \(definition.unit)")
            }
            parameters[key] = number
        }
        for d in parameterDefinitions where parameters[d.identifier] == nil { parameters[d.identifier] = d.defaultValue }
        return Voice(id: id, name: try string("name"), description: try string("description"), parameters: parameters)
    }

    public func voice(id: String) -> Voice? { voices.first { $0.id == id } }

    /// Voices whose id, name or description contains every word of the query (case-insensitive).
    public func search(_ query: String) -> [Voice] {
        let words = query.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "," })
        guard !words.isEmpty else { return voices }
        return voices.filter { v in
            let text = "\(v.id) \(v.name) \(v.description)".lowercased()
            return words.allSatisfy { text.contains($0) }
        }
    }
}
