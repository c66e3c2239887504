/// The sound follows the scene (issue 12) where the picture gives evidence: each choice is a plan decision with its
/// reason. Applied after the style's and the prompt's instruments, and never over them: an instrument the prompt
/// names or the negative tags exclude stays as the user asked, and only roles the style already plays are recast.
enum SceneSound {
    struct Choice {
        var instruments: [Role: String]
        var density: Double
        var brightness: Double
        var reasons: [String]
    }

    static func choose(scene: Scene, instruments: [Role: String], density: Double, brightness: Double,
                       reading: PromptReading) -> Choice {
        var choice = Choice(instruments: instruments, density: density, brightness: brightness, reasons: [])
        let excluded = Set(reading.excludedInstruments)
        func recast(_ role: Role, to id: String, because why: String) {
            guard let current = choice.instruments[role], current != id, reading.instruments[role] == nil,
                  !excluded.contains(id), !reading.preferAcoustic || (InstrumentCatalog.entry(id)?.acoustic ?? false)
            else { return }
            choice.instruments[role] = id
            choice.reasons.append("\(why): \(role.rawValue) \(current) -> \(id)")
        }
        if let night = scene.thing("night") {
            let c = night.confidence
            choice.density *= 1 - 0.3 * c
            choice.brightness = max(0, choice.brightness - 0.25 * c)
            choice.reasons.append(String(format: "night (%.2f): sparser (density x%.2f) and darker (brightness -%.2f)",
                                         c, 1 - 0.3 * c, 0.25 * c))
        }
        if let lights = scene.thing("city_lights") {
            recast(.pad, to: "warm_pad", because: String(format: "city lights (%.2f): a synth pad", lights.confidence))
            recast(.arp, to: "pluck_synth", because: String(format: "city lights (%.2f): synth plucks", lights.confidence))
        } else if let water = scene.thing("sea") ?? scene.thing("lake") ?? scene.thing("water") {
            recast(.pad, to: "airy_pad", because: String(format: "%@ (%.2f): a slow airy wash", water.tag, water.confidence))
            choice.brightness = max(0, choice.brightness - 0.1 * water.confidence)
            choice.reasons.append(String(format: "%@ (%.2f): softer timbres (brightness -%.2f)", water.tag,
                                         water.confidence, 0.1 * water.confidence))
        }
        if let snow = scene.thing("snow") {
            recast(.arp, to: "bell", because: String(format: "snow (%.2f): bells", snow.confidence))
        }
        return choice
    }
}
