import Foundation

/// Where the image comes from: exactly one of a file, a URL, or bytes already in memory (the server's upload).
public enum ImageSource: Sendable, Hashable {
    case file(String)
    case url(String)
    case bytes(Data)

    /// A command-line argument: an http(s) URL (any case) or else a file path.
    public init(pathOrURL text: String) {
        let lower = text.lowercased()
        self = lower.hasPrefix("http://") || lower.hasPrefix("https://") ? .url(text) : .file(text)
    }
}

/// Encoded as `{"file": path}`, `{"url": text}` or `{"bytes": base64}`.
extension ImageSource: Codable {
    private enum CodingKeys: String, CodingKey { case file, url, bytes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let path = try c.decodeIfPresent(String.self, forKey: .file) {
            self = .file(path)
        } else if let url = try c.decodeIfPresent(String.self, forKey: .url) {
            self = .url(url)
        } else if let bytes = try c.decodeIfPresent(Data.self, forKey: .bytes) {
            self = .bytes(bytes)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "an image needs one of file, url, bytes"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .file(let path): try c.encode(path, forKey: .file)
        case .url(let url): try c.encode(url, forKey: .url)
        case .bytes(let bytes): try c.encode(bytes, forKey: .bytes)
        }
    }
}

/// Audio formats a render can deliver.
public enum AudioFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case mp3, wav, flac, ogg
}

/// One request, with the contract's parameter names (§1). Build it, call `validate()` (the engine does), render.
public struct SongRequest: Sendable, Hashable {
    public var image: ImageSource
    public var prompt: String
    public var lyrics: String
    public var negativeTags: String
    public var makeInstrumental: Bool
    public var vocalOnly: Bool
    /// "C major", "A minor", "F# minor", "Bb major", "c#m", ...; empty = chosen from the image.
    public var key: String
    /// 0 = chosen from the image; else 40...240.
    public var bpm: Int
    public var voiceId: String
    /// Reproducible output; nil = derived from the image bytes and the other parameters.
    public var seed: UInt64?
    /// Seconds, 10...600; nil = the style's natural form.
    public var duration: Double?
    /// 1...4.
    public var versions: Int
    public var formats: [AudioFormat]

    public init(image: ImageSource, prompt: String = "", lyrics: String = "", negativeTags: String = "",
                makeInstrumental: Bool = false, vocalOnly: Bool = false, key: String = "", bpm: Int = 0,
                voiceId: String = "", seed: UInt64? = nil, duration: Double? = nil, versions: Int = 2,
                formats: [AudioFormat] = [.mp3, .wav]) {
        self.image = image
        self.prompt = prompt
        self.lyrics = lyrics
        self.negativeTags = negativeTags
        self.makeInstrumental = makeInstrumental
        self.vocalOnly = vocalOnly
        self.key = key
        self.bpm = bpm
        self.voiceId = voiceId
        self.seed = seed
        self.duration = duration
        self.versions = versions
        self.formats = formats
    }

    public static let maxPromptLength = 300
    public static let maxLyricsLength = 3000
    public static let maxNegativeTagsLength = 300
    public static let bpmRange = 40...240
    public static let durationRange = 10.0...600.0
    public static let versionsRange = 1...4
    /// The longest song, seconds of form (bars x 240 / bpm), lyrics included: the user's lyrics decide the form, so
    /// `ChromasongEngine.validate` refuses words that cannot be sung within it at the request's tempo.
    public static let maxSongSeconds = 600.0

    /// The text fields' limits, counted in Unicode scalars (a grapheme count lets one "character" carry any number
    /// of combining marks) with a UTF-8 byte cap checked first (O(1), so an oversized value is refused unread).
    public static let textLimits: [TextLimit] = [
        TextLimit(field: "prompt", scalars: maxPromptLength),
        TextLimit(field: "lyrics", scalars: maxLyricsLength),
        TextLimit(field: "negative_tags", scalars: maxNegativeTagsLength),
        TextLimit(field: "key", scalars: 40),
        TextLimit(field: "voice_id", scalars: 64),
        TextLimit(field: "image_url", scalars: 2048),
    ]

    /// The limit of one text field by its contract name (see `textLimits`).
    public static func textLimit(_ field: String) -> TextLimit? { textLimits.first { $0.field == field } }

