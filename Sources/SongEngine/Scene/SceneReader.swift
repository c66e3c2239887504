import Foundation

/// Finds the things of issue 12's vocabulary in a picture from its pixels alone (docs/picture.md, "Scene").
///
/// Works on the analysis copy (`ImageAnalyzer.Pixels`, at most 256 px): a grid of about 24 cells on the long side,
/// each cell measured for mean CIE Lab, lightness spread, Sobel gradient, and how its edges lie (horizontal,
/// vertical, slanted). Cells get materials by colour and texture (smooth blue or pale: sky-like; green: plants;
/// beige: sand; saturated warm: blossom), the sky is the sky-like area joined to the top edge, and each tag is a
/// rule over materials, position and shape whose strength becomes its confidence. Every rule's numbers go into
/// the evidence. No trained model: people, faces and animals are not found (they need one).
enum SceneReader {
    struct Cell {
        var L = 0.0, a = 0.0, b = 0.0
        var sdL = 0.0
        /// Mean Sobel magnitude of L* (L* units per pixel).
        var grad = 0.0
        /// Share of pixels above the edge threshold.
        var edges = 0.0
        /// Edge magnitude lying horizontal (a horizontal line), vertical, as shares of all edge magnitude.
        var horizontal = 0.0
        var vertical = 0.0
        var x = 0.0, y = 0.0
        var chroma: Double { (a * a + b * b).squareRoot() }
        var hue: Double {
            var h = atan2(b, a) * 180 / .pi
            if h < 0 { h += 360 }
            return h
        }

        var smooth: Bool { grad < 2.5 && sdL < 6 }
        var blueish: Bool { chroma >= 6 && hue >= 180 && hue < 320 }
        var pale: Bool { chroma < 12 && L > 62 }
        var warmTint: Bool { chroma >= 12 && (hue < 100 || hue >= 320) }
        var greenish: Bool { chroma >= 8 && hue >= 95 && hue < 180 }
        var darkPlant: Bool { L < 40 && chroma >= 4 && hue >= 80 && hue < 200 }
        /// Smooth, or textured as clouds are (soft-edged, not leaf or stone texture), and blue, pale or warm-lit.
        var skyLike: Bool {
            let calm = smooth || (grad < 4 && sdL < 9)
            let soft = calm || (grad < 6.5 && sdL < 18 && !greenish)
            // Clouds' texture only in blue or pale: warm texture is more often sand, grass or skin.
            return (soft && ((blueish && L > 25) || (pale && L > 35))) || (calm && warmTint && L > 45)
        }
        var sandLike: Bool { hue >= 55 && hue < 100 && chroma >= 8 && chroma < 35 && L > 50 && L < 90 && grad < 8 }
        var blossom: Bool {
            (chroma >= 35 && (hue < 75 || hue >= 290)) || (chroma >= 45 && hue >= 75 && hue < 110 && L > 55)
        }
    }

    struct Grid {
        var cols: Int
        var rows: Int
        var cells: [Cell]
        subscript(c: Int, r: Int) -> Cell { cells[r * cols + c] }
    }

    static let cellsOnLongSide = 24

