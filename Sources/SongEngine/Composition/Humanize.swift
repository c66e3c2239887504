/// Humanising after the KTH performance rules (Friberg, Bresin & Sundberg 2006): swing on off-beat eighths (or
/// sixteenths), metrical accents (downbeat strongest), a phrase arch in velocity, small seeded timing and velocity
/// deviations. The tempo itself stays constant.

enum Humanize {
    static func gaussian(_ rng: inout SeededGenerator) -> Double {
        let u1 = max(rng.unit(), 1e-12)
        let u2 = rng.unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Applies swing, accents and deviations to one section's notes (beats relative to the section start).
    static func apply(_ notes: [Note], phrases: [Phrase], swing: Double, timingSD: Double, velocitySD: Double,
                      accents: Bool, rng: inout SeededGenerator) -> [Note] {
        func isAt(_ t: Double, _ unit: Double, offset: Double) -> Bool {
            let x = (t - offset) / unit
            return abs(x - x.rounded()) < 1e-6 && Int(x.rounded()) % 2 == 0
        }
        let sixteenths = notes.contains { isAt($0.start, 0.25, offset: 0.25) }
        let swingUnit = sixteenths ? 0.25 : 0.5
        return notes.map { n in
            var note = n
            let offBeat = isAt(n.start, swingUnit, offset: swingUnit)
            if swing > 0 && offBeat {
                let delay = swing * swingUnit
                note.start += delay
                if note.duration > delay * 2 { note.duration -= delay }
            }
            let jitter = max(-3, min(3, gaussian(&rng))) * timingSD
            note.start = max(0, note.start + jitter)
            var v = Double(n.velocity)
            if accents {
                let inBar = n.start.truncatingRemainder(dividingBy: 4)
                if abs(inBar) < 1e-6 { v += 8 } else if abs(inBar - 2) < 1e-6 { v += 4 }
                else if abs(inBar - inBar.rounded()) > 1e-6 { v -= 4 }
                if let p = phrases.last(where: { $0.start <= n.start + 1e-9 }), p.beats > 0 {
                    let x = min(1, max(0, (n.start - p.start) / p.beats))
                    v += 8 * sin(Double.pi * x) - 3
                }
            }
            v += max(-2.5, min(2.5, gaussian(&rng))) * velocitySD
            note.velocity = Int(min(127, max(1, v.rounded())))
            return note
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
