// Why one file of 480 lines: the templates, their slot filling and the rhyme choice are one algorithm over shared
// state (used words, rhyme groups); issue 12 moves lyric writing into its own stage, which will split it.

/// Writes lyrics for a song when the user gave none: one section per `plan.form` section (index-aligned), lines of
/// 6-9 syllables from grammatical templates whose slots hold the image's colours, light, warmth, motion and mood
/// and the prompt's words, end rhymes chosen from rhyme groups that the pronouncer builds at run time. Rules in
/// docs/vocals.md ("Lyrics"). Deterministic per seed.
public enum LyricsWriter {
    /// Sung syllables per written line.
    public static let syllableRange = 6...9
    /// Sections sung without words.
    public static let instrumentalKinds: Set<String> = ["intro", "outro", "breakdown"]

    public enum RhymeScheme: String, Sendable, Codable {
        case aabb = "AABB"
        case abab = "ABAB"
    }

    /// Two lines of one section whose last words are meant to rhyme.
    public struct RhymePair: Sendable, Hashable, Codable {
        public var first: Int
        public var second: Int
    }

    /// The lyrics and how they were built: per section the rhyme scheme (nil when instrumental or one line) and the
    /// line pairs meant to rhyme.
    public struct Draft: Sendable {
        public var lyrics: Lyrics
        public var schemes: [RhymeScheme?]
        public var rhymePairs: [[RhymePair]]
        /// The prompt's topic as the song sings it, when the prompt has one (`LyricTopic`).
        public var topic: String?
    }

    public static func write(features: ImageFeatures, scene: Scene = Scene(things: []), plan: MusicPlan, prompt: String,
                             pronouncer: any Pronouncing, seed: UInt64) -> Lyrics {
        draft(features: features, scene: scene, plan: plan, prompt: prompt, pronouncer: pronouncer, seed: seed).lyrics
    }

    public static func draft(features: ImageFeatures, scene: Scene = Scene(things: []), plan: MusicPlan, prompt: String,
                             pronouncer: any Pronouncing, seed: UInt64) -> Draft {
        var writer = Writer(features: features, scene: scene, plan: plan, prompt: prompt, pronouncer: pronouncer,
                            seed: seed)
        return writer.run()
    }

    /// Lines a sung section gets: one per 2 bars, at least one.
    public static func lineCount(bars: Int) -> Int { max(1, bars / 2) }
}

/// A pronouncer that returns one fixed pronunciation: lets the shared `rhymeKey` read a cached word.
private struct FixedPronunciation: Pronouncing {
    var line: PronouncedLine
    func pronounce(line _: String) -> PronouncedLine { line }
}

private struct Writer {
    struct Group {
        var key: String
        var words: [LyricsWordBank.EndWord]
        var weights: [Double]
        /// Words the picture argues against at a line's end: a colour it does not have, or a word of a scene it does
        /// not show while it shows others. Sung only when the group has no other word left (`pickGroup`).
        var unfit: [Bool]
    }

    let plan: MusicPlan
    let pronouncer: any Pronouncing
    var rng: SeededGenerator
    var cache: [String: PronouncedLine] = [:]
    let mood: String
    let use: [String: String] = ["verse": "verse", "pre_chorus": "verse", "chorus": "chorus", "bridge": "bridge"]
    // Slot words with weights.
    var colours: [(String, Double)] = []
    var lights: [String] = []
    var elements: [String] = []
    var motions: [String] = []
    var feelings: [String] = []
    var promptWords: [String] = []
    /// What a prompt word is sung with instead of "the": "my" for "my little sister", nothing for "home".
    var promptDeterminers: [String: String] = [:]
    var imageTags: [String: Double] = [:]
    /// Found things (issue 12): tag -> confidence, and `$S` phrases ("orange flowers") with their weights.
    var sceneTags: [String: Double] = [:]
    var scenePhrases: [(phrase: String, plural: Bool, weight: Double)] = []
    var elementWeights: [Double] = []
    /// The prompt's topic: hook lines for the chorus and a title.
    var topic: LyricTopic
    var usedLines = Set<String>()
    var groups: [Group] = []
    var usedWords = Set<String>()
    var usedGroups = Set<String>()
    var usedTemplates = Set<String>()
    var sectionTemplates = Set<String>()
    var promptSung = false
    /// The palette's colour words; until one is sung, lines with a colour slot are preferred.
    var paletteWords = Set<String>()
    var colourSung = false
    var titleColour: String?

