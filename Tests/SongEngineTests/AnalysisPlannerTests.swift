import Foundation
import Testing
@testable import SongEngine

@Suite struct AnalysisPlannerTests {
    static let library: StyleLibrary = try! StyleLibrary.loadDefault()

    /// A mid-everything photo-like image: greenish, some texture.
    static let midImage = ImageAnalyzer.analyze(TestImages.textured(base: (0.45, 0.55, 0.35), amplitude: 0.12, seed: 3))

    static func plan(_ f: ImageFeatures = midImage, _ steering: Steering = Steering(), seed: UInt64 = 1) -> MusicPlan {
        try! Planner.plan(features: f, steering: steering, styles: library, seed: seed)
    }

    @Test func majorShareRisesWithLightness() {
        // Fixed hue (warm-neutral orange) and chroma, lightness 5...95.
        var major = [0, 0, 0]
        var count = [0, 0, 0]
        for step in 0..<15 {
            let L = 5 + Double(step) * 90 / 14
            let (r, g, b) = TestImages.lab(L, 12, 20)
            let f = ImageAnalyzer.analyze(TestImages.flat(r, g, b))
            for seed in 0..<40 {
                let p = Self.plan(f, seed: UInt64(seed) &* 7919)
                major[step / 5] += p.key.mode == .major ? 1 : 0
                count[step / 5] += 1
            }
        }
        let share = (0..<3).map { Double(major[$0]) / Double(count[$0]) }
        #expect(share[0] < share[1] && share[1] < share[2], "major share by lightness third: \(share)")
        #expect(share[2] - share[0] > 0.4, "major share by lightness third: \(share)")
    }

    @Test func tempoRisesWithSaturation() {
        // Same lightness, rising chroma; style fixed by the prompt.
        var tempi: [Int] = []
        for chroma in stride(from: 0.0, through: 60, by: 15) {
            let (r, g, b) = TestImages.lab(60, chroma * 0.6, chroma * 0.8)
            let f = ImageAnalyzer.analyze(TestImages.flat(r, g, b))
            tempi.append(Self.plan(f, Steering(prompt: "pop")).bpm)
        }
        #expect(zip(tempi, tempi.dropFirst()).allSatisfy { $0 <= $1 }, "\(tempi)")
        #expect(tempi.last! - tempi.first! >= 10, "\(tempi)")
    }

    @Test func tempoRisesWithEdgeDensity() {
        // Same two colours at 50% each (same lightness, contrast and saturation), finer and finer stripes.
        var tempi: [Int] = []
        var densities: [Double] = []
        for period in [128, 48, 16, 6] {
            let f = ImageAnalyzer.analyze(TestImages.stripes(period: period, (90, 120, 70), (130, 160, 110)))
            densities.append(f.edgeDensity)
            tempi.append(Self.plan(f, Steering(prompt: "pop")).bpm)
        }
        #expect(zip(densities, densities.dropFirst()).allSatisfy { $0 < $1 }, "\(densities)")
        #expect(zip(tempi, tempi.dropFirst()).allSatisfy { $0 <= $1 }, "\(tempi)")
        #expect(tempi.last! - tempi.first! >= 8, "\(tempi)")
        // Without a style word too: across the automatic choice the tempo still rises.
        let calm = Self.plan(ImageAnalyzer.analyze(TestImages.stripes(period: 128, (90, 120, 70), (130, 160, 110))))
        let busy = Self.plan(ImageAnalyzer.analyze(TestImages.stripes(period: 6, (90, 120, 70), (130, 160, 110))))
        #expect(calm.bpm < busy.bpm)
    }