    static func read(_ px: ImageAnalyzer.Pixels) -> Scene {
        guard px.width >= 8, px.height >= 8 else { return Scene(things: []) }
        let grid = measure(px)
        var found: [SceneThing] = []
        func add(_ tag: String, _ confidence: Double, _ evidence: String, _ location: String, _ colour: String? = nil) {
            let c = min(1, max(0, confidence))
            if c >= Scene.foundConfidence {
                found.append(SceneThing(tag: tag, confidence: (c * 100).rounded() / 100, evidence: evidence,
                                        location: location, colour: colour))
            }
        }
        let all = grid.cells
        let n = Double(all.count)
        func share(_ cells: [Cell], _ test: (Cell) -> Bool) -> Double {
            cells.isEmpty ? 0 : Double(cells.filter(test).count) / Double(cells.count)
        }
        func pct(_ v: Double) -> String { "\(Int((v * 100).rounded()))%" }
        func colourName(_ cells: [Cell]) -> String? {
            guard !cells.isEmpty else { return nil }
            let m = meanLab(cells)
            return LyricColour.word(L: m.L, a: m.a, b: m.b)
        }
        func location(_ cells: [Cell]) -> String {
            guard !cells.isEmpty else { return "everywhere" }
            if Double(cells.count) / n > 0.7 { return "everywhere" }
            let k = Double(cells.count)
            let y = cells.reduce(0) { $0 + $1.y } / k, x = cells.reduce(0) { $0 + $1.x } / k
            if y < 0.36 { return "above" }
            if y > 0.64 { return "below" }
            if x < 0.33 { return "left" }
            if x > 0.67 { return "right" }
            return "centre"
        }

        // Sky: sky-like cells joined to the top edge, cut at the horizon when it reaches below one (a sea under the
        // sky is as smooth and as blue).
        var skyMask = connectedFromTop(grid) { $0.skyLike }
        for _ in 0..<3 {
            guard let horizon = horizonRow(grid, skyMask) else { break }
            for k in (horizon * grid.cols)..<grid.cells.count { skyMask[k] = false }
        }
        let sky = zip(all, skyMask).filter { $0.1 }.map(\.0)
        let skyShare = Double(sky.count) / n
        let topRow = (0..<grid.cols).map { grid[$0, 0] }
        let topInSky = Double((0..<grid.cols).filter { skyMask[$0] }.count) / Double(grid.cols)
        let meanL = all.reduce(0) { $0 + $1.L } / n
        let topThird = all.filter { $0.y < 0.34 }
        let topL = topThird.reduce(0) { $0 + $1.L } / Double(max(1, topThird.count))
        // Night: dark, with a top that is not foliage (a dark forest is not a night sky).
        let night = meanL < 28 && topL < 32 && share(topThird) { $0.greenish || $0.darkPlant } < 0.3
        var skyFound = false
        // A picture that is all sky-like (a close-up against one smooth colour) is not read as sky unless its top
        // is lighter than its bottom.
        let bottomHalf = all.filter { $0.y > 0.5 }
        let bottomL = bottomHalf.reduce(0) { $0 + $1.L } / Double(max(1, bottomHalf.count))
        let allSky = skyShare > 0.85 && topL <= bottomL + 3
        if !night && !allSky && skyShare >= 0.06 && topInSky >= 0.4 {
            let blue = share(sky) { $0.blueish }
            let conf = 0.15 + 0.45 * topInSky + 1.0 * min(0.4, skyShare)
            skyFound = conf >= Scene.foundConfidence
            add("sky", conf, "top edge \(pct(topInSky)) smooth blue or pale; \(pct(skyShare)) of the picture; "
                + "\(pct(blue)) of it blue", "above", colourName(sky))
            // Clouds: pale and blue patches together, or a pale sky with texture.
            let paleShare = share(sky) { $0.pale }
            let textured = sky.reduce(0) { $0 + $1.sdL } / Double(max(1, sky.count))
            if skyFound {
                let mixed = min(paleShare, blue) / 0.2
                let overcast = blue < 0.15 ? (textured - 1.5) / 3 : 0
                add("clouds", 0.25 + 0.5 * max(mixed, overcast),
                    "sky \(pct(paleShare)) pale and \(pct(blue)) blue; lightness spread \(String(format: "%.1f", textured))",
                    "above")
            }
            // Sunset: warm sky.
            let warm = share(sky) { $0.warmTint }
            let topWarm = share(topThird) { $0.warmTint && $0.grad < 6 }
            let sunsetScore = max(warm, topWarm)
            add("sunset", 0.2 + 1.5 * sunsetScore, "sky \(pct(warm)) warm-hued (orange, pink, violet); top third "
                + "\(pct(topWarm))", "above", colourName(sky.filter(\.warmTint)))
        } else if !night {
            // A warm smooth top without a joined sky region (a glowing haze behind a subject).
            let topWarm = share(topThird) { $0.warmTint && $0.smooth && $0.L > 45 }
            add("sunset", 0.2 + 1.2 * topWarm, "top third \(pct(topWarm)) smooth and warm-hued", "above")
        }

        // Sun: a small compact burst of near-white in the upper part (measured on pixels).
        let sun = sunBlob(px)
        if let sun, sun.fraction < 0.05, sun.centreY < 0.75, skyFound || topL > 45, topL < 85 {
            add("sun", 0.3 + 0.5 * sun.compactness + (skyFound ? 0.15 : 0),
                "near-white blob of \(String(format: "%.2f", sun.fraction * 100))% of the picture, compactness "
                + String(format: "%.2f", sun.compactness), sun.centreY < 0.36 ? "above" : "centre")
        }

        // Night, stars, moon, city lights.
        if night {
            add("night", 0.5 + (28 - meanL) / 40, "mean lightness \(Int(meanL)); top third \(Int(topL))", "everywhere")
            let points = brightPoints(px)
            if points.plain >= 15 {
                add("stars", 0.4 + Double(points.plain) / 100, "\(points.plain) small bright points on the dark", "above")
            }
            if points.coloured >= 20 {
                add("city_lights", 0.4 + Double(points.coloured) / 80, "\(points.coloured) small coloured lights", "below")
            }
            if let moon = sun, moon.fraction < 0.03 {
                add("moon", 0.35 + 0.5 * moon.compactness, "compact bright disc, compactness "
                    + String(format: "%.2f", moon.compactness), "above")
            }
        }

        // Below the sky line: per column the lowest sky row.
        var skyBottom = [Int](repeating: 0, count: grid.cols)
        for c in 0..<grid.cols {
            var r = 0
            while r < grid.rows && skyMask[r * grid.cols + c] { r += 1 }
            skyBottom[c] = r
        }
        let ground = zip(all, skyMask).filter { !$0.1 }.map(\.0)
        let lowerHalf = ground.filter { $0.y > 0.5 }
        let lowerForWater = skyFound ? ground.filter { $0.y > 0.3 } : all.filter { $0.y > 0.4 }

        // Water: smooth or horizontally lined blue, cyan or grey below the sky.
        let waterTest: (Cell) -> Bool = { c in
            !c.greenish && !c.sandLike && c.grad < 7 && c.L > 18
                && (c.blueish || c.chroma < 12) && (c.horizontal >= c.vertical || c.smooth)
        }
        let waterCells = lowerForWater.filter(waterTest)
        let waterShare = lowerForWater.isEmpty ? 0 : Double(waterCells.count) / Double(lowerForWater.count)
        let blueAll = share(all) { $0.blueish }
        let waterBlue = share(waterCells) { $0.blueish }
        var waterFound = false
        if skyFound || (blueAll > 0.6 && meanL > 25) {
            let conf = skyFound ? 0.15 + 1.2 * waterShare + 0.2 * waterBlue : 0.2 + 0.6 * blueAll
            waterFound = conf >= Scene.foundConfidence
            add("water", conf, "\(pct(waterShare)) of the lower picture smooth or level-lined blue, cyan or grey "
                + "(\(pct(waterBlue)) blue)" + (skyFound ? " under the sky" : "; \(pct(blueAll)) of the picture blue"),
                location(waterCells), colourName(waterCells))
        }
        if waterFound && skyFound {
            // Lake or sea: a far shore between sky and water makes a lake; water straight up to the sky, a sea.
            var shoreColumns = 0
            for c in 0..<grid.cols {
                let r = skyBottom[c]
                guard r < grid.rows else { continue }
                let cell = grid[c, r]
                if !waterTest(cell) { shoreColumns += 1 }
            }
            let shore = Double(shoreColumns) / Double(grid.cols)
            let lake = 0.2 + 0.8 * shore, sea = 0.2 + 0.8 * (1 - shore) * waterBlue
            // One or the other: the stronger reading.
            if lake >= sea {
                add("lake", lake, "a far shore under the sky in \(pct(shore)) of the columns", "centre")
            } else {
                add("sea", sea, "water meets the sky in \(pct(1 - shore)) of the columns", "centre")
            }
        }

        // Sand and desert.
        let sandLow = share(lowerHalf) { $0.sandLike }
        let sandAll = share(all) { $0.sandLike }
        add("sand", 0.1 + 1.4 * sandLow, "\(pct(sandLow)) of the lower half beige and smooth", "below",
            colourName(lowerHalf.filter(\.sandLike)))
        if skyFound { add("desert", 0.1 + 0.8 * sandAll, "\(pct(sandAll)) of the picture beige and smooth", "everywhere") }

        // Snow: bright, colourless, slightly textured ground under a sky.
        if skyFound {
            let snow = share(ground) { $0.L > 80 && $0.chroma < 8 && $0.grad > 1 }
            add("snow", 0.25 + 3 * snow, "\(pct(snow)) of the ground bright white with texture", "below")
        }

        // Plants: grass low, trees high, forest everywhere.
        let lowPart = ground.filter { $0.y > 0.55 }
        // Green, or golden and textured as dry grass is.
        // (Dry grass only under a sky: golden petals in a close-up have texture too.)
        let dryGrass: (Cell) -> Bool = { skyFound && $0.hue >= 70 && $0.hue < 100 && $0.chroma >= 35 && $0.grad > 2.5 }
        let grass = share(lowPart) { $0.greenish || ($0.darkPlant && $0.grad > 2) || dryGrass($0) }
        add("grass", 0.1 + 0.9 * grass, "\(pct(grass)) of the lower ground green or dry golden", "below",
            colourName(lowPart.filter { $0.greenish || dryGrass($0) }))
        let upper = all.filter { $0.y < 0.5 }
        let treeTest: (Cell) -> Bool = { ($0.greenish || $0.darkPlant) && $0.grad >= 3 && !$0.skyLike }
        // Trees stand against a sky or in their own shade: a close-up of bright leaves or grass has neither.
        let shade = share(upper) { $0.L < 40 }
        let trees = skyFound || shade >= 0.25 ? share(upper) { treeTest($0) } : 0
        add("trees", 0.1 + 1.5 * trees, "\(pct(trees)) of the upper half green or dark green with texture; "
            + (skyFound ? "under a sky" : "\(pct(shade)) of it in shade"), "above")
        let plants = share(all) { $0.greenish || $0.darkPlant }
        if trees >= 0.3 && topInSky < 0.3 {
            add("forest", 0.1 + 0.8 * plants, "\(pct(plants)) of the picture plants, little or no sky", "everywhere")
        }

        // Flowers: saturated warm or violet blossom colour, as a central bloom or scattered among green.
        let blossoms = all.filter(\.blossom)
        let blossomShare = Double(blossoms.count) / n
        if !blossoms.isEmpty {
            let bx = blossoms.reduce(0) { $0 + $1.x } / Double(blossoms.count)
            let by = blossoms.reduce(0) { $0 + $1.y } / Double(blossoms.count)
            let central = abs(bx - 0.5) < 0.25 && abs(by - 0.5) < 0.25
            let green = share(all) { $0.greenish }
            let conf = blossomShare >= 0.12 && central ? 0.3 + 1.2 * blossomShare + 0.4 * green
                : blossomShare >= 0.004 && green >= 0.3 ? 0.45 + 0.5 * green : 0
            add("flowers", conf, "\(pct(blossomShare)) of the picture saturated blossom colour"
                + (central ? ", centred" : "") + "; \(pct(green)) green around", location(blossoms), colourName(blossoms))
        }

        // Mountains: a ragged skyline across the picture above a band that is neither water nor plants.
        if skyFound && skyBottom.count >= 4 {
            let heights = skyBottom.map { Double($0) / Double(grid.rows) }
            let inBand = Double(heights.filter { $0 > 0.1 && $0 < 0.75 }.count) / Double(heights.count)
            var jag = 0.0
            for i in 1..<skyBottom.count { jag += Double(abs(skyBottom[i] - skyBottom[i - 1])) }
            jag /= Double(skyBottom.count - 1)
            // Roofs make a skyline of flat runs and steps; a mountain's rises and falls a little at every column.
            var steps = 0
            for i in 1..<skyBottom.count where abs(skyBottom[i] - skyBottom[i - 1]) >= 4 { steps += 1 }
            let stepShare = Double(steps) / Double(skyBottom.count - 1)
            let range = Double((skyBottom.max() ?? 0) - (skyBottom.min() ?? 0))
            var band: [Cell] = []
            for c in 0..<grid.cols where skyBottom[c] < grid.rows { band.append(grid[c, skyBottom[c]]) }
            let bandPlants = share(band) { $0.greenish && $0.L > 40 }
            let bandWater = share(band) { waterTest($0) }
            let straight = share(band) { $0.vertical > 0.5 }
            let score = inBand * min(1, jag / 0.6) * min(1, range / 2) * (1 - bandPlants) * (1 - 0.7 * bandWater)
                * (1 - straight) * max(0, 1 - 2 * stepShare)
            add("mountains", 0.15 + 0.9 * score, String(format: "skyline across %@ of the picture, %.2f cells of rise "
                + "per column, %.0f cells high; %@ of the band below green, %@ water", pct(inBand), jag, range,
                pct(bandPlants), pct(bandWater)), "centre")
        }

        // Buildings: long straight edges, level and upright, on surfaces that are not plants.
        let built = all.filter { !$0.greenish && !$0.darkPlant && $0.edges > 0.1 }
        if !built.isEmpty {
            let k = Double(built.count)
            let straightness = built.reduce(0) { $0 + $1.horizontal + $1.vertical } / k
            let builtShare = k / n
            let muted = share(built) { $0.chroma < 30 }
            let conf = (straightness - 0.55) * 2.5 * min(1, builtShare / 0.25) * (0.5 + 0.5 * muted) + 0.2
            add("buildings", conf, "\(pct(builtShare)) of the picture edged; \(pct(straightness)) of those edges "
                + "level or upright; \(pct(muted)) muted", location(built))
            let street = share(lowPart) { $0.chroma < 15 && $0.grad > 3 && !$0.greenish }
            if conf >= Scene.foundConfidence {
                add("street", 0.15 + 0.8 * street, "\(pct(street)) of the lower ground grey and textured", "below")
            }
        }

        // A central subject: the middle differs from the border in colour, or is sharp where the border is soft; a
        // landscape under a sky differs from its border too, so a found sky counts against.
        let centre = all.filter { abs($0.x - 0.5) < 0.25 && abs($0.y - 0.5) < 0.25 }
        let border = all.filter { $0.x < 0.17 || $0.x > 0.83 || $0.y < 0.17 || $0.y > 0.83 }
        if !centre.isEmpty && !border.isEmpty {
            let bm = meanLab(border)
            let distinct = centre.filter { c in
                let d = ((c.L - bm.L) * (c.L - bm.L) + (c.a - bm.a) * (c.a - bm.a) + (c.b - bm.b) * (c.b - bm.b))
                return d.squareRoot() > 25
            }
            let distinctShare = Double(distinct.count) / Double(centre.count)
            let centreGrad = centre.reduce(0) { $0 + $1.grad } / Double(centre.count)
            let borderGrad = border.reduce(0) { $0 + $1.grad } / Double(border.count)
            let sharpness = centreGrad / max(0.5, borderGrad)
            let conf = 0.1 + 0.6 * min(1, distinctShare / 0.5) + 0.3 * min(1, max(0, sharpness - 1) / 1.5)
                - (skyFound ? 0.3 : 0)
            add("central_subject", conf, "\(pct(distinctShare)) of the centre unlike the border in colour; centre "
                + String(format: "%.1fx as sharp as the border", sharpness), "centre",
                colourName(distinct.isEmpty ? centre : distinct))
        }
        return Scene(things: found)
    }