    init(features f: ImageFeatures, scene: Scene, plan: MusicPlan, prompt: String, pronouncer: any Pronouncing,
         seed: UInt64) {
        self.plan = plan
        self.pronouncer = pronouncer
        topic = LyricTopic(prompt: prompt, pronouncer: pronouncer)
        // The image's own numbers join the seed, so two images differ even under one seed.
        var h = stableHash(Array("\(f.meanLightness) \(f.warmth) \(f.edgeDensity) \(f.colourfulness)".utf8), seed: seed)
        h = stableHash(Array(prompt.utf8), seed: h)
        rng = SeededGenerator(seed: h).fork("lyrics")
        mood = plan.valence > 0.15 ? "happy" : plan.valence < -0.15 ? "sad" : "any"

        // Colours: the palette's names, weighted by share.
        var tags: [String: Double] = [:]
        for p in f.palette {
            let c = LyricsWordBank.colour(forPaletteName: p.name)
            if let i = colours.firstIndex(where: { $0.0 == c.word }) {
                colours[i].1 += p.share
            } else {
                colours.append((c.word, p.share))
            }
            tags[c.family, default: 0] += 4 * p.share + 0.5
        }
        if colours.isEmpty { colours = [("silver", 1)] }
        paletteWords = Set(colours.map(\.0))
        titleColour = f.palette.map { LyricsWordBank.colour(forPaletteName: $0.name) }
            .first { !["black", "white", "grey"].contains($0.family) }?.word
        let shares = colours.reduce(0) { $0 + $1.1 }
        colours = colours.map { ($0.0, 0.8 * $0.1 / shares) }
        let moodAdjectives = f.meanLightness > 62 ? LyricsWordBank.brightAdjectives
            : f.meanLightness < 38 ? LyricsWordBank.darkAdjectives : LyricsWordBank.midAdjectives
        colours += moodAdjectives.map { ($0, 0.2 / Double(moodAdjectives.count)) }
        // Light.
        if f.meanLightness > 62 {
            lights = LyricsWordBank.brightLight
            tags["bright", default: 0] += 1.5
        } else if f.meanLightness < 38 {
            lights = LyricsWordBank.darkLight
            tags["dark", default: 0] += 1.5
        } else {
            lights = LyricsWordBank.midLight
        }
        // Warmth.
        if f.warmth > 0.15 {
            elements = LyricsWordBank.warmElements
            tags["warm", default: 0] += 1.5
        } else if f.warmth < -0.15 {
            elements = LyricsWordBank.coolElements
            tags["cool", default: 0] += 1.5
        } else {
            elements = LyricsWordBank.mildElements
        }
        // Motion: arousal and the image's edges.
        let energy = 0.7 * (plan.arousal + 1) / 2 + 0.3 * min(1, f.edgeDensity * 4)
        if energy > 0.5 {
            motions = LyricsWordBank.fastMotion
            tags["energy", default: 0] += 1.5
        } else {
            motions = LyricsWordBank.slowMotion
            tags["calm", default: 0] += 1.5
        }
        // Mood.
        switch mood {
        case "happy":
            feelings = LyricsWordBank.happyFeelings
            tags["happy", default: 0] += 1.5
        case "sad":
            feelings = LyricsWordBank.sadFeelings
            tags["sad", default: 0] += 1.5
        default:
            feelings = Array(LyricsWordBank.happyFeelings.prefix(3) + LyricsWordBank.sadFeelings.prefix(3))
        }
        imageTags = tags
        promptWords = LyricTopic.promptImages(prompt)
        promptDeterminers = LyricTopic.promptDeterminers(prompt, images: promptWords)
        readScene(scene)
        buildGroups()
    }

