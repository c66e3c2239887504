/// Titles a song from what the picture and the plan say: a colour or light word, and a noun from the mood and the
/// style ("Golden Meadow", "Slate Rain Hours"). Deterministic per seed.
enum TitleMaker {
    static func title(colourNames: [String], valence: Double, arousal: Double, lightness: Double, warmth: Double,
                      style: String, prompt: String, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed).fork("title")
        // The colour word: the second word of a palette name ("deep blue" -> "Blue"), or a light word.
        let colourWords = colourNames.compactMap { $0.split(separator: " ").last.map(String.init) }
        let lightWords: [String]
        if lightness > 65 {
            lightWords = ["Bright", "Pale", "Sunlit", "Morning", "Silver"]
        } else if lightness < 35 {
            lightWords = ["Midnight", "Shadow", "Dusky", "Night", "Deep"]
        } else {
            lightWords = ["Quiet", "Open", "Hazy", "Half-Lit"]
        }
        let warmWords: [String]
        if warmth > 0.2 {
            warmWords = ["Amber", "Ember", "Golden", "Honey"]
        } else if warmth < -0.2 {
            warmWords = ["Cobalt", "Glacier", "Tidal", "Frost"]
        } else {
            warmWords = []
        }
        var adjectives = lightWords + warmWords
        if let colour = colourWords.first { adjectives += [colour.capitalized, colour.capitalized] }

        let calmNouns = ["Drift", "Haze", "Lull", "Tide", "Hours", "Field", "Still", "Reverie"]
        let brightNouns = ["Skies", "Bloom", "Summer", "Parade", "Rush", "Lights", "Wings", "Spark"]
        let darkNouns = ["Rain", "Storm", "Hollow", "Echoes", "Embers", "Weather", "Undertow", "Nocturne"]
        let nouns: [String]
        if valence < -0.15 {
            nouns = darkNouns
        } else {
            nouns = arousal > 0.2 ? brightNouns : calmNouns
        }

        // A word of the prompt may give the noun: the longest word of 4-10 letters that is not a style word.
        let words: [String] = prompt.split(whereSeparator: { !$0.isLetter }).map(String.init)
        let candidates: [String] = words.filter { word in
            (4...10).contains(word.count) && !stopWords.contains(word.lowercased())
        }
        let promptWord: String? = candidates.max { (a: String, b: String) -> Bool in
            a.count != b.count ? a.count < b.count : a > b
        }

        let adjective = adjectives[rng.int(in: 0...(adjectives.count - 1))]
        let noun = promptWord.map { $0.capitalized } ?? nouns[rng.int(in: 0...(nouns.count - 1))]
        return adjective == noun ? noun : "\(adjective) \(noun)"
    }

    static let stopWords: Set<String> = [
        "track", "song", "music", "generate", "inspired", "scene", "with", "make", "style", "relaxing", "acoustic",
        "energetic", "tempo", "that", "this", "from", "some", "like", "song", "instrumental", "please", "beat", "drums",
    ]
}