    /// The value of a text field by its contract name.
    func text(of field: String) -> String {
        switch field {
        case "prompt": return prompt
        case "lyrics": return lyrics
        case "negative_tags": return negativeTags
        case "key": return key
        case "voice_id": return voiceId
        case "image_url": if case .url(let text) = image { return text } else { return "" }
        default: return ""
        }
    }

    /// Checks every rule of the contract that needs no image bytes; throws the first violation.
    public func validate() throws(RequestError) {
        // Sizes first: nothing below scans a value that is over its limit.
        for limit in Self.textLimits { try limit.check(text(of: limit.field)) }
        if case .url(let text) = image {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil
            else { throw RequestError(field: "image_url", message: "must be an http(s) URL, got \"\(text.prefix(80))\"") }
        }
        if makeInstrumental && vocalOnly {
            throw RequestError(field: "make_instrumental", message: "cannot be true together with vocal_only")
        }
        if !key.trimmingCharacters(in: .whitespaces).isEmpty && Key.parse(key) == nil {
            throw RequestError(field: "key", message: "\"\(key)\" is not a key; accepted: \(Key.acceptedForms)")
        }
        if bpm != 0 && !Self.bpmRange.contains(bpm) {
            throw RequestError(field: "bpm", message: "must be 0 (automatic) or 40...240, got \(bpm)")
        }
        if !voiceId.isEmpty && vocalOnly {
            throw RequestError(field: "voice_id", message: "cannot be used with vocal_only")
        }
        if let duration, !(Self.durationRange.contains(duration)) || !duration.isFinite {
            throw RequestError(field: "duration", message: "must be 10...600 seconds, got \(duration)")
        }
        if !Self.versionsRange.contains(versions) {
            throw RequestError(field: "versions", message: "must be 1...4, got \(versions)")
        }
        if formats.isEmpty {
            throw RequestError(field: "formats", message: "must name at least one of mp3, wav, flac, ogg")
        }
    }

    /// The parsed key, or nil for automatic. Call after `validate()`.
    public var parsedKey: Key? { Key.parse(key) }

    /// Whether this request asks for a sung vocal: not `make_instrumental`, and not "instrumental" or "no vocals"
    /// in the prompt or the negative tags (`PromptInterpreter.refusesVocals`), unless `vocal_only` asks for it.
    public var wantsVocals: Bool { !makeInstrumental && (vocalOnly || vocalsRefused == nil) }

    /// The prompt's or negative tags' words that ask for no singing (nil when none do, or with `vocal_only`).
    public var vocalsRefused: String? {
        vocalOnly || makeInstrumental ? nil : PromptInterpreter.refusesVocals(prompt: prompt, negativeTags: negativeTags)
    }

    /// Parses the `formats` parameter: "mp3,wav", any case, spaces allowed.
    public static func parseFormats(_ text: String) throws(RequestError) -> [AudioFormat] {
        var formats: [AudioFormat] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }) {
            guard let format = AudioFormat(rawValue: part.lowercased()) else {
                throw RequestError(field: "formats", message: "\"\(part)\" is not one of mp3, wav, flac, ogg")
            }
            if !formats.contains(format) { formats.append(format) }
        }
        if formats.isEmpty { throw RequestError(field: "formats", message: "must name at least one of mp3, wav, flac, ogg") }
        return formats
    }

    /// Parses a contract boolean: true/false/1/0/yes/no, any case.
    public static func parseBool(_ text: String, field: String) throws(RequestError) -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw RequestError(field: field, message: "must be a boolean (true/false/1/0/yes/no), got \"\(text.prefix(40))\"")
        }
    }
}

/// A limit on a text field: at most `scalars` Unicode scalars and `bytes` bytes of UTF-8 (by default 4 per scalar,
/// the most one scalar takes, so the byte cap only refuses what the scalar count would refuse too, but in O(1)).
public struct TextLimit: Sendable, Hashable {
    public var field: String
    public var scalars: Int
    public var bytes: Int

    public init(field: String, scalars: Int, bytes: Int? = nil) {
        self.field = field
        self.scalars = scalars
        self.bytes = bytes ?? 4 * scalars
    }

    /// `webhook_url` (checked by the server, which alone takes it).
    public static let webhookURL = TextLimit(field: "webhook_url", scalars: 2048)