    /// Colours not worth singing of a thing other than the sky and the clouds (a "grey street" says little).
    static let plainColours: Set<String> = ["black", "white", "silver", "grey"]

    /// The found things become slot words: `$E` elements, `$S` named things with their colours, `$L` times of
    /// light, `$C` colours, each weighted by its confidence; end words of the scene weigh more in `buildGroups`.
    mutating func readScene(_ scene: Scene) {
        for t in scene.things { sceneTags[t.tag] = t.confidence }
        var elementList: [(String, Double)] = []
        var lightList: [String] = []
        var thingColours: [(String, Double)] = []
        for t in scene.things {
            for e in LyricsWordBank.sceneElements[t.tag] ?? [] where !elementList.contains(where: { $0.0 == e }) {
                elementList.append((e, t.confidence))
            }
            lightList += (LyricsWordBank.sceneLight[t.tag] ?? []).filter { !lightList.contains($0) }
            if let name = LyricsWordBank.sceneNames[t.tag] {
                let colour = t.colour.flatMap { Self.plainColours.contains($0) && t.tag != "sky" && t.tag != "clouds" ? nil : $0 }
                let phrase = colour.map { "\($0) \(name)" } ?? name
                if !scenePhrases.contains(where: { $0.phrase == phrase }) {
                    scenePhrases.append((phrase, LyricsWordBank.pluralNames.contains(name), t.confidence))
                }
                if let colour, t.tag != "sky" || scene.things.count <= 2 { thingColours.append((colour, t.confidence)) }
            }
            // A subject's colour names the flowers when both were found ("the orange flowers").
            if t.tag == "central_subject", let colour = t.colour, scene.has("flowers"), !Self.plainColours.contains(colour) {
                scenePhrases.append(("\(colour) flowers", true, t.confidence + 0.2))
                thingColours.append((colour, t.confidence))
            }
        }
        if !elementList.isEmpty {
            elements = elementList.map(\.0)
            elementWeights = elementList.map(\.1)
        }
        if !lightList.isEmpty { lights = lightList }
        if !thingColours.isEmpty {
            // The found things' colours first (they are what the picture shows), then the palette's.
            let total = colours.reduce(0) { $0 + $1.1 }
            let thingTotal = thingColours.reduce(0) { $0 + $1.1 }
            colours = thingColours.map { ($0.0, 0.5 * $0.1 / thingTotal) } + colours.map { ($0.0, 0.5 * $0.1 / max(total, 1e-9)) }
            paletteWords.formUnion(thingColours.map(\.0))
            titleColour = thingColours.first?.0 ?? titleColour
        }
    }

    // MARK: - Pronunciation

    mutating func pronounced(_ word: String) -> PronouncedLine {
        if let p = cache[word] { return p }
        let p = pronouncer.pronounce(line: word)
        cache[word] = p
        return p
    }

    mutating func syllables(_ line: String) -> Int {
        line.split(separator: " ").reduce(0) { total, raw in
            let w = String(raw.filter { $0.isLetter || $0 == "'" }).lowercased()
            return total + (w.isEmpty ? 0 : pronounced(w).syllableCount)
        }
    }