    // MARK: - Measuring

    /// Mean L*, a*, b* of some cells (not empty).
    static func meanLab(_ cells: [Cell]) -> (L: Double, a: Double, b: Double) {
        let k = Double(cells.count)
        return (cells.reduce(0) { $0 + $1.L } / k, cells.reduce(0) { $0 + $1.a } / k, cells.reduce(0) { $0 + $1.b } / k)
    }

    static func measure(_ px: ImageAnalyzer.Pixels) -> Grid {
        let w = px.width, h = px.height
        let size = max(4, (max(w, h) + cellsOnLongSide - 1) / cellsOnLongSide)
        let cols = max(1, w / size), rows = max(1, h / size)
        var cells = [Cell](repeating: Cell(), count: cols * rows)
        var counts = [Double](repeating: 0, count: cols * rows)
        var sumL2 = [Double](repeating: 0, count: cols * rows)
        var edgeMag = [Double](repeating: 0, count: cols * rows)
        px.L.withUnsafeBufferPointer { (Lp: UnsafeBufferPointer<Double>) -> Void in
            for y in 0..<h {
                let r = min(rows - 1, y / size)
                for x in 0..<w {
                    let c = min(cols - 1, x / size)
                    let k = r * cols + c
                    let i = y * w + x
                    let L = Lp[i]
                    cells[k].L += L
                    cells[k].a += px.A[i]
                    cells[k].b += px.B[i]
                    sumL2[k] += L * L
                    counts[k] += 1
                    guard x > 0, y > 0, x < w - 1, y < h - 1 else { continue }
                    let (gx, gy) = ImageAnalyzer.sobel(Lp, i, width: w)
                    let mag = (gx * gx + gy * gy).squareRoot()
                    cells[k].grad += mag
                    if mag > ImageAnalyzer.edgeThreshold {
                        cells[k].edges += 1
                        edgeMag[k] += mag
                        // A horizontal line has a vertical gradient.
                        if abs(gy) > 3 * abs(gx) { cells[k].horizontal += mag }
                        if abs(gx) > 3 * abs(gy) { cells[k].vertical += mag }
                    }
                }
            }
        }
        for r in 0..<rows {
            for c in 0..<cols {
                let k = r * cols + c
                let m = max(1, counts[k])
                cells[k].L /= m
                cells[k].a /= m
                cells[k].b /= m
                cells[k].sdL = max(0, sumL2[k] / m - cells[k].L * cells[k].L).squareRoot()
                cells[k].grad /= m
                cells[k].edges /= m
                if edgeMag[k] > 0 {
                    cells[k].horizontal /= edgeMag[k]
                    cells[k].vertical /= edgeMag[k]
                }
                cells[k].x = (Double(c) + 0.5) / Double(cols)
                cells[k].y = (Double(r) + 0.5) / Double(rows)
            }
        }
        return Grid(cols: cols, rows: rows, cells: cells)
    }