    /// Throws a `RequestError` naming the field when `text` is over either cap.
    public func check(_ text: String) throws(RequestError) {
        let byteCount = text.utf8.count
        if byteCount > bytes {
            throw RequestError(field: field, message: "must be at most \(scalars) characters (Unicode scalars) and \(bytes) "
                + "bytes of UTF-8, got \(byteCount) bytes")
        }
        let scalarCount = text.unicodeScalars.count
        if scalarCount > scalars {
            throw RequestError(field: field, message: "must be at most \(scalars) characters (Unicode scalars, each "
                + "combining mark counting as one), got \(scalarCount)")
        }
    }
}

/// A rejected request or input: the field, and the rule it broke, in one sentence.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The contract's 422: a rule about a field's value.
        case invalid
        /// The contract's 413: the input is larger than allowed.
        case tooLarge
    }

    public var field: String
    public var message: String
    public var kind: Kind

    public init(field: String, message: String, kind: Kind = .invalid) {
        self.field = field
        self.message = message
        self.kind = kind
    }

    public var description: String { "\(field): \(message)" }
}

/// How long the user's lyrics make a song: the form LyricForm fits to them (an instrumental intro and outro, each
/// sung section's lines at 2 or more bars, empty tags as instrumental sections) at the tempo the plan will use.
public struct LyricsLength: Sendable, Hashable {
    /// Seconds of form at `bpm`, the longest over the styles the plan may choose.
    public var seconds: Double
    /// The tempo assumed: the request's `bpm`, else the prompt's "N bpm", else the slowest tempo the automatic choice
    /// can take for the styles the negative tags leave (so the real song is never longer than `seconds`).
    public var bpm: Int
    public var tempoIsAutomatic: Bool
    /// The slowest tempo from `bpm` up at which the words fit `SongRequest.maxSongSeconds`; nil when none does.
    public var fittingBpm: Int?
}

extension ChromasongEngine {
    /// The length the request's own lyrics give its song, or nil when it sings none (instrumental, no lyrics, or
    /// nothing singable). Parses and pronounces the lyrics as the planner will (the pronunciations are cached).
    public func lyricsLength(_ request: SongRequest) -> LyricsLength? {
        guard request.wantsVocals, let (lyrics, pronounced) = Planner.singableLyrics(request.lyrics) else { return nil }
        let reading = PromptInterpreter.read(prompt: request.prompt, negativeTags: request.negativeTags, styles: styles)
        // The planner picks its style among those the negative tags leave (all of them when they leave none).
        let allowed = styles.styles.filter { !reading.excludedStyles.contains($0.id) }
        let pool = allowed.isEmpty ? styles.styles : allowed
        guard !pool.isEmpty else { return nil }
        let bpm: Int
        var automatic = false
        if request.bpm != 0 {
            bpm = request.bpm
        } else if let promptBpm = reading.bpm {
            bpm = promptBpm
        } else {
            // Planner step 4: the style's range at a position >= -0.15, after the prompt's tempo word, in 40...240.
            automatic = true
            bpm = pool.map { style -> Int in
                let slowest = Planner.tempo(Double(style.tempoMin) - 0.15 * Double(style.tempoMax - style.tempoMin),
                                            reading: reading)
                return Int(min(240, max(40, slowest.rounded())))
            }.min() ?? SongRequest.bpmRange.lowerBound
        }
        // The instrumental sections (intro, outro, empty tags) take the style's bars whatever the tempo; the sung
        // ones take their lines' bars at the tempo, whatever the style. So fit once per style, then per tempo only
        // the sung sections are counted again.
        var instrumentalBars = 0
        var sung: [(lines: Int, said: [PronouncedLine])] = []
        for style in pool {
            let fit = LyricForm.fit(lyrics: lyrics, pronounced: pronounced, bpm: bpm, style: style)
            var bars = 0
            sung = []
            for (i, section) in fit.lyrics.sections.enumerated() {
                if section.lines.isEmpty { bars += fit.names[i].1 } else { sung.append((section.lines.count, fit.pronounced[i])) }
            }
            instrumentalBars = max(instrumentalBars, bars)
        }
        func seconds(at bpm: Int) -> Double {
            let rhythm = VocalRhythm(bpm: bpm)
            let sungBars = sung.reduce(0) { $0 + LyricForm.sectionBars($1.said, lineCount: $1.lines, rhythm: rhythm) }
            return Double(instrumentalBars + sungBars) * 240 / Double(bpm)
        }
        let length = seconds(at: bpm)
        var fitting: Int?
        if length <= SongRequest.maxSongSeconds {
            fitting = bpm
        } else {
            fitting = (bpm + 1...SongRequest.bpmRange.upperBound).first { seconds(at: $0) <= SongRequest.maxSongSeconds }
        }
        return LyricsLength(seconds: length, bpm: bpm, tempoIsAutomatic: automatic, fittingBpm: fitting)
    }

