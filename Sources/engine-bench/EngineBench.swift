import Foundation
import Synchronization
import SongEngine

#if canImport(Glibc)
import Glibc
#endif

/// engine-bench: renders a fixed request and prints, per stage, wall time and x real time (seconds of audio per
/// second of work), plus the process's peak resident memory, as a table and as JSON.
///
///   engine-bench [--image PATH] [--duration S] [--versions N] [--formats mp3,wav] [--seed N] [--runs N]
///                [--json FILE] [--prompt T] [--instrumental | --vocal-only] [--lyrics-file F] [--previews]
/// By default the request is the engine's default: sung, with lyrics the engine writes. The vocal stages (text,
/// synthesis, retune, chain) are also summed into one figure: x real time of sung audio.
/// Pin to one core with `taskset -c 0` to measure single-core speed.
///
///   engine-bench --notes DIR
/// writes, instead, single notes of every melodic instrument preset into DIR (`<id>_<midi>_v<velocity>.wav`: C2 to
/// C6 where the instrument's sounding range has them, velocities 0.4 and 0.9, held 2 s, release included), for
/// `Benchmarks/timbre_check.py` and for listening.
@main
struct EngineBench {
    static func main() async {
        ProcessMemory.returnLargeBuffersToSystem()
        var args = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
            let value = args[i + 1]
            args.removeSubrange(i...(i + 1))
            return value
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let image = option("--image") ?? root.appendingPathComponent("examples/yellowflower.jpg").path
        let duration = Double(option("--duration") ?? "180") ?? 180
        let versions = Int(option("--versions") ?? "2") ?? 2
        let formatsText = option("--formats") ?? "mp3,wav"
        let seed = UInt64(option("--seed") ?? "1") ?? 1
        let runs = Int(option("--runs") ?? "1") ?? 1
        let jsonPath = option("--json")
        let prompt = option("--prompt") ?? ""
        let lyrics = try? option("--lyrics-file").map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        func flag(_ name: String) -> Bool {
            guard let i = args.firstIndex(of: name) else { return false }
            args.remove(at: i)
            return true
        }
        if let notes = option("--notes") {
            do {
                try writeNotes(to: URL(fileURLWithPath: notes))
            } catch {
                FileHandle.standardError.write(Data("engine-bench: \(error)\n".utf8))
                exit(1)
            }
            return
        }
        let instrumental = flag("--instrumental")
        let vocalOnly = flag("--vocal-only")
        // Every version's preview stream made as the server makes it (`RenderOptions.previews`), its bytes counted
        // and dropped: what the server's stream per conversion costs a render.
        let previews = flag("--previews")
        do {
            let engine = try ChromasongEngine()
            let request = SongRequest(image: .file(image), prompt: prompt, lyrics: lyrics ?? "",
                                      makeInstrumental: instrumental, vocalOnly: vocalOnly, seed: seed,
                                      duration: duration, versions: versions,
                                      formats: try SongRequest.parseFormats(formatsText))
            var best: (wall: Double, timings: [StageTiming], audio: Double)?
            for run in 0..<runs {
                let out = FileManager.default.temporaryDirectory.appendingPathComponent("engine-bench-\(getpid())-\(run)")
                let start = DispatchTime.now().uptimeNanoseconds
                let streamed = Mutex(0)
                let options = previews ? RenderOptions(previews: { _, bytes in streamed.withLock { $0 += bytes.count } })
                    : RenderOptions()
                let result = try await engine.render(request, to: out, options: options)
                let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                try? FileManager.default.removeItem(at: out)
                let audio = result.manifest.versions.reduce(0) { $0 + $1.duration }
                if best == nil || wall < best!.wall { best = (wall, result.timings, audio) }
            }
            guard let best else { return }
            report(best.timings, wall: best.wall, audio: best.audio, versions: versions, jsonPath: jsonPath,
                   request: "image=\(URL(fileURLWithPath: image).lastPathComponent) duration=\(duration) versions=\(versions) formats=\(formatsText) seed=\(seed) mode=\(instrumental ? "instrumental" : (vocalOnly ? "vocal-only" : "sung"))\(previews ? " previews" : "")")
        } catch {
            FileHandle.standardError.write(Data("engine-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func writeNotes(to directory: URL) throws {
        let engine = try ChromasongEngine()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var count = 0
        for id in engine.instruments.melodicIds {
            let range = InstrumentLibrary.soundingRange(id) ?? 0...127
            for pitch in [36, 48, 60, 72, 84] where range.contains(pitch) {
                for velocity in [0.4, 0.9] {
                    let name = "\(id)_\(pitch)_v\(Int(velocity * 10)).wav"
                    try engine.instruments.writeAudition(id, pitch: pitch, velocity: velocity, seconds: 2,
                                                         to: directory.appendingPathComponent(name))
                    count += 1
                }
            }
        }
        print("engine-bench: \(count) notes in \(directory.path)")
    }

    /// The stages of singing (issue 3): lyrics and pronunciation, flite, retiming and PSOLA, the vocal chain.
    /// Ducking and balancing ("vocal mix") and voice conversion are reported on their own rows, outside the sum.
    static let vocalStages: Set<String> = ["vocal text", "vocal synthesis", "vocal retune", "vocal chain"]

    static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // ru_maxrss is in KiB on Linux
    }

    struct Row: Codable {
        var stage: String
        var seconds: Double
        var audioSeconds: Double
        var realtimeFactor: Double?
    }

    struct Report: Codable {
        var request: String
        var cores: Int
        var wallSeconds: Double
        var audioSeconds: Double
        var wallRealtimeFactor: Double
        var synthesisThroughMasteringRealtimeFactor: Double
        /// Seconds of sung audio per second of all "vocal ..." stages together (nil without vocals).
        var vocalStagesRealtimeFactor: Double?
        var peakResidentMB: Double
        var stages: [Row]
    }

    static func report(_ timings: [StageTiming], wall: Double, audio: Double, versions: Int, jsonPath: String?, request: String) {
        var order: [String] = []
        var sums: [String: (Double, Double)] = [:]
        for t in timings {
            if sums[t.stage] == nil { order.append(t.stage) }
            let s = sums[t.stage] ?? (0, 0)
            sums[t.stage] = (s.0 + t.seconds, s.1 + t.audioSeconds)
        }
        let rows = order.map { stage -> Row in
            let (seconds, audioSeconds) = sums[stage]!
            return Row(stage: stage, seconds: seconds, audioSeconds: audioSeconds,
                       realtimeFactor: audioSeconds > 0 && seconds > 0 ? audioSeconds / seconds : nil)
        }
        let synthThroughMaster = ["synthesis", "effects+mix", "mastering"].compactMap { sums[$0] }
        let stSeconds = synthThroughMaster.reduce(0) { $0 + $1.0 }
        let stAudio = sums["mastering"]?.1 ?? 0
        // Every vocal stage records the same sung seconds: the figure is sung audio over their summed time.
        let vocalRows = rows.filter { Self.vocalStages.contains($0.stage) }
        let vocalSeconds = vocalRows.reduce(0) { $0 + $1.seconds }
        let sungAudio = vocalRows.map(\.audioSeconds).max() ?? 0
        let report = Report(request: request, cores: ProcessInfo.processInfo.activeProcessorCount, wallSeconds: wall,
                            audioSeconds: audio, wallRealtimeFactor: audio / wall,
                            synthesisThroughMasteringRealtimeFactor: stSeconds > 0 ? stAudio / stSeconds : 0,
                            vocalStagesRealtimeFactor: vocalSeconds > 0 && sungAudio > 0 ? sungAudio / vocalSeconds : nil,
                            peakResidentMB: peakResidentMB(), stages: rows)
        print("engine-bench: \(request), \(report.cores) cores")
        print("stage".padding(toLength: 18, withPad: " ", startingAt: 0) + "   seconds   audio s   x real time")
        for row in rows {
            let factor = row.realtimeFactor.map { String(format: "%10.1f", $0) } ?? "         -"
            print(row.stage.padding(toLength: 18, withPad: " ", startingAt: 0)
                  + String(format: "%10.3f%10.1f", row.seconds, row.audioSeconds) + "    " + factor)
        }
        print(String(format: "synthesis through mastering: %.1fx real time (stage time summed over versions)",
                     report.synthesisThroughMasteringRealtimeFactor))
        if let v = report.vocalStagesRealtimeFactor {
            print(String(format: "vocal stages: %.1fx real time of sung audio (%.1f s sung, %.3f s of work)", v, sungAudio, vocalSeconds))
        }
        print(String(format: "whole job: %.2f s wall for %.1f s of audio (%.1fx real time)", wall, audio, audio / wall))
        print(String(format: "peak resident memory: %.1f MB", report.peakResidentMB))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(report) {
            if let jsonPath { try? data.write(to: URL(fileURLWithPath: jsonPath)) } else { print(String(decoding: data, as: UTF8.self)) }
        }
    }
}