    /// End words grouped by the pronouncer's rhyme key; groups of one word are dropped.
    mutating func buildGroups() {
        var words = LyricsWordBank.endWords
        for w in promptWords where !words.contains(where: { $0.word == w }) {
            words.append(.init(word: w, classes: ["obj"], tags: ["prompt"]))
        }
        var byKey: [String: [LyricsWordBank.EndWord]] = [:]
        for w in words {
            let p = pronounced(w.word)
            guard p.syllableCount > 0, let key = FixedPronunciation(line: p).rhymeKey(line: w.word) else { continue }
            byKey[key, default: []].append(w)
        }
        var tags = imageTags
        tags["prompt"] = 5
        for key in byKey.keys.sorted() {
            let members = byKey[key]!
            guard members.count >= 2 else { continue }
            // Words matching the image weigh more; words of the opposite light, temperature or mood much less
            // (no freezing fire in a warm picture).
            let opposite = ["warm": "cool", "cool": "warm", "bright": "dark", "dark": "bright", "happy": "sad",
                            "sad": "happy", "calm": "energy", "energy": "calm"]
            var unfit: [Bool] = []
            let weights = members.map { w -> Double in
                var fit = 1 + w.tags.reduce(0) { $0 + (tags[$1] ?? 0) }
                var argued = false
                let clash = w.tags.contains { opposite[$0].map { imageTags[$0] != nil } ?? false }
                if clash { fit *= 0.2 }
                // A colour the picture does not have is rare at a line's end ("the sky above is green").
                let golden = paletteWords.contains("golden") && ["gold", "yellow"].contains(w.word)
                if w.classes.contains("col") && !paletteWords.contains(w.word) && !golden {
                    fit *= 0.02
                    argued = true
                }
                // A word of a scene the picture does not show (a tide in a forest) is rare; of one it shows, common.
                if let needs = LyricsWordBank.sceneNeeds[w.word] {
                    let best = needs.map { sceneTags[$0] ?? 0 }.max() ?? 0
                    fit *= best > 0 ? 1 + 8 * best : sceneTags.isEmpty ? 0.3 : 0.02
                    if best == 0 && !sceneTags.isEmpty { argued = true }
                }
                unfit.append(argued)
                return fit
            }
            groups.append(Group(key: key, words: members, weights: weights, unfit: unfit))
        }
    }

    // MARK: - Song

    mutating func run() -> LyricsWriter.Draft {
        var sections: [LyricSection] = []
        var schemes: [LyricsWriter.RhymeScheme?] = []
        var pairs: [[LyricsWriter.RhymePair]] = []
        var repeated: [String: (lines: [String], scheme: LyricsWriter.RhymeScheme?, pairs: [LyricsWriter.RhymePair])] = [:]
        var verseNumber = 0
        var bridgeNumber = 0
        for s in plan.form {
            let kind = StyleLibrary.sectionNames.contains(s.name) ? s.name : "verse"
            let tag: String
            switch kind {
            case "verse":
                verseNumber += 1
                tag = "[Verse \(verseNumber)]"
            case "bridge":
                bridgeNumber += 1
                tag = bridgeNumber == 1 ? "[Bridge]" : "[Bridge \(bridgeNumber)]"
            case "pre_chorus": tag = "[Pre-Chorus]"
            default: tag = "[" + kind.prefix(1).uppercased() + kind.dropFirst() + "]"
            }
            if LyricsWriter.instrumentalKinds.contains(kind) {
                sections.append(LyricSection(kind: kind, tag: tag, lines: []))
                schemes.append(nil)
                pairs.append([])
                continue
            }
            let n = LyricsWriter.lineCount(bars: s.bars)
            // The chorus and the pre-chorus are written once and repeat; a longer one cycles its lines.
            if kind == "chorus" || kind == "pre_chorus" {
                if repeated[kind] == nil {
                    var made = section(kind: kind, count: n)
                    // The prompt's topic is the hook: the chorus opens with it (its rhyme pairs then start after).
                    if kind == "chorus" && !topic.hookLines.isEmpty {
                        let hook = Array(topic.hookLines.prefix(max(1, n - 1)))
                        made.lines.replaceSubrange(0..<min(hook.count, made.lines.count), with: hook.prefix(made.lines.count))
                        made.pairs = made.pairs.filter { $0.first >= hook.count && $0.second >= hook.count }
                        usedLines.formUnion(hook)
                    }
                    repeated[kind] = made
                }
                let base = repeated[kind]!
                let lines = (0..<n).map { base.lines[$0 % base.lines.count] }
                sections.append(LyricSection(kind: kind, tag: tag, lines: lines))
                schemes.append(n >= 2 ? base.scheme : nil)
                pairs.append(n == base.lines.count ? base.pairs : base.pairs.filter { $0.second < n })
                continue
            }
            var made = section(kind: kind, count: n)
            // The first verse opens on the picture itself: its found things named in one line ("The blue sky, the sea
            // and the golden grass"); that line rhymes with none.
            if kind == "verse" && verseNumber == 1 && n >= 2, let opening = sceneLine(), !usedLines.contains(opening) {
                made.lines[0] = opening
                made.pairs = made.pairs.filter { $0.first != 0 && $0.second != 0 }
                usedLines.insert(opening)
            }
            sections.append(LyricSection(kind: kind, tag: tag, lines: made.lines))
            schemes.append(made.scheme)
            pairs.append(made.pairs)
        }
        let hookLines = repeated["chorus"]?.lines ?? sections.first { !$0.lines.isEmpty }?.lines ?? []
        let lyrics = Lyrics(sections: sections, title: topic.title ?? sceneTitle() ?? title(hookLines: hookLines),
                            written: true)
        return LyricsWriter.Draft(lyrics: lyrics, schemes: schemes, rhymePairs: pairs, topic: topic.phrase)
    }

