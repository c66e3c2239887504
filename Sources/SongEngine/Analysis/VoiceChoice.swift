/// Which base singer sings: asked for in the prompt ("male vocals", "female singer"), fixed when a catalog voice
/// converts the vocal (the catalog's shifts are measured from the female base), or read from the image: light,
/// bright, happy pictures get the higher female voice, dark and heavy ones the lower male voice.
enum VoiceChoice {
    static let femaleWords: Set<String> = ["female", "woman", "women", "girl", "girls", "soprano", "alto", "she", "her"]
    static let maleWords: Set<String> = ["male", "man", "men", "boy", "boys", "baritone", "bass", "tenor", "he", "his", "guy"]

    static func choose(prompt: String, voiceId: String, valence: Double, brightness: Double, lightness: Double)
        -> (VoiceBase, String)
    {
        if !voiceId.isEmpty {
            return (.female, "voice_id \(voiceId) converts the vocal; catalog shifts are measured from the female base singer")
        }
        let words = Set(prompt.lowercased().split { !$0.isLetter }.map(String.init))
        let female = !words.isDisjoint(with: femaleWords), male = !words.isDisjoint(with: maleWords)
        if female != male {
            return female ? (.female, "the prompt asks for a female voice") : (.male, "the prompt asks for a male voice")
        }
        // 0...1: lightness weighs most (it also sets the register), then valence and brightness.
        let score = 0.5 * min(1, max(0, (lightness - 20) / 60)) + 0.3 * (valence + 1) / 2 + 0.2 * brightness
        let reason = String(format: "from the image: lightness %.0f, valence %+.2f, brightness %.2f -> %.2f (>= 0.45 female, higher; below, male)",
                            lightness, valence, brightness, score)
        return (score >= 0.45 ? .female : .male, reason)
    }
}
