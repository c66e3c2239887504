/// What a person would name in the picture (issue 12): the things found, each with how sure the reader is, the
/// measurements that made it say so, where it is, and the colour it has. Written into the manifest as
/// `analysis.scene`; read by the lyric stage (words, imagery, title) and the planner (sound choices).
public struct SceneThing: Codable, Sendable, Hashable {
    /// One of `Scene.vocabulary`.
    public var tag: String
    /// 0...1; only things at `Scene.foundConfidence` or more are listed.
    public var confidence: Double
    /// The measurements behind it, in words ("top edge 100% smooth blue or pale; 41% of the picture").
    public var evidence: String
    /// "above", "below", "centre", "left", "right" or "everywhere": where the thing's cells lie.
    public var location: String
    /// Its colour by name (`ColourNames`), when the thing has one worth singing ("blue", "orange").
    public var colour: String?

    enum CodingKeys: String, CodingKey {
        case tag, confidence, evidence, colour
        case location = "where"
    }

    public init(tag: String, confidence: Double, evidence: String, location: String, colour: String? = nil) {
        self.tag = tag
        self.confidence = confidence
        self.evidence = evidence
        self.location = location
        self.colour = colour
    }
}

public struct Scene: Codable, Sendable, Hashable {
    /// Found things, most confident first.
    public var things: [SceneThing]

    public init(things: [SceneThing]) {
        self.things = things.sorted { ($0.confidence, $1.tag) > ($1.confidence, $0.tag) }
    }

    /// The tags the reader can name (issue 12's list). "person", "face" and "animal" are in the vocabulary but not
    /// found yet: they need a trained detector (docs/picture.md).
    public static let vocabulary = [
        "sky", "clouds", "sun", "sunset", "night", "stars", "moon", "water", "sea", "lake", "rain", "sand", "desert",
        "snow", "grass", "trees", "forest", "flowers", "mountains", "buildings", "street", "city_lights", "person",
        "face", "animal", "central_subject",
    ]

    /// Confidence from which a thing counts as found.
    public static let foundConfidence = 0.5

    public func thing(_ tag: String) -> SceneThing? { things.first { $0.tag == tag } }
    public func has(_ tag: String) -> Bool { thing(tag) != nil }
    public func confidence(_ tag: String) -> Double { thing(tag)?.confidence ?? 0 }
}