    /// Rhyme group of each line: AABB (pairs in order) or ABAB (alternate lines of each four); an odd line left over
    /// joins the group of the line before it.
    static func groupIndices(count n: Int, scheme: LyricsWriter.RhymeScheme) -> [Int] {
        var g: [Int] = []
        var next = 0
        var i = 0
        while i < n {
            let left = n - i
            if scheme == .abab && left >= 4 {
                g += [next, next + 1, next, next + 1]
                next += 2
                i += 4
            } else if left >= 2 {
                g += [next, next]
                next += 1
                i += 2
            } else {
                g.append(g.last ?? next)
                i += 1
            }
        }
        return g
    }

    mutating func section(kind: String, count n: Int)
        -> (lines: [String], scheme: LyricsWriter.RhymeScheme?, pairs: [LyricsWriter.RhymePair])
    {
        let scheme: LyricsWriter.RhymeScheme = n >= 4 && rng.chance(0.5) ? .abab : .aabb
        let gi = Self.groupIndices(count: n, scheme: scheme)
        var pairs: [LyricsWriter.RhymePair] = []
        var members: [Int: [Int]] = [:]
        for (line, g) in gi.enumerated() { members[g, default: []].append(line) }
        for g in members.keys.sorted() {
            let m = members[g]!
            for k in 1..<max(1, m.count) { pairs.append(.init(first: m[k - 1], second: m[k])) }
        }
        pairs.sort { ($0.first, $0.second) < ($1.first, $1.second) }

        var lines = [String](repeating: "", count: n)
        sectionTemplates = []
        // A pronouncer that knows no word leaves no rhyme groups: plain lines, still sung.
        guard !groups.isEmpty else {
            return ((0..<n).map { _ in LyricsWordBank.fallback(word: lights[rng.int(in: 0...(lights.count - 1))]) },
                    nil, [])
        }
        for g in members.keys.sorted() {
            let lineIndices = members[g]!
            let groupIndex = pickGroup(needing: lineIndices.count)
            var group = groups[groupIndex]
            usedGroups.insert(group.key)
            for line in lineIndices {
                // Try the group's unused words, best weighted first, until a line lands in 6-9 syllables.
                var best: (text: String, distance: Int, word: String)?
                for _ in 0..<4 {
                    let candidates = group.words.indices.filter { !usedWords.contains(group.words[$0].word) }
                    let fitting = candidates.filter { !group.unfit[$0] }
                    let pool = !fitting.isEmpty ? fitting : candidates.isEmpty ? Array(group.words.indices) : candidates
                    let wi = pool[rng.weightedIndex(pool.map { group.weights[$0] })]
                    let word = group.words[wi]
                    if let made = makeLine(ending: word, kind: kind), !usedLines.contains(made.text) {
                        if best == nil || made.distance < best!.distance { best = (made.text, made.distance, word.word) }
                        if made.distance == 0 { break }
                    }
                    group.weights[wi] *= 0.2  // try another word next
                }
                let chosen = best ?? (LyricsWordBank.fallback(word: group.words[0].word), 0, group.words[0].word)
                usedWords.insert(chosen.word)
                usedLines.insert(chosen.text)
                lines[line] = chosen.text
            }
        }
        return (lines, n >= 2 ? scheme : nil, pairs)
    }

