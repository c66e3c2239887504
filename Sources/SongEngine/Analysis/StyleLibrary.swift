import Foundation

/// A preset file that cannot be used: names the file, the field, the offending value and what is allowed.
public struct StylePresetError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var field: String
    public var value: String
    public var allowed: String

    public init(file: String, field: String, value: String, allowed: String) {
        self.file = file
        self.field = field
        self.value = value
        self.allowed = allowed
    }

    public var description: String { "\(file): field \"\(field)\" is \(value); allowed: \(allowed)" }
}

/// The style presets (`presets/styles/*.json`), decoded into `StylePreset` and validated on load.
public struct StyleLibrary: Sendable {
    public var styles: [StylePreset]

    public init(styles: [StylePreset]) {
        self.styles = styles
    }

    public func style(id: String) -> StylePreset? { styles.first { $0.id == id } }

    /// Section names a form may use (SectionPlan's vocabulary).
    public static let sectionNames: Set<String> = ["intro", "verse", "pre_chorus", "chorus", "bridge", "breakdown", "outro"]
    /// Roles a style assigns instruments to (vocals are added by the request, not the style).
    public static let styleRoles: [Role] = [.lead, .chords, .pad, .bass, .arp, .drums]
    /// Instrument families that suit each role.
    public static let familiesForRole: [Role: Set<String>] = [
        .drums: ["drums"],
        .bass: ["bass"],
        .lead: ["lead", "synth", "keys", "guitar", "mallet"],
        .chords: ["keys", "guitar", "pad", "synth", "mallet"],
        .pad: ["pad", "keys"],
        .arp: ["synth", "mallet", "keys", "guitar", "lead"],
    ]

