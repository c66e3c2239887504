import Foundation

/// Measures the features of an image that the planner maps to music (see design-notes, "From image to musical
/// decisions"). The image is first box-filtered to at most `maxSide` pixels on its long side (in linear light,
/// alpha composited over white); every feature is measured on that copy, so the cost is bounded whatever the
/// input size.
public enum ImageAnalyzer {
    /// Long side of the analysed copy.
    public static let maxSide = 256
    /// Sobel gradient magnitude of L* (in L* units per pixel of the analysed copy) above which a pixel counts as
    /// an edge. 6 is a visible step: a clear edge between, say, grass blades; soft bokeh and sky stay below.
    public static let edgeThreshold = 6.0

    /// Pixels of the analysed copy in the working colour spaces.
    struct Pixels {
        var width: Int
        var height: Int
        /// CIE L*a*b* (D65) per pixel.
        var L: [Double]
        var A: [Double]
        var B: [Double]
        /// Gamma-encoded sRGB 0...1 (box average of the composited pixels).
        var r: [Double]
        var g: [Double]
        var b: [Double]
    }

    public static func analyze(_ image: RGBAImage) -> ImageFeatures {
        features(downscale(image), width: image.width, height: image.height)
    }

    /// The features and the scene (`SceneReader`), both measured on one analysis copy.
    public static func read(_ image: RGBAImage) -> (features: ImageFeatures, scene: Scene) {
        let px = downscale(image)
        return (features(px, width: image.width, height: image.height), SceneReader.read(px))
    }

    static func features(_ px: Pixels, width: Int, height: Int) -> ImageFeatures {
        let n = px.width * px.height
        let count = Double(n)

        // Lightness: mean and standard deviation of L*.
        var sumL = 0.0, sumL2 = 0.0
        for i in 0..<n {
            sumL += px.L[i]
            sumL2 += px.L[i] * px.L[i]
        }
        let meanL = sumL / count
        let contrast = (max(0, sumL2 / count - meanL * meanL)).squareRoot()

        // Saturation (HSV), Hasler-Süsstrunk colourfulness, hue histogram (HSV hue, chroma weighted).
        var sumS = 0.0
        var sumRG = 0.0, sumRG2 = 0.0, sumYB = 0.0, sumYB2 = 0.0
        var hueBins = [Double](repeating: 0, count: 36)
        var hueSin = [Double](repeating: 0, count: 36)
        var hueCos = [Double](repeating: 0, count: 36)
        for i in 0..<n {
            let r = px.r[i], g = px.g[i], b = px.b[i]
            let mx = max(r, g, b), mn = min(r, g, b)
            let chroma = mx - mn
            if mx > 0 { sumS += chroma / mx }
            let rg = (r - g) * 255, yb = (0.5 * (r + g) - b) * 255
            sumRG += rg; sumRG2 += rg * rg; sumYB += yb; sumYB2 += yb * yb
            if chroma > 0.02 {
                let hue = hsvHue(r: r, g: g, b: b, max: mx, chroma: chroma)
                let bin = min(35, Int(hue / 10))
                hueBins[bin] += chroma
                let rad = hue * .pi / 180
                hueSin[bin] += chroma * sin(rad)
                hueCos[bin] += chroma * cos(rad)
            }
        }
        let meanRG = sumRG / count, meanYB = sumYB / count
        let sdRG = (max(0, sumRG2 / count - meanRG * meanRG)).squareRoot()
        let sdYB = (max(0, sumYB2 / count - meanYB * meanYB)).squareRoot()
        let colourfulness = (sdRG * sdRG + sdYB * sdYB).squareRoot()
            + 0.3 * (meanRG * meanRG + meanYB * meanYB).squareRoot()
        let dominantHue = peakHue(bins: hueBins, sin: hueSin, cos: hueCos)

        // Warmth: chroma-weighted warm-minus-cool share over Lab hue; low-chroma pixels weigh as neutral.
        var warmSum = 0.0, warmWeight = 0.0
        for i in 0..<n {
            let a = px.A[i], b = px.B[i]
            let c = (a * a + b * b).squareRoot()
            if c > 1 {
                var h = atan2(b, a) * 180 / .pi
                if h < 0 { h += 360 }
                warmSum += c * warmness(labHue: h)
            }
            warmWeight += max(c, 10)
        }
        let warmth = max(-1, min(1, warmSum / warmWeight))

        let (edgeDensity, angularity) = edges(px)
        let palette = kMeansPalette(px)

        // Vertical profile: 8 bands top to bottom, mean L*, min-max normalised within the image.
        var bands = [Double](repeating: 0, count: 8)
        var bandCounts = [Double](repeating: 0, count: 8)
        for y in 0..<px.height {
            let band = min(7, y * 8 / px.height)
            var s = 0.0
            for x in 0..<px.width { s += px.L[y * px.width + x] }
            bands[band] += s
            bandCounts[band] += Double(px.width)
        }
        // Images shorter than 8 rows leave some bands empty: they take the nearest filled band above.
        var profile = [Double](repeating: meanL, count: 8)
        var last = meanL
        for i in 0..<8 {
            if bandCounts[i] > 0 { last = bands[i] / bandCounts[i] }
            profile[i] = last
        }
        let lo = profile.min()!, hi = profile.max()!
        let verticalProfile = hi - lo < 1 ? [Double](repeating: 0.5, count: 8) : profile.map { ($0 - lo) / (hi - lo) }

        return ImageFeatures(
            width: width, height: height, meanLightness: meanL, lightnessContrast: contrast,
            meanSaturation: sumS / count, colourfulness: colourfulness, warmth: warmth, edgeDensity: edgeDensity,
            angularity: angularity, palette: palette, dominantHue: dominantHue, verticalProfile: verticalProfile)
    }