    /// A rhyme group with at least `count` unused words the picture does not argue against (`Group.unfit`),
    /// weighted by how well its words fit the image; groups sung before count a tenth. When no group has them, the
    /// argued words count too; when none has enough unused words at all, any group.
    mutating func pickGroup(needing count: Int) -> Int {
        for allowUnfit in [false, true] {
            var weights: [Double] = []
            for g in groups {
                let fresh = g.words.indices.filter { !usedWords.contains(g.words[$0].word) && (allowUnfit || !g.unfit[$0]) }
                if fresh.count < count {
                    weights.append(0)
                    continue
                }
                let best = fresh.map { g.weights[$0] }.sorted(by: >).prefix(count).reduce(0, +)
                weights.append(best * (usedGroups.contains(g.key) ? 0.1 : 1))
            }
            if !weights.allSatisfy({ $0 == 0 }) { return rng.weightedIndex(weights) }
        }
        return rng.weightedIndex(groups.map { _ in 1 })
    }

    /// One line ending in `word`: templates for its classes, the section and the mood, slots filled from the image.
    /// Returns the line closest to 6-9 syllables over a few tries (distance 0 = inside).
    mutating func makeLine(ending word: LyricsWordBank.EndWord, kind: String) -> (text: String, distance: Int)? {
        let section = use[kind] ?? "verse"
        let fitting = LyricsWordBank.templates.filter { t in
            word.classes.contains(t.ending)
                && (t.mood == "any" || mood == "any" || t.mood == mood)
                && (t.use == "any" || t.use == section)
                && (promptWords.isEmpty ? !t.text.contains("$P") : true)
                && (scenePhrases.isEmpty ? !t.text.contains("$S") : true)
        }
        guard !fitting.isEmpty else { return nil }
        var best: (text: String, distance: Int)?
        for _ in 0..<6 {
            // Not twice in a section, rarely twice in a song; the prompt's words are wanted until one is sung.
            let weights = fitting.map { t -> Double in
                if sectionTemplates.contains(t.text) { return 0.001 }
                var w = usedTemplates.contains(t.text) ? 0.15 : 1
                // A topic in the prompt is what the song is about: its words lead; the picture's things come next
                // (with no topic they lead).
                let topical = topic.phrase != nil
                if t.text.contains("$P") { w *= topical ? 8 : promptSung ? 2 : 6 }
                if !scenePhrases.isEmpty {
                    w *= t.text.contains("$S") ? (topical ? 3 : 8) : t.text.contains("$E") ? 3 : 1
                }
                if (t.text.contains("$C") || t.ending == "col") && !colourSung { w *= 4 }
                return w
            }
            let t = fitting[rng.weightedIndex(weights)]
            guard let filled = fill(t.text, end: word.word) else { continue }
            for prefix in ["", "And ", "Oh, ", "And oh, "] {
                let text = capitalised(prefix + (prefix.isEmpty ? filled : lowerFirst(filled)))
                let count = syllables(text)
                let d = count < LyricsWriter.syllableRange.lowerBound ? LyricsWriter.syllableRange.lowerBound - count
                    : count > LyricsWriter.syllableRange.upperBound ? count - LyricsWriter.syllableRange.upperBound : 0
                if best == nil || d < best!.distance { best = (text, d) }
                if d == 0 || count >= LyricsWriter.syllableRange.lowerBound { break }
            }
            if best?.distance == 0 {
                usedTemplates.insert(t.text)
                sectionTemplates.insert(t.text)
                if t.text.contains("$P") { promptSung = true }
                if best!.text.lowercased().split(separator: " ").contains(where: { paletteWords.contains(String($0)) }) {
                    colourSung = true
                }
                return best
            }
        }
        return best
    }