    /// Refuses lyrics whose song would last longer than `SongRequest.maxSongSeconds` (a 422 naming `lyrics`).
    func checkSongLength(_ request: SongRequest) throws(RequestError) {
        guard let length = lyricsLength(request), length.seconds > SongRequest.maxSongSeconds else { return }
        let limit = Int(SongRequest.maxSongSeconds)
        let tempo = length.tempoIsAutomatic
            ? "\(length.bpm) bpm (the slowest tempo the automatic choice may take)" : "\(length.bpm) bpm"
        let remedy = length.fittingBpm.map { "shorten them or set a faster bpm (they fit at \($0) bpm)" }
            ?? "shorten them (every line takes at least 2 bars; they do not fit at any tempo up to 240 bpm)"
        throw RequestError(field: "lyrics", message: "these words make a song of \(Int(length.seconds.rounded())) s at "
            + "\(tempo), longer than the \(limit) s a song may last; \(remedy)")
    }
}

/// One request type for every layer (issue 10): the CLI and the server build a `SongRequest`, the task store keeps
/// one (`TaskRequest` wraps it with what only the server needs), and a render worker receives one. Encoded with
/// the Swift names below; a missing field takes `init`'s default, and an unknown format name is skipped, so a
/// stored request written by an older version still decodes.
extension SongRequest: Codable {
    enum CodingKeys: String, CodingKey {
        case image, prompt, lyrics, negativeTags, makeInstrumental, vocalOnly, key, bpm, voiceId, seed, duration,
             versions, formats
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SongRequest(image: .file(""))
        self.init(image: try c.decodeIfPresent(ImageSource.self, forKey: .image) ?? defaults.image,
                  prompt: try c.decodeIfPresent(String.self, forKey: .prompt) ?? defaults.prompt,
                  lyrics: try c.decodeIfPresent(String.self, forKey: .lyrics) ?? defaults.lyrics,
                  negativeTags: try c.decodeIfPresent(String.self, forKey: .negativeTags) ?? defaults.negativeTags,
                  makeInstrumental: try c.decodeIfPresent(Bool.self, forKey: .makeInstrumental) ?? defaults.makeInstrumental,
                  vocalOnly: try c.decodeIfPresent(Bool.self, forKey: .vocalOnly) ?? defaults.vocalOnly,
                  key: try c.decodeIfPresent(String.self, forKey: .key) ?? defaults.key,
                  bpm: try c.decodeIfPresent(Int.self, forKey: .bpm) ?? defaults.bpm,
                  voiceId: try c.decodeIfPresent(String.self, forKey: .voiceId) ?? defaults.voiceId,
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
                  duration: try c.decodeIfPresent(Double.self, forKey: .duration),
                  versions: try c.decodeIfPresent(Int.self, forKey: .versions) ?? defaults.versions,
                  formats: try c.decodeIfPresent([String].self, forKey: .formats)?.compactMap(AudioFormat.init(rawValue:))
                      ?? defaults.formats)
    }

    public func encode(to encoder: any Encoder) throws {
        try encodeWithoutImage(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(image, forKey: .image)
    }

    /// Every field but the image, into `encoder`'s keyed container: for a store that keeps the image apart (the
    /// server's task store keeps it as a file of its own; see `TaskRequest`). Public, not `package`: the fuzz
    /// targets compile the server's sources outside SwiftPM, without its package name.
    public func encodeWithoutImage(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(lyrics, forKey: .lyrics)
        try c.encode(negativeTags, forKey: .negativeTags)
        try c.encode(makeInstrumental, forKey: .makeInstrumental)
        try c.encode(vocalOnly, forKey: .vocalOnly)
        try c.encode(key, forKey: .key)
        try c.encode(bpm, forKey: .bpm)
        try c.encode(voiceId, forKey: .voiceId)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(duration, forKey: .duration)
        try c.encode(versions, forKey: .versions)
        try c.encode(formats.map(\.rawValue), forKey: .formats)
    }
}