    /// The row where the sky-like area changes most in colour (mean Lab of its cells above against below, at least
    /// 10 apart, the part below at least 5 L* darker), searched between a quarter and seven eighths of the height;
    /// nil when the area stays one colour. Applied up to three times (sky over sea over sand).
    static func horizonRow(_ grid: Grid, _ mask: [Bool]) -> Int? {
        var rowSum = [(Double, Double, Double, Double)](repeating: (0, 0, 0, 0), count: grid.rows)
        for r in 0..<grid.rows {
            for c in 0..<grid.cols where mask[r * grid.cols + c] {
                let cell = grid[c, r]
                rowSum[r].0 += cell.L; rowSum[r].1 += cell.a; rowSum[r].2 += cell.b; rowSum[r].3 += 1
            }
        }
        var best: (row: Int, distance: Double)?
        for r in max(1, grid.rows / 4)..<max(1, grid.rows * 7 / 8) {
            var above = (0.0, 0.0, 0.0, 0.0), below = (0.0, 0.0, 0.0, 0.0)
            for i in 0..<grid.rows {
                let s = rowSum[i]
                if i < r { above = (above.0 + s.0, above.1 + s.1, above.2 + s.2, above.3 + s.3) }
                else { below = (below.0 + s.0, below.1 + s.1, below.2 + s.2, below.3 + s.3) }
            }
            // Both sides need a real share of the sky-like area.
            guard above.3 >= Double(grid.cols), below.3 >= Double(grid.cols) else { continue }
            let dL = above.0 / above.3 - below.0 / below.3, da = above.1 / above.3 - below.1 / below.3
            let db = above.2 / above.3 - below.2 / below.3
            let d = (dL * dL + da * da + db * db).squareRoot()
            // Water and land under a sky are darker than it; a sunset's glow low in the sky is not.
            if d >= 10 && dL >= 5 && d > (best?.distance ?? 0) { best = (r, d) }
        }
        return best?.row
    }