    /// The template with its slots filled; nil when a slot would repeat a word of the line.
    mutating func fill(_ template: String, end: String) -> String? {
        var words: [String] = []
        var used = Set([end])
        var plural = false
        for token in template.split(separator: " ") {
            var t = String(token)
            let trailing = t.hasSuffix(",") ? "," : ""
            if !trailing.isEmpty { t.removeLast() }
            var w: String
            switch t {
            case "#": w = end
            case "$C":
                // Only the palette's colours until one has been sung.
                w = colours[rng.weightedIndex(colours.map { colourSung || paletteWords.contains($0.0) ? $0.1 : 0 })].0
            case "$L": w = lights[rng.int(in: 0...(lights.count - 1))]
            case "$E":
                w = elementWeights.count == elements.count ? elements[rng.weightedIndex(elementWeights)]
                    : elements[rng.int(in: 0...(elements.count - 1))]
            case "$S":
                guard !scenePhrases.isEmpty else { return nil }
                let pick = scenePhrases[rng.weightedIndex(scenePhrases.map(\.weight))]
                // "the green grass and the grass": the end word may not name the same thing.
                if pick.phrase.split(separator: " ").contains(where: { $0 == end || $0.hasPrefix(end) || end.hasPrefix($0) }) {
                    return nil
                }
                w = pick.phrase
                plural = pick.plural
            case "$M": w = motions[rng.int(in: 0...(motions.count - 1))]
            case "$F": w = feelings[rng.int(in: 0...(feelings.count - 1))]
            case "$P":
                guard !promptWords.isEmpty else { return nil }
                w = promptWords[rng.int(in: 0...(promptWords.count - 1))]
                if let d = promptDeterminers[w], words.last == "the" {
                    if d.isEmpty { words.removeLast() } else { words[words.count - 1] = d }
                }
            default:
                words.append(t + trailing)
                continue
            }
            if t != "#" {
                if used.contains(w) { return nil }
                used.insert(w)
            }
            words.append(w + trailing)
        }
        var line = words.joined(separator: " ")
        // "a olive light" -> "an olive light".
        for v in ["a", "e", "i", "o", "u"] {
            line = line.replacingOccurrences(of: " a \(v)", with: " an \(v)")
            if line.hasPrefix("A \(v)") { line = "An " + line.dropFirst(2) }
        }
        if plural { line = line.replacingOccurrences(of: " is ", with: " are ") }
        if plural && line.hasSuffix(" is") { line = String(line.dropLast(2)) + "are" }
        return line
    }

