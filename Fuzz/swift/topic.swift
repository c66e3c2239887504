import Foundation

// libFuzzer target: a prompt's topic and its verse images (Sources/SongEngine/Lyrics/LyricTopic.swift), compiled
// into this binary from the engine's own source by scripts/fuzz-swift.sh. The prompt is untrusted text (300
// characters in a request; any bytes here); reading its topic must not crash or hang, the hook lines must hold
// together, and the images and their determiners must be what the verse templates can sing. Pronunciation is a
// stand-in (one syllable per vowel group): flite is not linked into the fuzz binary.
struct VowelGroups: Pronouncing {
    func pronounce(line: String) -> PronouncedLine {
        let words = line.split(separator: " ").map { word -> PronouncedWord in
            var groups = 0
            var inVowel = false
            for c in word.lowercased() {
                let v = "aeiouy".contains(c)
                if v && !inVowel { groups += 1 }
                inVowel = v
            }
            let syllable = PronouncedSyllable(phones: ["ax"], nucleus: 0, stress: 1)
            return PronouncedWord(text: String(word), syllables: Array(repeating: syllable, count: groups))
        }
        return PronouncedLine(words: words)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopic(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let prompt = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let topic = LyricTopic(prompt: prompt, pronouncer: VowelGroups())
    precondition((topic.phrase == nil) == topic.hookLines.isEmpty, "a topic without hook lines, or lines without one")
    precondition(topic.hookLines.count <= 3, "more than three hook lines")
    for line in topic.hookLines { precondition(!line.isEmpty && !line.contains("\n"), "an empty or broken hook line") }
    if let title = topic.title { precondition(!title.isEmpty && title.split(separator: " ").count <= 6) }
    // The words the verses sing as images, and the determiner each keeps (LyricsWriter's templates say "the $P").
    let images = LyricTopic.promptImages(prompt)
    precondition(images.count <= 6 && Set(images).count == images.count, "more than six images, or one twice")
    for w in images {
        precondition((3...12).contains(w.count) && w.allSatisfy { $0.isASCII && $0.isLetter }, "an image of \(w)")
    }
    for (w, d) in LyricTopic.promptDeterminers(prompt, images: images) {
        precondition(images.contains(w), "a determiner for a word that is not an image")
        precondition(["my", "our", "your", ""].contains(d), "determiner \(d)")
    }
    return 0
}