    @Test func relaxingAcousticIsCalmerAndAcoustic() {
        let relaxed = Self.plan(Self.midImage, Steering(prompt: "relaxing acoustic track"))
        let energetic = Self.plan(Self.midImage, Steering(prompt: "energetic track"))
        #expect(relaxed.arousal < energetic.arousal - 0.5)
        #expect(relaxed.bpm < energetic.bpm)
        #expect(relaxed.style == "folk")
        for (_, id) in relaxed.instruments { #expect(InstrumentCatalog.entry(id)!.acoustic, "\(id)") }
        // "acoustic" with another style keeps the style but swaps to acoustic instruments.
        let acousticPop = Self.plan(Self.midImage, Steering(prompt: "acoustic pop song"))
        #expect(acousticPop.style == "pop")
        for (_, id) in acousticPop.instruments { #expect(InstrumentCatalog.entry(id)!.acoustic, "\(id)") }
    }

    @Test(arguments: ["no drums", "without drums", "drums", "No Drums; avoid synths"])
    func noDrumsInAnyStyle(tags: String) {
        for style in Self.library.styles {
            let p = Self.plan(Self.midImage, Steering(prompt: style.keywords[0], negativeTags: tags))
            #expect(p.style == style.id)
            #expect(!p.hasDrums && p.instruments[.drums] == nil, "\(style.id) with \(tags)")
        }
    }

    @Test func negationsInThePromptActLikeNegativeTags() {
        let p = Self.plan(Self.midImage, Steering(prompt: "upbeat pop without drums and no piano"))
        #expect(p.style == "pop" && !p.hasDrums)
        #expect(!p.instruments.values.contains { $0.contains("piano") })
        let q = Self.plan(Self.midImage, Steering(prompt: "lofi with piano"))
        #expect(q.instruments[.chords] == "piano")
    }

    @Test func loudDrumsAreQuieterNotGone() {
        let r = PromptInterpreter.read(prompt: "", negativeTags: "avoid loud drums", styles: Self.library)
        #expect(r.excludedRoles.isEmpty && (r.gainOffsets[.drums] ?? 0) < -3)
        let p = Self.plan(Self.midImage, Steering(prompt: "rock", negativeTags: "avoid loud drums"))
        #expect(p.hasDrums)
        #expect(p.decisions.contains { $0.name == "mix" && $0.value.contains("drums -8") })
    }

    @Test func noPianoAnywhere() {
        for style in Self.library.styles {
            let p = Self.plan(Self.midImage, Steering(prompt: "\(style.keywords[0]) with piano", negativeTags: "no piano"))
            #expect(!p.instruments.values.contains { $0.contains("piano") }, "\(style.id): \(p.instruments)")
        }
    }

    @Test func avoidHeavyMetalNeverGivesRock() {
        let images = [
            Self.midImage, ImageAnalyzer.analyze(TestImages.flat(200, 20, 20)),
            ImageAnalyzer.analyze(TestImages.stripes(period: 4, (10, 10, 10), (200, 0, 0))),
        ]
        for (i, f) in images.enumerated() {
            for seed in 0..<5 {
                let p = Self.plan(f, Steering(prompt: "rock", negativeTags: "avoid heavy metal"), seed: UInt64(seed))
                #expect(p.style != "rock", "image \(i)")
                let q = Self.plan(f, Steering(prompt: "heavy rock anthem"), seed: UInt64(seed))
                #expect(q.style == "rock")
            }
        }
        // All styles excluded: the nearest remaining (here: any) style is still chosen.
        let all = Self.library.styles.map { $0.keywords[0] }.joined(separator: ", ")
        #expect(!Self.plan(Self.midImage, Steering(negativeTags: all)).style.isEmpty)
    }

    @Test func requestedKeyAndTempoAreHonoured() {
        for (text, bpm) in [("F# minor", 97), ("Bb major", 40), ("c#m", 240)] {
            let key = Key.parse(text)!
            let p = Self.plan(Self.midImage, Steering(key: key, bpm: bpm))
            #expect(p.key == key && p.bpm == bpm)
            #expect(p.decisions.first { $0.name == "key" }!.reason.contains("requested"))
            #expect(p.decisions.first { $0.name == "tempo" }!.reason.contains("requested"))
        }
        #expect(Self.plan(Self.midImage, Steering(prompt: "lofi at 84 bpm")).bpm == 84)
    }

    @Test func durationIsFittedWithinOneBar() {
        for style in Self.library.styles {
            for bpm in [40, 63, 97, 128, 240] {
                for duration in [10.0, 31.5, 95, 180, 600] {
                    let p = Self.plan(Self.midImage, Steering(prompt: style.keywords[0], bpm: bpm, duration: duration))
                    let seconds = Double(p.totalBars) * 240 / Double(bpm)
                    #expect(abs(seconds - duration) <= 240 / Double(bpm) + 1e-9,
                            "\(style.id) \(bpm) bpm \(duration) s -> \(seconds) s")
                    #expect(p.form.allSatisfy { (1...32).contains($0.bars) && $0.energy > 0 && $0.energy <= 1 })
                }
            }
        }
    }

    @Test func naturalFormLastsTwoAndAHalfToThreeAndAHalfMinutes() {
        let images = [Self.midImage, ImageAnalyzer.analyze(TestImages.flat(250, 250, 245)),
                      ImageAnalyzer.analyze(TestImages.stripes(period: 4, (255, 200, 0), (200, 0, 60)))]
        for style in Self.library.styles {
            for f in images {
                let p = Self.plan(f, Steering(prompt: style.keywords[0]))
                let seconds = Double(p.totalBars) * 240 / Double(p.bpm)
                #expect(seconds >= 150 && seconds <= 210, "\(style.id) \(p.bpm) bpm: \(seconds) s")
                #expect(p.bpm >= style.tempoMin - (style.tempoMax - style.tempoMin) / 5 - 1)
                // Intros and outros are quieter than choruses.
                let chorus = p.form.filter { $0.name == "chorus" }.map(\.energy).max()!
                #expect(p.form.first!.energy < chorus && p.form.last!.energy < chorus)
            }
        }
    }

    @Test func decisionsCoverEveryChoiceAndPlansAreDeterministic() throws {
        let p = Self.plan(Self.midImage, Steering(prompt: "dreamy synthwave"), seed: 42)
        let names = Set(p.decisions.map(\.name))
        for required in ["mode", "key", "tempo", "style", "instruments", "density", "register", "form", "valence",
                         "arousal", "brightness", "contour"] {
            #expect(names.contains(required), "missing decision \(required)")
        }
        #expect(p.decisions.allSatisfy { !$0.reason.isEmpty && !$0.value.isEmpty })
        #expect(p.decisions.first { $0.name == "tempo" }!.reason.contains("synthwave range 90-118"))
        let q = Self.plan(Self.midImage, Steering(prompt: "dreamy synthwave"), seed: 42)
        #expect(p.decisions == q.decisions && p.form == q.form && p.instruments == q.instruments && p.key == q.key)
        #expect(p.contour == q.contour && p.valence == q.valence && p.arousal == q.arousal && p.density == q.density)
        // A different seed can change the mode draw, nothing else.
        let r = Self.plan(Self.midImage, Steering(prompt: "dreamy synthwave"), seed: 43)
        #expect(r.bpm == p.bpm && r.style == p.style && r.key.tonic == p.key.tonic)
    }

    @Test func moodWordsShiftValenceAndArousal() {
        let base = Self.plan()
        let sad = Self.plan(Self.midImage, Steering(prompt: "sad melancholic piano"))
        let happy = Self.plan(Self.midImage, Steering(prompt: "happy uplifting"))
        #expect(sad.valence < base.valence - 0.3 && happy.valence > base.valence + 0.3)
        #expect(Self.plan(Self.midImage, Steering(prompt: "slow")).bpm < base.bpm)
        #expect(Self.plan(Self.midImage, Steering(prompt: "fast")).bpm > base.bpm)
        #expect(sad.instruments[.chords] == "piano")
    }

    /// A tempo word moves the mood too. On the vivid example photo (EDM at 131 bpm) "a slow song" stayed EDM at 112
    /// bpm and "a slow sad song" became rock at 142; a "fast" rock song reached 193 bpm (heard at half time).
    @Test func tempoWordsMoveArousalAndStayInTheirRange() throws {
        let photo = ImageAnalyzer.analyze(try ImageLoader.decode(Data(contentsOf: TestSupport.example)))
        let base = Self.plan(photo)
        let slow = Self.plan(photo, Steering(prompt: "a slow song"))
        let slowSad = Self.plan(photo, Steering(prompt: "a slow sad song"))
        #expect(slow.arousal < base.arousal - 0.3 && slow.bpm < base.bpm)
        // "slow" is slow whatever the style: at most 100 bpm (the example photo is EDM at 131; "slow" left it at 110).
        #expect(slow.bpm <= 100, "\(slow.style) at \(slow.bpm) bpm")
        #expect(Self.plan(photo, Steering(prompt: "a slow song, 120 bpm")).bpm == 120)
        #expect(slowSad.bpm < slow.bpm && slowSad.bpm < base.bpm - 20, "\(slowSad.style) at \(slowSad.bpm) bpm")
        #expect(!["rock", "edm"].contains(slowSad.style), "\(slowSad.style)")
        let fast = Self.plan(photo, Steering(prompt: "an energetic fast song"))
        #expect(fast.arousal > base.arousal && fast.bpm > base.bpm)
        let fastRock = Self.plan(photo, Steering(prompt: "energetic rock, fast"))
        #expect(fastRock.style == "rock" && fastRock.bpm == 180, "\(fastRock.style) at \(fastRock.bpm) bpm")
        // An explicit tempo is not bound by the tempo word's ceiling.
        #expect(Self.plan(photo, Steering(prompt: "energetic rock, fast, 200 bpm")).bpm == 200)
    }

    /// "instrumental" or "no vocals" in the prompt, or a negative tag naming the voice, ask for no singing; the
    /// voice's level, a negated "instrumental" and other negative tags do not.
    @Test func promptsThatRefuseVocals() {
        let refuse: [(String, String)] = [
            ("calm instrumental piano", ""), ("an Instrumental track", ""), ("lo-fi beats, no vocals", ""),
            ("dreamy pads without singing please", ""), ("no loud vocals at all", ""), ("", "vocals"),
            ("", "no heavy metal; no singing"), ("", "avoid vocals, drums"), ("happy song", "lyrics"),
        ]
        for (prompt, tags) in refuse {
            #expect(PromptInterpreter.refusesVocals(prompt: prompt, negativeTags: tags) != nil, "\(prompt) | \(tags)")
        }
        let keep: [(String, String)] = [
            ("a happy song with female vocals", ""), ("not instrumental, sing it", ""), ("", "loud vocals"),
            ("", "no drums, avoid piano"), ("words of love", ""), ("a voice like honey", ""), ("", ""),
        ]
        for (prompt, tags) in keep {
            #expect(PromptInterpreter.refusesVocals(prompt: prompt, negativeTags: tags) == nil, "\(prompt) | \(tags)")
        }
        let why = PromptInterpreter.refusesVocals(prompt: "lo-fi, no vocals", negativeTags: "")
        #expect(why == "the prompt says \"no vocals\"")
        // The request: the prompt's refusal gives way to an explicit vocal_only.
        let image = ImageSource.file("/nonexistent.png")
        #expect(!SongRequest(image: image, prompt: "instrumental").wantsVocals)
        #expect(!SongRequest(image: image, negativeTags: "singing").wantsVocals)
        #expect(SongRequest(image: image, prompt: "instrumental", vocalOnly: true).wantsVocals)
        #expect(SongRequest(image: image, prompt: "with vocals").wantsVocals)
    }

    @Test func promptReaderToleratesAnyText() {
        let odd = "très calme 🎵 lo‑fi — ÜBER 𝔣𝔞𝔰𝔱; ,, ;;\u{0}\u{202E} 90bpm 99999 bpm"
        let r = PromptInterpreter.read(prompt: odd, negativeTags: odd, styles: Self.library)
        #expect(r.bpm == 240)
        #expect(PromptInterpreter.words("Lo-Fi, HIP hop!") == ["lo", "fi", "hip", "hop"])
        let lofi = PromptInterpreter.read(prompt: "some Lo-Fi hip-hop please", negativeTags: "", styles: Self.library)
        #expect(lofi.styleScores["lofi"] ?? 0 >= 4)
        let neg = PromptInterpreter.read(prompt: "", negativeTags: "no heavy metal; avoid EDM, harsh", styles: Self.library)
        #expect(Set(neg.excludedStyles) == ["rock", "edm"])
        #expect(neg.excludedDescriptors == ["harsh"])
    }
}