    // MARK: - Downscaling and colour conversion

    /// sRGB 8-bit code to linear light.
    static let linearTable: [Double] = (0..<256).map { code in
        let c = Double(code) / 255
        return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }

    /// Box filter to at most `maxSide` on the long side, compositing over white in linear light, then converts to
    /// Lab (from the linear average) and keeps the gamma-encoded average for HSV measures.
    static func downscale(_ image: RGBAImage) -> Pixels {
        let w = max(1, image.width), h = max(1, image.height)
        let scale = max(1.0, Double(max(w, h)) / Double(maxSide))
        let ow = max(1, Int((Double(w) / scale).rounded())), oh = max(1, Int((Double(h) / scale).rounded()))
        let n = ow * oh
        var linR = [Double](repeating: 0, count: n), linG = linR, linB = linR
        var gamR = linR, gamG = linR, gamB = linR
        if image.width > 0 && image.height > 0 {
            let table = linearTable
            image.pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { lin in
                    for oy in 0..<oh {
                        let y0 = oy * h / oh, y1 = max(y0 + 1, (oy + 1) * h / oh)
                        for ox in 0..<ow {
                            let x0 = ox * w / ow, x1 = max(x0 + 1, (ox + 1) * w / ow)
                            var lr = 0.0, lg = 0.0, lb = 0.0, sr = 0, sg = 0, sb = 0
                            var opaqueCount = 0
                            var blended = 0.0
                            for y in y0..<y1 {
                                var p = (y * w + x0) * 4
                                for _ in x0..<x1 {
                                    let alpha = Int(src[p + 3])
                                    let r = Int(src[p]), g = Int(src[p + 1]), b = Int(src[p + 2])
                                    if alpha == 255 {
                                        lr += lin[r]; lg += lin[g]; lb += lin[b]
                                        sr += r; sg += g; sb += b
                                        opaqueCount += 1
                                    } else {
                                        let a = Double(alpha) / 255
                                        lr += a * lin[r] + (1 - a)
                                        lg += a * lin[g] + (1 - a)
                                        lb += a * lin[b] + (1 - a)
                                        sr += (alpha * r + (255 - alpha) * 255) / 255
                                        sg += (alpha * g + (255 - alpha) * 255) / 255
                                        sb += (alpha * b + (255 - alpha) * 255) / 255
                                        blended += 1
                                    }
                                    p += 4
                                }
                            }
                            let inv = 1.0 / (Double(opaqueCount) + blended)
                            let o = oy * ow + ox
                            linR[o] = lr * inv; linG[o] = lg * inv; linB[o] = lb * inv
                            gamR[o] = Double(sr) * inv / 255; gamG[o] = Double(sg) * inv / 255
                            gamB[o] = Double(sb) * inv / 255
                        }
                    }
                }
            }
        } else {
            for i in 0..<n { linR[i] = 1; linG[i] = 1; linB[i] = 1; gamR[i] = 1; gamG[i] = 1; gamB[i] = 1 }
        }
        var L = [Double](repeating: 0, count: n), A = L, B = L
        for i in 0..<n {
            let lab = linearToLab(linR[i], linG[i], linB[i])
            L[i] = lab.L; A[i] = lab.a; B[i] = lab.b
        }
        return Pixels(width: ow, height: oh, L: L, A: A, B: B, r: gamR, g: gamG, b: gamB)
    }

    /// Linear sRGB (D65) to CIE L*a*b*.
    static func linearToLab(_ r: Double, _ g: Double, _ b: Double) -> (L: Double, a: Double, b: Double) {
        let x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
        let y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
        let z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883
        func f(_ t: Double) -> Double { t > 216.0 / 24389.0 ? cbrt(t) : (24389.0 / 27.0 * t + 16) / 116 }
        let fx = f(x), fy = f(y), fz = f(z)
        return (max(0, min(100, 116 * fy - 16)), 500 * (fx - fy), 200 * (fy - fz))
    }

    /// CIE L*a*b* to gamma-encoded sRGB 0...1 (clamped).
    static func labToSRGB(_ L: Double, _ a: Double, _ b: Double) -> (r: Double, g: Double, b: Double) {
        let fy = (L + 16) / 116, fx = fy + a / 500, fz = fy - b / 200
        func finv(_ t: Double) -> Double { t * t * t > 216.0 / 24389.0 ? t * t * t : (116 * t - 16) * 27.0 / 24389.0 }
        let x = finv(fx) * 0.95047, y = finv(fy), z = finv(fz) * 1.08883
        let lr = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z
        let lg = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z
        let lb = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z
        func enc(_ c: Double) -> Double {
            let v = max(0, min(1, c))
            return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055
        }
        return (enc(lr), enc(lg), enc(lb))
    }

    static func hsvHue(r: Double, g: Double, b: Double, max mx: Double, chroma: Double) -> Double {
        var h: Double
        if mx == r {
            h = 60 * ((g - b) / chroma)
        } else if mx == g {
            h = 60 * ((b - r) / chroma + 2)
        } else {
            h = 60 * ((r - g) / chroma + 4)
        }
        if h < 0 { h += 360 }
        return h >= 360 ? h - 360 : h
    }

    /// The circular mean hue (degrees) around the strongest bin of a chroma-weighted 10-degree histogram, smoothed
    /// over neighbouring bins.
    static func peakHue(bins: [Double], sin s: [Double], cos c: [Double]) -> Double {
        guard bins.reduce(0, +) > 0 else { return 0 }
        var best = 0, bestValue = -1.0
        for i in 0..<36 {
            let v = bins[(i + 35) % 36] + bins[i] + bins[(i + 1) % 36]
            if v > bestValue { bestValue = v; best = i }
        }
        var ss = 0.0, cc = 0.0
        for d in -1...1 {
            let j = (best + d + 36) % 36
            ss += s[j]; cc += c[j]
        }
        var hue = atan2(ss, cc) * 180 / .pi
        if hue < 0 { hue += 360 }
        return hue
    }

    /// Warm (+1) to cool (-1) weight of a CIE Lab hue angle: reds, oranges and yellows warm; yellow-greens neutral;
    /// greens slightly cool; cyans and blues cool; purples neutral, magenta-reds warm again.
    static func warmness(labHue h: Double) -> Double {
        let knots: [(Double, Double)] = [
            (0, 0.7), (30, 1), (75, 1), (100, 0.6), (125, 0), (150, -0.4), (190, -1), (270, -1), (305, -0.5),
            (335, 0.2), (360, 0.7),
        ]
        for k in 1..<knots.count where h <= knots[k].0 {
            let (h0, v0) = knots[k - 1], (h1, v1) = knots[k]
            return v0 + (v1 - v0) * (h - h0) / (h1 - h0)
        }
        return 0.7
    }

    // MARK: - Edges

    /// The Sobel gradient of L* at pixel `i` (not on the border), in L* units per pixel: (x, y). Shared by the
    /// edge features and the scene reader's cells.
    @inline(__always)
    static func sobel(_ L: UnsafeBufferPointer<Double>, _ i: Int, width w: Int) -> (gx: Double, gy: Double) {
        let tl = L[i - w - 1], tc = L[i - w], tr = L[i - w + 1]
        let ml = L[i - 1], mr = L[i + 1]
        let bl = L[i + w - 1], bc = L[i + w], br = L[i + w + 1]
        let gx: Double = ((tr + 2 * mr + br) - (tl + 2 * ml + bl)) / 8
        let gy: Double = ((bl + 2 * bc + br) - (tl + 2 * tc + tr)) / 8
        return (gx, gy)
    }

    /// Edge density (share of pixels over the Sobel threshold) and angularity (peakiness of the magnitude-weighted
    /// orientation histogram of those edges: 1 - normalised entropy over 18 bins of 10 degrees, rescaled so that
    /// one or two dominant orientations read as high).
    static func edges(_ px: Pixels) -> (density: Double, angularity: Double) {
        let w = px.width, h = px.height
        guard w >= 3 && h >= 3 else { return (0, 0) }
        var edgeCount = 0
        var orientation = [Double](repeating: 0, count: 18)
        // Types spelled out: older type checkers (Swift 6.0-6.2) give up on this closure without them.
        px.L.withUnsafeBufferPointer { (L: UnsafeBufferPointer<Double>) -> Void in
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let (gx, gy) = sobel(L, y * w + x, width: w)
                    let mag = (gx * gx + gy * gy).squareRoot()
                    if mag > edgeThreshold {
                        edgeCount += 1
                        var angle = atan2(gy, gx) * 180 / .pi
                        if angle < 0 { angle += 180 }
                        orientation[min(17, Int(angle / 10))] += mag
                    }
                }
            }
        }
        let density = Double(edgeCount) / Double((w - 2) * (h - 2))
        let total = orientation.reduce(0, +)
        guard edgeCount >= 8, total > 0 else { return (density, 0) }
        var entropy = 0.0
        for v in orientation where v > 0 {
            let p = v / total
            entropy -= p * log(p)
        }
        let peakiness = 1 - entropy / log(18.0)
        // A photo of natural texture has peakiness ~0.02-0.1; a single straight edge or stripes ~0.7-1.
        let angularity = min(1, peakiness / 0.5).squareRoot()
        return (density, angularity)
    }

    // MARK: - Palette

    /// k-means (k = 5) in Lab over a strided sample of the analysed pixels. Deterministic initialisation: the
    /// medians of five equal lightness quantiles. Clusters that end closer than ΔE 3 are merged and empty ones
    /// dropped, so a flat image has a one-colour palette.
    static func kMeansPalette(_ px: Pixels) -> [PaletteColour] {
        let n = px.width * px.height
        let stride = max(1, n / 6000)
        var samples: [(Double, Double, Double)] = []
        samples.reserveCapacity(n / stride + 1)
        var i = 0
        while i < n {
            samples.append((px.L[i], px.A[i], px.B[i]))
            i += stride
        }
        let k = 5
        let sorted = samples.sorted { $0.0 < $1.0 }
        var centres: [(Double, Double, Double)] = (0..<k).map { q in
            sorted[min(sorted.count - 1, (2 * q + 1) * sorted.count / (2 * k))]
        }
        var assignment = [Int](repeating: 0, count: samples.count)
        for _ in 0..<12 {
            var sums = [(Double, Double, Double)](repeating: (0, 0, 0), count: k)
            var counts = [Int](repeating: 0, count: k)
            for (s, p) in samples.enumerated() {
                var best = 0, bestD = Double.infinity
                for (c, q) in centres.enumerated() {
                    let d = (p.0 - q.0) * (p.0 - q.0) + (p.1 - q.1) * (p.1 - q.1) + (p.2 - q.2) * (p.2 - q.2)
                    if d < bestD { bestD = d; best = c }
                }
                assignment[s] = best
                counts[best] += 1
                sums[best].0 += p.0; sums[best].1 += p.1; sums[best].2 += p.2
            }
            var moved = false
            for c in 0..<k where counts[c] > 0 {
                let m = Double(counts[c])
                let next = (sums[c].0 / m, sums[c].1 / m, sums[c].2 / m)
                if abs(next.0 - centres[c].0) + abs(next.1 - centres[c].1) + abs(next.2 - centres[c].2) > 0.01 {
                    moved = true
                }
                centres[c] = next
            }
            if !moved { break }
        }
        var counts = [Int](repeating: 0, count: k)
        for a in assignment { counts[a] += 1 }
        // Merge near-identical clusters (into the larger), drop empty ones.
        var groups: [(centre: (Double, Double, Double), count: Int)] = []
        for c in (0..<k).sorted(by: { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) })
        where counts[c] > 0 {
            let q = centres[c]
            if let g = groups.firstIndex(where: {
                let d = ($0.centre.0 - q.0) * ($0.centre.0 - q.0) + ($0.centre.1 - q.1) * ($0.centre.1 - q.1)
                    + ($0.centre.2 - q.2) * ($0.centre.2 - q.2)
                return d < 9
            }) {
                groups[g].count += counts[c]
            } else {
                groups.append((q, counts[c]))
            }
        }
        let total = Double(samples.count)
        return groups.map { g in
            let (L, a, b) = g.centre
            let rgb = labToSRGB(L, a, b)
            let hex = String(format: "#%02X%02X%02X", Int((rgb.r * 255).rounded()), Int((rgb.g * 255).rounded()),
                             Int((rgb.b * 255).rounded()))
            return PaletteColour(hex: hex, share: Double(g.count) / total, name: ColourNames.name(L: L, a: a, b: b),
                                 lightness: L, a: a, b: b)
        }
    }
}