    /// Loads and validates every `*.json` in `directory`, sorted by file name. Throws `StylePresetError` for the
    /// first bad file, and when the directory holds no preset.
    public static func load(from directory: URL) throws -> StyleLibrary {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw StylePresetError(file: directory.path, field: "(directory)", value: "unreadable",
                                   allowed: "a readable directory of style presets (*.json)")
        }
        guard !names.isEmpty else {
            throw StylePresetError(file: directory.path, field: "(directory)", value: "empty",
                                   allowed: "at least one style preset (*.json)")
        }
        var styles: [StylePreset] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw StylePresetError(file: name, field: "(file)", value: "unreadable", allowed: "a readable JSON file")
            }
            let style = try decode(data, file: name)
            if let other = styles.first(where: { $0.id == style.id }) {
                throw StylePresetError(file: name, field: "id", value: "\"\(style.id)\"",
                                       allowed: "a unique id (already used by \(other.name))")
            }
            styles.append(style)
        }
        return StyleLibrary(styles: styles)
    }

    /// Decodes and validates one preset file's contents; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> StylePreset {
        // Closed vocabularies are checked on the raw JSON first so the message can quote the bad value.
        guard let raw = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw StylePresetError(file: file, field: "(document)", value: "not a JSON object",
                                   allowed: "a JSON object with the fields of a style preset")
        }
        // The same vocabularies at the top level and in `alternate` (named "alternate.<field>" there).
        let vocabularies = [("drumPattern", StylePreset.DrumPattern.allCases.map(\.rawValue)),
                            ("chordPattern", StylePreset.ChordPattern.allCases.map(\.rawValue)),
                            ("bassPattern", StylePreset.BassPattern.allCases.map(\.rawValue))]
        for (object, prefix) in [(raw, ""), ((raw["alternate"] as? [String: Any]) ?? [:], "alternate.")] {
            for (field, cases) in vocabularies {
                if let v = object[field], !(v is String && cases.contains(v as! String)) {
                    throw StylePresetError(file: file, field: prefix + field, value: "\(quoted(v))",
                                           allowed: "one of \(cases.joined(separator: ", "))")
                }
            }
        }

        if let v = raw["harmony"], !(v is String && HarmonyVocabulary(rawValue: v as! String) != nil) {
            throw StylePresetError(file: file, field: "harmony", value: "\(quoted(v))",
                                   allowed: "one of \(HarmonyVocabulary.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        let style: StylePreset
        do {
            style = try JSONDecoder().decode(StylePreset.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw StylePresetError(file: file, field: path, value: "missing", allowed: "required field")
        } catch let DecodingError.typeMismatch(type, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw StylePresetError(file: file, field: path, value: "of the wrong type", allowed: "\(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw StylePresetError(file: file, field: path, value: "null", allowed: "\(type)")
        } catch {
            throw StylePresetError(file: file, field: "(document)", value: "undecodable (\(error))",
                                   allowed: "a style preset")
        }
        try validate(style, file: file)
        return style
    }

    static func quoted(_ v: Any) -> String { v is String ? "\"\(v)\"" : "\(v)" }

    /// Checks every field against its definition; throws for the first violation.
    public static func validate(_ s: StylePreset, file: String) throws {
        func fail(_ field: String, _ value: String, _ allowed: String) -> StylePresetError {
            StylePresetError(file: file, field: field, value: value, allowed: allowed)
        }
        let stem = (file as NSString).deletingPathExtension
        if s.id.isEmpty || s.id != stem && file.hasSuffix(".json") {
            throw fail("id", "\"\(s.id)\"", "the file name without .json (\"\(stem)\")")
        }
        if s.keywords.isEmpty || s.keywords.contains(where: { PromptInterpreter.words($0).isEmpty }) {
            throw fail("keywords", "\(s.keywords)", "a non-empty list of words naming the style")
        }
        for (field, v) in [("valence", s.valence), ("arousal", s.arousal)] where !(v >= -1 && v <= 1) {
            throw fail(field, "\(v)", "-1...1 (unitless)")
        }
        for (field, v) in [("tempoMin", s.tempoMin), ("tempoMax", s.tempoMax)] where !(40...240).contains(v) {
            throw fail(field, "\(v)", "40...240 bpm")
        }
        if s.tempoMin > s.tempoMax {
            throw fail("tempoMax", "\(s.tempoMax)", "\(s.tempoMin)...240 bpm (at least tempoMin)")
        }
        if s.form.isEmpty { throw fail("form", "[]", "a non-empty list of sections") }
        for (i, name) in s.form.enumerated() {
            if !sectionNames.contains(name) {
                throw fail("form[\(i)]", "\"\(name)\"", "one of \(sectionNames.sorted().joined(separator: ", "))")
            }
            guard let bars = s.sectionBars[name] else {
                throw fail("sectionBars.\(name)", "missing", "1...32 bars for every section in form")
            }
            if !(1...32).contains(bars) { throw fail("sectionBars.\(name)", "\(bars)", "1...32 bars") }
        }
        for (name, bars) in s.sectionBars.sorted(by: { $0.key < $1.key }) {
            if !sectionNames.contains(name) {
                throw fail("sectionBars.\(name)", "\"\(name)\"", "one of \(sectionNames.sorted().joined(separator: ", "))")
            }
            if !(1...32).contains(bars) { throw fail("sectionBars.\(name)", "\(bars)", "1...32 bars") }
        }
        let roleNames = styleRoles.map(\.rawValue)
        if s.instruments.isEmpty { throw fail("instruments", "{}", "at least one role with an instrument") }
        for (roleName, id) in s.instruments.sorted(by: { $0.key < $1.key }) {
            guard let role = Role(rawValue: roleName), styleRoles.contains(role) else {
                throw fail("instruments.\(roleName)", "a role \"\(roleName)\"", "roles \(roleNames.joined(separator: ", "))")
            }
            guard let entry = InstrumentCatalog.entry(id) else {
                throw fail("instruments.\(roleName)", "\"\(id)\"",
                           "an InstrumentCatalog id: \(InstrumentCatalog.entries.map(\.id).joined(separator: ", "))")
            }
            let families = familiesForRole[role]!
            if !families.contains(entry.family) {
                let fitting = InstrumentCatalog.entries.filter { families.contains($0.family) }.map(\.id)
                throw fail("instruments.\(roleName)", "\"\(id)\" (family \(entry.family))",
                           "for role \(roleName): \(fitting.joined(separator: ", "))")
            }
        }
        if (s.drumPattern == .none) != (s.instruments["drums"] == nil) {
            throw fail("drumPattern", "\"\(s.drumPattern.rawValue)\"",
                       s.instruments["drums"] == nil ? "\"none\" when no drums instrument is set"
                                                      : "a pattern other than \"none\" when a drums kit is set")
        }
        for (key, value) in s.parameters.sorted(by: { $0.key < $1.key }) {
            guard let def = StylePreset.parameterDefinitions.first(where: { $0.identifier == key }) else {
                throw fail("parameters.\(key)", "an unknown parameter",
                           StylePreset.parameterDefinitions.map(\.identifier).joined(separator: ", "))
            }
            if !(value >= def.range.lowerBound && value <= def.range.upperBound) {
                throw fail("parameters.\(key)", "\(value)",
                           "\(def.range.lowerBound)...\(def.range.upperBound) \(def.unit)")
            }
        }
        let percussion = "a General MIDI percussion number the engine plays (35...82)"
        for (from, to) in (s.drumSubstitutes ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let number = Int(from), DrumMap.kind(number) != nil else {
                throw fail("drumSubstitutes.\(from)", "a key \"\(from)\"", percussion)
            }
            if DrumMap.kind(to) == nil { throw fail("drumSubstitutes.\(from)", "\(to)", percussion) }
        }
        if let spectrum = s.targetSpectrum {
            let allowed = "a frequency in Hz (20...20000) as text with a level in dB (-40...20); at least 3 points"
            if spectrum.count < 3 { throw fail("targetSpectrum", "\(spectrum.count) points", allowed) }
            for (hz, db) in spectrum.sorted(by: { $0.key < $1.key }) {
                guard let f = Double(hz), f >= 20, f <= 20_000 else {
                    throw fail("targetSpectrum.\(hz)", "a key \"\(hz)\"", allowed)
                }
                if !(db >= -40 && db <= 20) { throw fail("targetSpectrum.\(hz)", "\(db)", allowed) }
            }
        }
        if let a = s.alternate {
            for roleName in (a.instruments ?? [:]).keys.sorted() where s.instruments[roleName] == nil {
                throw fail("alternate.instruments.\(roleName)", "a role the style does not play",
                           "roles of instruments: \(s.instruments.keys.sorted().joined(separator: ", "))")
            }
            // The alternate must itself be a valid style (same rules), named by its own fields in errors.
            do {
                try validate(s.alternated, file: file)
            } catch let e as StylePresetError {
                throw StylePresetError(file: e.file, field: "alternate.\(e.field)", value: e.value, allowed: e.allowed)
            }
        }
        for (roleName, m) in s.mix.sorted(by: { $0.key < $1.key }) {
            guard Role(rawValue: roleName) != nil else {
                throw fail("mix.\(roleName)", "a role \"\(roleName)\"",
                           "roles \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let checks: [(String, Double, ClosedRange<Double>, String)] = [
                ("gain", m.gain, -40...12, "dB"), ("pan", m.pan, -1...1, "(left -1 ... right +1)"),
                ("reverb", m.reverb, 0...1, "fraction"), ("delay", m.delay, 0...1, "fraction"),
            ]
            for (field, v, range, unit) in checks where !(v >= range.lowerBound && v <= range.upperBound) {
                throw fail("mix.\(roleName).\(field)", "\(v)", "\(range.lowerBound)...\(range.upperBound) \(unit)")
            }
        }
    }

    // MARK: - Finding the presets

    /// The `presets/styles` folder: `$CHROMASONG_PRESETS/styles` when that variable names the presets folder;
    /// else walking up from this source file to the package root (the folder with Package.swift); else next to
    /// the executable (`../share/chromasong/presets`, or `presets` in it or up to 4 parent folders).
    public static func defaultDirectory() -> URL? {
        let fm = FileManager.default
        func isDir(_ url: URL) -> Bool {
            var d: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
        }
        if let env = ProcessInfo.processInfo.environment["CHROMASONG_PRESETS"], !env.isEmpty {
            let url = URL(fileURLWithPath: env).appendingPathComponent("styles")
            if isDir(url) { return url }
        }
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" && !dir.path.isEmpty {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                let url = dir.appendingPathComponent("presets/styles")
                if isDir(url) { return url }
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            let bin = exe.deletingLastPathComponent()
            let share = bin.appendingPathComponent("../share/chromasong/presets/styles").standardizedFileURL
            if isDir(share) { return share }
            var d = bin
            for _ in 0...4 {
                let url = d.appendingPathComponent("presets/styles")
                if isDir(url) { return url.standardizedFileURL }
                d = d.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// Loads the library from `defaultDirectory()`.
    public static func loadDefault() throws -> StyleLibrary {
        guard let dir = defaultDirectory() else {
            throw StylePresetError(file: "presets/styles", field: "(directory)", value: "not found",
                                   allowed: "set CHROMASONG_PRESETS to the presets folder")
        }
        return try load(from: dir)
    }
}
