import Foundation

/// The lyric stage (issue 12): between planning and composition. When the plan is sung and the user gave no
/// lyrics, writes them from what the picture shows (`Scene`), the prompt's topic and the plan's form, with the
/// pronouncer the caller passes in (rhymes and syllable counts), and records the decision with its reasons.
public enum LyricStage {
    /// The plan with `lyrics` and `pronounced` filled when they were to be written; unchanged otherwise (an
    /// instrumental plan, or the user's lyrics already fitted by the planner).
    public static func run(plan: MusicPlan, features: ImageFeatures, scene: Scene, prompt: String, vocals: Bool,
                           pronouncer: any Pronouncing, seed: UInt64) -> MusicPlan {
        guard vocals, plan.lyrics == nil else { return plan }
        var plan = plan
        var rng = SeededGenerator(seed: seed).fork("lyrics")
        let draft = LyricsWriter.draft(features: features, scene: scene, plan: plan, prompt: prompt,
                                       pronouncer: pronouncer, seed: rng.next())
        let written = draft.lyrics
        plan.lyrics = written
        plan.pronounced = written.sections.map { $0.lines.map { pronouncer.pronounce(line: $0) } }
        let things = scene.things.filter { $0.tag != "central_subject" }.prefix(5)
            .map { "\($0.tag) \(String(format: "%.2f", $0.confidence))" }
        var reason = things.isEmpty ? "no lyrics given: written from the image's colours, light and warmth (no thing found in it)"
            : "no lyrics given: written about what the picture shows (" + things.joined(separator: ", ") + "), weighted by confidence"
        if let phrase = draft.topic {
            reason += "; the prompt's topic \"\(phrase)\" opens the chorus and names the song"
        }
        plan.decisions.append(Decision(name: "lyrics", value: "written: \(written.title ?? "")", reason: reason))
        return plan
    }
}