    /// Cells passing `test` that connect (4-neighbours) to a passing cell of the top row.
    static func connectedFromTop(_ grid: Grid, _ test: (Cell) -> Bool) -> [Bool] {
        var mask = [Bool](repeating: false, count: grid.cells.count)
        var stack: [Int] = []
        for c in 0..<grid.cols where test(grid.cells[c]) {
            mask[c] = true
            stack.append(c)
        }
        while let k = stack.popLast() {
            let r = k / grid.cols, c = k % grid.cols
            for (dc, dr) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let nc = c + dc, nr = r + dr
                guard nc >= 0, nr >= 0, nc < grid.cols, nr < grid.rows else { continue }
                let nk = nr * grid.cols + nc
                if !mask[nk] && test(grid.cells[nk]) {
                    mask[nk] = true
                    stack.append(nk)
                }
            }
        }
        return mask
    }

    /// The near-white pixels (L* > 96) of the picture: their share, how compact they lie (pixels over their
    /// bounding box's area; a disc is ~0.79) and where.
    static func sunBlob(_ px: ImageAnalyzer.Pixels) -> (fraction: Double, compactness: Double, centreY: Double)? {
        var count = 0, minX = Int.max, maxX = 0, minY = Int.max, maxY = 0, sumY = 0
        for y in 0..<px.height {
            for x in 0..<px.width where px.L[y * px.width + x] > 96 {
                count += 1
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                sumY += y
            }
        }
        guard count >= 6 else { return nil }
        let box = Double((maxX - minX + 1) * (maxY - minY + 1))
        return (Double(count) / Double(px.width * px.height), Double(count) / box,
                Double(sumY) / Double(count) / Double(px.height))
    }

    /// Small bright points: a pixel over L* 60 and 25 above the mean of its 5x5 neighbourhood, counted once per
    /// 3x3 block; "coloured" when its chroma is over 20.
    static func brightPoints(_ px: ImageAnalyzer.Pixels) -> (plain: Int, coloured: Int) {
        let w = px.width, h = px.height
        guard w > 6, h > 6 else { return (0, 0) }
        var plain = 0, coloured = 0
        var y = 2
        while y < h - 2 {
            var x = 2
            while x < w - 2 {
                var best = -1.0, bi = 0
                for dy in 0..<3 where y + dy < h - 2 {
                    for dx in 0..<3 where x + dx < w - 2 {
                        let i = (y + dy) * w + x + dx
                        if px.L[i] > best { best = px.L[i]; bi = i }
                    }
                }
                if best > 60 {
                    let cy = bi / w, cx = bi % w
                    var s = 0.0
                    for yy in (cy - 2)...(cy + 2) { for xx in (cx - 2)...(cx + 2) { s += px.L[yy * w + xx] } }
                    if best - s / 25 > 25 {
                        let chroma = (px.A[bi] * px.A[bi] + px.B[bi] * px.B[bi]).squareRoot()
                        if chroma > 20 { coloured += 1 } else { plain += 1 }
                    }
                }
                x += 3
            }
            y += 3
        }
        return (plain, coloured)
    }
}

/// A colour as a lyric says it: one plain word ("blue", "golden", "grey") from Lab.
enum LyricColour {
    static func word(L: Double, a: Double, b: Double) -> String {
        let name = ColourNames.name(L: L, a: a, b: b)
        let word = LyricsWordBank.colour(forPaletteName: name).word
        // Said of a thing, the plainer word: green grass, golden light.
        return ["olive": "green", "amber": "golden", "crimson": "red"][word] ?? word
    }
}
