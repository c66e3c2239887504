/// `manifest.json`: what a render produced, with paths relative to the manifest (contract §3).
public struct Manifest: Codable, Sendable {
    public struct Files: Codable, Sendable {
        /// Format name ("mp3", "wav", ...) -> path.
        public var mix: [String: String]
        public var instrumental: [String: String]?
        public var vocals: [String: String]?
        public var midi: String
        /// The timed lyrics as an LRC file beside the manifest (sung renders only).
        public var lrc: String?
    }

    public struct Loudness: Codable, Sendable {
        public var integratedLUFS: Double
        public var truePeakDBTP: Double

        enum CodingKeys: String, CodingKey {
            case integratedLUFS = "integrated_lufs"
            case truePeakDBTP = "true_peak_dbtp"
        }
    }

    public struct Word: Codable, Sendable, Hashable {
        public var text: String
        public var start: Int
        public var end: Int
    }

    public struct LyricLine: Codable, Sendable, Hashable {
        public var index: Int
        public var text: String
        public var start: Int
        public var end: Int
        public var words: [Word]
    }

    /// The master's match EQ (issue 11, `SpectrumMatch`): the style's target at third-octave band centres,
    /// placed at the mix's level, the mix's band levels before the EQ, and the EQ's peaking-filter gains per pass
    /// (before the limiter, and the correction after it when one was needed). dB.
    public struct Spectrum: Codable, Sendable {
        public var bandsHz: [Double]
        public var targetDB: [Double]
        public var beforeDB: [Double]
        public var eqHz: [Double]
        public var eqDB: [[Double]]

        enum CodingKeys: String, CodingKey {
            case bandsHz = "bands_hz"
            case targetDB = "target_db"
            case beforeDB = "before_db"
            case eqHz = "eq_hz"
            case eqDB = "eq_db"
        }
    }

    public struct Version: Codable, Sendable {
        public var conversionId: String
        public var seed: UInt64
        public var key: String
        public var bpm: Int
        public var style: String
        public var duration: Double
        public var sampleRate: Int
        public var files: Files
        public var lyrics: String?
        public var lyricsTimestamped: [LyricLine]?
        public var loudness: Loudness
        /// Present when the style states a target spectrum.
        public var spectrum: Spectrum? = nil

        enum CodingKeys: String, CodingKey {
            case conversionId = "conversion_id"
            case seed, key, bpm, style, duration
            case sampleRate = "sample_rate"
            case files, lyrics
            case lyricsTimestamped = "lyrics_timestamped"
            case loudness, spectrum
        }
    }

    public struct Analysis: Codable, Sendable {
        public var features: ImageFeatures
        /// What the picture shows (`SceneReader`): the things found, most confident first.
        public var scene: [SceneThing]
        public var decisions: [String: Decision]
        /// The decisions in the order they were taken.
        public var decisionOrder: [String]

        enum CodingKeys: String, CodingKey {
            case features, scene, decisions
            case decisionOrder = "decision_order"
        }

        public init(features: ImageFeatures, scene: [SceneThing] = [], decisions: [String: Decision],
                    decisionOrder: [String]) {
            self.features = features
            self.scene = scene
            self.decisions = decisions
            self.decisionOrder = decisionOrder
        }

        /// Manifests stored before the scene existed (issue 12) read with an empty one.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            features = try c.decode(ImageFeatures.self, forKey: .features)
            scene = try c.decodeIfPresent([SceneThing].self, forKey: .scene) ?? []
            decisions = try c.decode([String: Decision].self, forKey: .decisions)
            decisionOrder = try c.decode([String].self, forKey: .decisionOrder)
        }
    }

    public var taskId: String
    public var title: String
    public var cover: String
    public var coverThumbnail: String
    public var analysis: Analysis
    public var versions: [Version]
    /// Notes on what this render could not honour (e.g. vocals before the singing engine exists).
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case taskId = "task_id"
        case title, cover
        case coverThumbnail = "cover_thumbnail"
        case analysis, versions, notes
    }
}
