/// One colour of an image's palette: found by k-means in CIE Lab, reported as sRGB hex with its share of the
/// image and a human name ("deep blue", "golden yellow", "leaf green").
public struct PaletteColour: Codable, Sendable, Hashable {
    /// "#RRGGBB", sRGB.
    public var hex: String
    /// Fraction of the (downscaled) pixels nearest to this colour, 0...1; a palette's shares sum to 1.
    public var share: Double
    public var name: String
    /// CIE L*a*b* (D65) of the cluster centre.
    public var lightness: Double
    public var a: Double
    public var b: Double

    public init(hex: String, share: Double, name: String, lightness: Double, a: Double, b: Double) {
        self.hex = hex
        self.share = share
        self.name = name
        self.lightness = lightness
        self.a = a
        self.b = b
    }
}

/// What the analysis measures in an image. Every musical decision is derived from these numbers (see `Planner`).
public struct ImageFeatures: Codable, Sendable, Hashable {
    /// Size of the original image in pixels.
    public var width: Int
    public var height: Int
    /// Mean CIE L* (0 black ... 100 white), alpha composited over white.
    public var meanLightness: Double
    /// Standard deviation of L* over the pixels (0 flat ... ~50 half black, half white).
    public var lightnessContrast: Double
    /// Mean HSV saturation of the sRGB pixels, 0 (greys) ... 1 (pure hues).
    public var meanSaturation: Double
    /// Hasler & Süsstrunk (2003) colourfulness M on 0-255 sRGB: ~0 greys, ~33 "moderately", ~59 "quite", ~82
    /// "highly", > 109 "extremely" colourful.
    public var colourfulness: Double
    /// -1 (all cool hues: cyan, blue) ... +1 (all warm hues: red, orange, yellow); chroma weighted, greys neutral.
    public var warmth: Double
    /// 0...1: fraction of pixels whose Sobel gradient of L* exceeds `ImageAnalyzer.edgeThreshold`.
    public var edgeDensity: Double
    /// 0 (edges in all directions: curves, texture) ... 1 (all edges share one orientation: straight lines, stripes).
    public var angularity: Double
    /// Up to 5 colours, largest share first.
    public var palette: [PaletteColour]
    /// HSV hue in degrees (0 red, 60 yellow, 120 green, 240 blue) of the strongest chroma-weighted hue peak; 0 for
    /// images without colour (see `meanSaturation`).
    public var dominantHue: Double
    /// 8 bands from top to bottom: mean L* of each band, normalised to 0...1 within the image (0.5 everywhere when
    /// the bands do not differ).
    public var verticalProfile: [Double]

    public init(width: Int, height: Int, meanLightness: Double, lightnessContrast: Double, meanSaturation: Double,
                colourfulness: Double, warmth: Double, edgeDensity: Double, angularity: Double,
                palette: [PaletteColour], dominantHue: Double, verticalProfile: [Double]) {
        self.width = width
        self.height = height
        self.meanLightness = meanLightness
        self.lightnessContrast = lightnessContrast
        self.meanSaturation = meanSaturation
        self.colourfulness = colourfulness
        self.warmth = warmth
        self.edgeDensity = edgeDensity
        self.angularity = angularity
        self.palette = palette
        self.dominantHue = dominantHue
        self.verticalProfile = verticalProfile
    }
}
