/// What a prompt says the song is about (issue 12): "a song about sailing home across the sea to my family" has the
/// topic "sailing home across the sea to my family"; "upbeat electronic dance track" has none (style and mood words
/// steer the music, not the words). The topic becomes the chorus's opening lines (the hook) and the title.
struct LyricTopic {
    /// The topic as the user wrote it (lower case, no leading "a song about"); nil when the prompt has none.
    var phrase: String?
    /// The topic cut into singable lines of at most 9 syllables, at prepositions and conjunctions.
    var hookLines: [String] = []
    var title: String?

    /// Words that open the topic once removed ("a song about", "write me a song for").
    static let openers = ["about", "of", "for", "called", "titled", "named"]
    /// Words a line may break before.
    static let breaks: Set<String> = ["to", "across", "on", "in", "with", "from", "at", "through", "for", "by", "and",
                                      "after", "before", "under", "over", "into", "while", "when", "where", "of"]
    /// Words that open the topic's clause: "a song about ...", "a lullaby for ...".
    static let songWords: Set<String> = ["song", "songs", "track", "tune", "ballad", "anthem", "lullaby", "music", "piece"]
    /// Words that make a clause a direction for the singer, not a topic: "female vocals", "sung by a man", "deep male
    /// voice", "children's choir" (`VoiceChoice` reads the voice from them). A clause that also names the song
    /// ("a song about the voice of the sea") is still a topic; there "sung" ends the clause ("my dog sung by a man").
    static let voiceDirection: Set<String> = ["vocals", "vocal", "voice", "voices", "singer", "singers", "vocalist",
                                              "sung", "choir"]
    /// The prompt's clauses as words (lower case; letters, digits and apostrophes; ASCII), without the clauses that
    /// direct the singer, each cut at "sung". What the song is about is read from these.
    static func clauses(of prompt: String) -> [[String]] {
        prompt.lowercased().split(whereSeparator: { ",;.!?\n".contains($0) })
            .map { clause -> [String] in
                let words = clause.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "'") })
                    .map(String.init).filter { $0.allSatisfy(\.isASCII) }
                return directsTheSinger(words) ? [] : Array(words.prefix { $0 != "sung" })
            }
            .filter { !$0.isEmpty }
    }
    static func directsTheSinger(_ clause: [String]) -> Bool {
        let namesTheSong = clause.first == "about" || clause.contains(where: { songWords.contains($0) })
        return !namesTheSong && clause.contains(where: { voiceDirection.contains($0) })
    }
    static let small: Set<String> = ["a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "and", "by", "from",
                                     "across", "into", "over", "under"]

    init(prompt: String, pronouncer: any Pronouncing) {
        // The prompt's clauses (letters, digits and apostrophes), as many as it takes to hold two topic words: "our
        // wedding day, dancing with my wife under the lights" needs both. A clause end is a line break.
        let clauses = Self.clauses(of: prompt)
        var words: [String] = []
        var clauseStarts = Set<Int>()
        for clause in clauses {
            let content = words.filter { !LyricsWordBank.promptStopWords.contains($0) && !Self.breaks.contains($0) }
            if content.count >= 3 { break }
            if !words.isEmpty { clauseStarts.insert(words.count) }
            words += clause
        }
        // "... a song about X" -> X: everything after the first opener that follows a song word.
        func drop(_ k: Int) {
            words.removeFirst(k)
            clauseStarts = Set(clauseStarts.map { $0 - k }.filter { $0 > 0 })
        }
        var named = false  // the prompt says what the song is about ("a song about X", "about X")
        if let s = words.firstIndex(where: { Self.songWords.contains($0) }) {
            if let o = words[(s + 1)...].firstIndex(where: { Self.openers.contains($0) }) {
                named = words[o] != "of"  // "a song of ..." may be "in the style of ..."
                drop(o + 1)
            } else {
                drop(s + 1)
            }
        } else if words.first == "about" {
            drop(1)
            named = true
        }
        // Leading articles and trailing style words go; a topic needs two words that are not style or function words,
        // or one when the prompt names it ("a song about my dog").
        while let f = words.first, ["a", "an", "the"].contains(f) { drop(1) }
        while let l = words.last, LyricsWordBank.promptStopWords.contains(l) || Self.breaks.contains(l) { words.removeLast() }
        let content = words.filter { !LyricsWordBank.promptStopWords.contains($0) && !Self.breaks.contains($0) }
        guard content.count >= (named ? 1 : 2), words.count <= 16 else { return }
        phrase = words.joined(separator: " ")

        // Lines of at most 9 syllables, broken before a preposition or conjunction where possible.
        func syllables(_ ws: ArraySlice<String>) -> Int {
            ws.reduce(0) { $0 + max(1, pronouncer.pronounce(line: $1).syllableCount) }
        }
        var lines: [[String]] = []
        var start = 0
        while start < words.count {
            var end = start + 1
            while end < words.count && !clauseStarts.contains(end) && syllables(words[start...end]) <= 9 { end += 1 }
            if end < words.count && !clauseStarts.contains(end) && end > start + 2 {
                // Step back to the last break word after the first two words, if there is one.
                if let b = (start + 2..<end).last(where: { Self.breaks.contains(words[$0]) }) { end = b }
            }
            lines.append(Array(words[start..<end]))
            start = end
        }
        hookLines = lines.prefix(3).map { line in
            var text = line.joined(separator: " ")
            if syllables(line[...]) < 5 { text = "oh, " + text + ", oh" }
            return text.prefix(1).uppercased() + text.dropFirst()
        }
        let titleWords = lines[0].prefix(6).enumerated().map { i, w in
            i > 0 && Self.small.contains(w) ? w : w.prefix(1).uppercased() + w.dropFirst()
        }
        title = titleWords.joined(separator: " ")
    }
}