    /// The two or three most confident named things in one line, 5-10 syllables: "The blue sky, the sea and the
    /// golden grass"; nil with fewer than two.
    mutating func sceneLine() -> String? {
        // Water goes unsaid beside the sea or the lake it already is.
        let hasWaterBody = scenePhrases.contains { $0.phrase.hasSuffix("sea") || $0.phrase.hasSuffix("lake") }
        let named = scenePhrases.sorted { $0.weight > $1.weight }.map(\.phrase)
            .filter { !(hasWaterBody && $0.hasSuffix("water")) }
        var picked: [String] = []
        for phrase in named where !picked.contains(where: { $0.hasSuffix(phrase.split(separator: " ").last.map(String.init) ?? "") }) {
            picked.append(phrase)
            if picked.count == 3 { break }
        }
        guard picked.count >= 2 else { return nil }
        for count in stride(from: picked.count, through: 2, by: -1) {
            let items = Array(picked.prefix(count))
            let line = (items.count == 2 ? "the \(items[0]) and the \(items[1])"
                : "the \(items[0]), the \(items[1]) and the \(items[2])")
            let text = capitalised(line)
            if (5...10).contains(syllables(text)) { return text }
        }
        return nil
    }

    /// "Orange Flowers", "Blue Lake": the most confident named thing with a colour of its own, other than the sky;
    /// else the most confident other thing with the picture's colour; the sky when alone.
    func sceneTitle() -> String? {
        let named = scenePhrases.sorted { $0.weight > $1.weight }
        let coloured = named.filter { $0.phrase.contains(" ") }
        guard let best = coloured.first(where: { !$0.phrase.hasSuffix("sky") })
            ?? named.first(where: { !$0.phrase.hasSuffix("sky") }) ?? named.first else { return nil }
        var words = best.phrase.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }
        if words.count == 1 { words.insert((titleColour ?? colours[0].0).capitalized, at: 0) }
        return words.joined(separator: " ")
    }

    func capitalised(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
    func lowerFirst(_ s: String) -> String {
        // "I" stays upper case.
        if s.hasPrefix("I ") || s.hasPrefix("I'") { return s }
        return s.prefix(1).lowercased() + s.dropFirst()
    }

    /// 2-5 words: the noun phrase closing the first chorus line that ends on a noun ("Take me to the golden sun" ->
    /// "Golden Sun"); a bare noun gets the image's main colour ("...through the night" -> "Golden Night"); with no
    /// such line, the main colour and a light word ("Golden Morning").
    mutating func title(hookLines: [String]) -> String {
        let small: Set<String> = ["and", "oh", "to", "the", "of", "in", "on", "by", "a", "but", "so", "from", "into",
                                  "across", "through", "beside", "upon", "beyond", "against", "underneath", "is",
                                  "are", "we", "i", "me", "will", "be", "was", "were", "been", "never", "have", "for",
                                  "us", "you", "tonight", "with", "feel", "that", "tell"]
        func cap(_ w: String) -> String { w.prefix(1).uppercased() + w.dropFirst().lowercased() }
        // The most colourful palette entry with a fair share names the song; black, white and greys only when the
        // image has nothing else.
        let colour = cap(titleColour ?? colours[0].0)

        let nouns = Set(LyricsWordBank.endWords.filter { $0.classes.contains("obj") }.map(\.word) + promptWords)
        for line in hookLines {
            let words = line.replacingOccurrences(of: ",", with: "").split(separator: " ").map(String.init)
            guard let last = words.last?.lowercased(), nouns.contains(last) else { continue }
            var phrase: [String] = []
            for w in words.reversed() {
                if small.contains(w.lowercased()) && !phrase.isEmpty { break }
                phrase.insert(w, at: 0)
                if phrase.count >= 3 { break }
            }
            while let f = phrase.first, small.contains(f.lowercased()) { phrase.removeFirst() }
            if (2...5).contains(phrase.count) { return phrase.map(cap).joined(separator: " ") }
            if phrase.count == 1 && last != colour.lowercased() { return colour + " " + cap(last) }
        }
        return colour + " " + cap(lights[rng.int(in: 0...(lights.count - 1))])
    }
}

extension LyricsWordBank {
    /// A plain line for a word no template could close (never expected: every class has templates).
    static func fallback(word: String) -> String { "And we sing about the \(word)" }
}
