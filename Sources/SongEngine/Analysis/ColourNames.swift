import Foundation

/// Human names for Lab colours, from lightness, chroma and hue angle (CIE LCh). Hue borders were set on the Lab
/// hues of familiar sRGB colours: red 40°, orange ~60°, yellow ~102°, green ~136°, cyan ~196°, blue ~306°,
/// violet ~315°, magenta ~328°.
enum ColourNames {
    static func name(L: Double, a: Double, b: Double) -> String {
        let chroma = (a * a + b * b).squareRoot()
        var hue = atan2(b, a) * 180 / .pi
        if hue < 0 { hue += 360 }

        if chroma < 8 {
            switch L {
            case 92...: return "white"
            case 75..<92: return "light grey"
            case 45..<75: return "grey"
            case 20..<45: return "dark grey"
            default: return "black"
            }
        }
        if L < 12 { return "near black" }
        if chroma < 14 {
            let tint: String
            switch hue {
            case 20..<100: tint = "warm grey"
            case 100..<170: tint = "greenish grey"
            case 170..<300: tint = "bluish grey"
            default: tint = "mauve grey"
            }
            return L >= 75 ? "light \(tint)" : L < 35 ? "dark \(tint)" : tint
        }

        let base: String
        switch hue {
        case 0..<20, 345...360: base = L > 65 ? "pink" : "crimson"
        case 20..<50: base = "red"
        case 50..<75: base = "orange"
        case 75..<95: base = "golden yellow"
        case 95..<112: base = "yellow"
        case 112..<135: base = "leaf green"
        case 135..<170: base = "green"
        case 170..<215: base = "teal"
        case 215..<250: base = "sky blue"
        case 250..<312: base = "blue"
        case 312..<325: base = "violet"
        default: base = "magenta"
        }

        // Earth tones: dark or dusty warm hues read as brown, sand, olive.
        if (20..<95).contains(hue) {
            if L < 50 && chroma < 60 { return L < 28 ? "dark brown" : "brown" }
            if L >= 60 && chroma < 35 { return "sand" }
        }
        if (95..<135).contains(hue) && L < 55 && chroma < 45 { return "olive" }

        let lightWord: String
        switch L {
        case ..<35: lightWord = "deep "
        case 35..<42: lightWord = "dark "
        case 70..<80 where !(75..<112).contains(hue): lightWord = "light "  // yellows are naturally light
        case 80...: lightWord = "pale "
        default: lightWord = ""
        }
        let mutedWord = chroma < 22 ? "muted " : ""
        if base == "sky blue" && L < 50 { return "\(mutedWord)\(lightWord)blue" }
        if base == "golden yellow" && L < 60 { return "\(mutedWord)\(lightWord)ochre" }
        return "\(mutedWord)\(lightWord)\(base)"
    }
}
