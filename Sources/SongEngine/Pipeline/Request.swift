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

    /// Checks every rule of the contract that needs no image bytes; throws the first violation.
    public func validate() throws(RequestError) {
        if case .url(let text) = image {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil
            else { throw RequestError(field: "image_url", message: "must be an http(s) URL, got \"\(text.prefix(80))\"") }
        }
        if prompt.count > Self.maxPromptLength {
            throw RequestError(field: "prompt", message: "must be at most \(Self.maxPromptLength) characters, got \(prompt.count)")
        }
        if lyrics.count > Self.maxLyricsLength {
            throw RequestError(field: "lyrics", message: "must be at most \(Self.maxLyricsLength) characters, got \(lyrics.count)")
        }
        if negativeTags.count > Self.maxNegativeTagsLength {
            throw RequestError(field: "negative_tags",
                               message: "must be at most \(Self.maxNegativeTagsLength) characters, got \(negativeTags.count)")
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

    /// Whether this request asks for a sung vocal.
    public var wantsVocals: Bool { !makeInstrumental }

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