// The prompt's words the verses sing as images (`LyricsWriter`), read here beside the topic so that the fuzz
// target `topic` (scripts/fuzz-swift.sh) reads them from untrusted prompts too.
extension LyricTopic {
    /// Words of a prompt sung as images: lower-cased letters only, 3-12 letters, not a style, tempo or function
    /// word, and not shaped like an adverb or adjective (-ly, -ous, -ful, -ive, -ic, -ed, -ish, -less, -able); the
    /// clauses that direct the singer ("sung by a man") are not read (`clauses(of:)`).
    static func promptImages(_ prompt: String) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for w in promptLetterRuns(prompt).joined() {
            guard (3...12).contains(w.count), w.allSatisfy({ $0.isASCII }), !LyricsWordBank.promptStopWords.contains(w)
            else { continue }
            if ["ly", "ous", "ful", "ive", "ic", "ed", "ish", "less", "able", "ing"].contains(where: { w.hasSuffix($0) }) {
                continue
            }
            if seen.insert(w).inserted { out.append(w) }
        }
        return Array(out.prefix(6))
    }

    /// The prompt's words as `promptImages` and `promptDeterminers` read them: `clauses(of:)` (the singer's
    /// directions left out), each word cut into runs of letters ("dog's" -> "dog", "s"), per clause.
    static func promptLetterRuns(_ prompt: String) -> [[String]] {
        clauses(of: prompt).map { clause in
            clause.flatMap { $0.split(whereSeparator: { !$0.isLetter }).map(String.init) }
        }
    }

    /// The determiner each prompt image is sung with where the prompt gives one: "my", "our" or "your" just before
    /// it, or one word before it ("my little sister" -> "my sister", "our wedding day" -> "our wedding"), so that
    /// "Dreaming of the sister" becomes "Dreaming of my sister"; "home" takes none ("from home", not "from the
    /// home"). Words without an entry keep the template's "the".
    static func promptDeterminers(_ prompt: String, images: [String]) -> [String: String] {
        let imageSet = Set(images)
        var out: [String: String] = [:]
        for words in promptLetterRuns(prompt) {
            for (i, w) in words.enumerated() where imageSet.contains(w) && out[w] == nil {
                if w == "home" { out[w] = ""; continue }
                for back in 1...2 where i - back >= 0 {
                    let d = words[i - back]
                    if ["my", "our", "your"].contains(d) { out[w] = d; break }
                    if imageSet.contains(d) { break }  // "my dog's ball": the ball is not "my ball"
                }
            }
        }
        return out
    }
}
