/// The lyric writer's words and line templates. Rhymes are NOT taken from here: end words are grouped at run time
/// by the pronouncer's `rhymeKey`, so spelling never decides what rhymes.
///
/// End-word classes say which line endings a word can close grammatically:
///   obj   a noun after "the" ("...across the sea")
///   place a noun one can be beside or in (obj words like sea, hill, town; not sky or noon)
///   vN    a bare verb whose subject is a thing ("...let the river flow")
///   vH    a bare verb whose subject is "we" ("...in the morning we rise")
///   adjW  an adjective said of a thing ("...the sky above is grey")
///   adjH  an adjective said of people ("...in the evening we are free")
///   vGo   a verb of going, after "where to" ("...I don't know where to run")
///   col   a colour ("...the river is turning gold")
/// Image tags weight a word up when the image matches: bright, dark, warm, cool, calm, energy, happy, sad, and a
/// colour family (blue, green, gold, red, grey, white, black, pink, brown, violet, teal, orange).
enum LyricsWordBank {
    struct EndWord: Sendable, Hashable {
        var word: String
        var classes: Set<String>
        var tags: Set<String>
    }

    /// "word classes tags", classes and tags comma separated.
    static let endWordSpecs: [String] = [
        "light obj bright", "night obj dark", "bright adjW bright,happy", "white adjW,col white,bright",
        "sky obj bright,blue", "fly vH,vN,vGo energy,happy", "high adjW,adjH energy,happy", "cry vH sad", "try vH",
        "glow vN bright,warm", "flow vN cool,calm", "go vH,vGo energy", "low adjW calm,dark", "snow obj cool,white",
        "grow vN,vH happy,green", "know vH", "gold adjW,col gold,warm,bright", "cold adjW cool,sad",
        "bold adjH energy", "unfold vN calm", "blue adjW,col blue,cool", "true adjH happy", "new adjW,adjH happy",
        "dew obj calm,green", "day obj bright", "way obj", "grey adjW,col grey,dark", "stay vH calm",
        "play vH happy,energy", "sway vN,vH calm", "bay obj,place cool,blue", "rain obj cool,sad,grey",
        "lane obj,place", "remain vH calm", "flame obj warm,energy,red", "sea obj,place cool,blue",
        "free adjH happy,energy", "tree obj,place green,calm", "green adjW,col green", "serene adjW calm",
        "tide obj,place cool,blue", "side obj", "ride vH,vGo energy", "hide vH,vGo dark,sad", "wide adjW bright",
        "glide vN calm", "shine vN bright,happy,gold", "line obj", "fine adjH happy", "pine obj,place green,cool",
        "climb vH,vGo energy", "fire obj warm,energy,red,orange", "star obj dark,bright", "shore obj,place cool,blue",
        "door obj,place", "floor obj,place", "roar vN energy", "soar vH,vN energy,happy", "sun obj bright,warm,gold",
        "run vH,vGo energy", "sand obj,place warm,gold,brown", "land obj,place", "hand obj", "stand vH",
        "town obj,place grey", "brown adjW,col brown,warm", "dark adjW dark,black",
        "spark obj bright,energy,orange", "red adjW,col red,warm", "pink adjW,col pink", "teal adjW,col teal,cool",
        "real adjH", "heal vH calm", "black adjW,col black,dark", "track obj,place energy", "still adjW calm",
        "hill obj,place green,calm", "alive adjH happy,energy", "drive vH,vGo energy", "dive vH,vGo energy,blue",
        "fall vN,vH,vGo sad", "burn vN warm,energy,red", "turn vN,vH,vGo", "learn vH", "return vH,vGo calm",
        "west obj warm,orange", "rest vH calm", "dream obj calm", "stream obj,place cool,blue,green",
        "gleam vN bright", "ground obj,place brown", "wave obj,place cool,blue", "brave adjH energy",
        "cave obj,place dark", "deep adjW cool,dark,blue", "sleep vH calm,dark", "sweep vN energy",
        "fade vN sad,calm", "shade obj dark,green", "parade obj happy,energy", "stone obj,place grey",
        "alone adjH sad", "unknown obj dark", "foam obj,place cool,white", "roam vH,vGo calm", "strong adjH energy",
        "belong vH happy", "sing vH happy", "spring obj green,happy", "glass obj cool", "grass obj,place green",
        "pass vN calm", "dust obj brown,grey", "moon obj dark,white", "noon obj bright,warm", "space obj dark",
        "race vH,vGo energy", "breeze obj cool,calm", "trees obj,place green", "freeze vN cool,white",
        "rise vN,vH bright,energy", "skies obj blue,bright", "storm obj energy,dark,grey",
        "warm adjW,adjH warm,happy", "air obj", "fair adjW happy", "bare adjW sad", "clear adjW bright,blue",
        "mellow adjW calm,gold", "yellow adjW,col gold", "silver adjW,col grey,white", "violet adjW,col violet",
        "amber adjW,col orange,warm",
        // Issue 12: words for the things a picture shows, and words that rhyme with them.
        "lake obj,place cool,blue", "wake vH", "break vN", "flower obj", "hour obj", "tower obj,place",
        "clouds obj grey,white", "crowds obj", "street obj,place grey", "sweet adjW,adjH happy", "meet vH happy",
        "feet obj", "bloom obj,place happy", "room obj,place", "gloom obj dark,sad", "field obj,place green",
        "peak obj,place", "seek vH", "speak vH", "walls obj,place grey", "city obj,place",
        "road obj,place", "stars obj dark", "far adjW", "are vH", "leaves obj green",
        "mountain obj,place", "fountain obj,place", "meadow obj,place green", "shadow obj dark", "garden obj,place green",
        "petals obj", "water obj,place cool,blue",
    ]

    /// Words that belong to a scene: sung when the picture shows one of the tags, seldom otherwise (a lake, a tide or
    /// a tower in a picture without them makes no sense). Words not listed fit any picture.
    static let sceneNeeds: [String: Set<String>] = [
        "sea": ["sea", "water"], "shore": ["sea", "lake", "water"], "tide": ["sea", "water"], "bay": ["sea", "water"],
        "wave": ["sea", "water"], "foam": ["sea", "water"], "lake": ["lake", "water"], "water": ["water", "rain"],
        "stream": ["water"], "dive": ["water", "sea"], "drown": ["water", "sea"], "rain": ["rain", "clouds"],
        "sand": ["sand", "desert", "sea"], "snow": ["snow"], "freeze": ["snow"], "cold": ["snow", "night"],
        "tree": ["trees", "forest"], "trees": ["trees", "forest"], "pine": ["trees", "forest"], "leaves": ["trees", "forest"],
        "shade": ["trees", "forest"], "grass": ["grass"], "meadow": ["grass"], "field": ["grass"], "dew": ["grass"],
        "hill": ["grass", "mountains"], "spring": ["grass", "flowers"], "flower": ["flowers"], "bloom": ["flowers"],
        "petals": ["flowers"], "garden": ["flowers", "grass"], "mountain": ["mountains"], "peak": ["mountains"],
        "climb": ["mountains"], "stone": ["mountains", "buildings", "street"], "cave": ["mountains"],
        "street": ["street", "buildings"], "road": ["street"], "lane": ["street", "buildings"], "town": ["buildings", "street"],
        "city": ["buildings", "street", "city_lights"], "walls": ["buildings"], "tower": ["buildings"],
        "door": ["buildings"], "floor": ["buildings"], "room": ["buildings"], "crowds": ["buildings", "person"],
        "star": ["stars", "night"], "stars": ["stars", "night"], "moon": ["moon", "night"], "space": ["stars", "night"],
        "sun": ["sun", "sunset", "sky"], "noon": ["sun"], "west": ["sunset"], "clouds": ["clouds"], "storm": ["clouds"],
        "sky": ["sky"], "skies": ["sky"], "fire": ["sunset", "sun"], "flame": ["sunset", "sun"], "burn": ["sunset", "sun"],
        "spark": ["city_lights", "sun"], "track": ["street"], "dust": ["sand", "desert", "street"], "fountain": ["buildings", "water"],
        "glass": ["buildings", "water"], "parade": ["street"], "line": ["buildings"],
    ]

    /// Nouns that stand for a found thing inside a line (`$E`: "the lake is calling"): singular or mass nouns, so
    /// "is" agrees.
    static let sceneElements: [String: [String]] = [
        "sky": ["sky"], "clouds": ["cloud"], "sun": ["sun"], "sunset": ["sunset"], "night": ["night"], "moon": ["moon"],
        "stars": ["starlight"], "water": ["water"], "sea": ["ocean", "sea"], "lake": ["lake"], "rain": ["rain"],
        "sand": ["sand"], "desert": ["desert"], "snow": ["snow"], "grass": ["meadow", "grass"], "trees": ["forest"],
        "forest": ["forest"], "flowers": ["flower", "garden"], "mountains": ["mountain"], "buildings": ["city"],
        "street": ["street"], "city_lights": ["city"],
    ]

    /// The plural or collective noun a found thing is named by after a colour ("the orange flowers", "the blue
    /// lake"): `$S`.
    static let sceneNames: [String: String] = [
        "sky": "sky", "clouds": "clouds", "sun": "sun", "sunset": "sunset", "moon": "moon", "stars": "stars",
        "water": "water", "sea": "sea", "lake": "lake", "sand": "sand", "snow": "snow", "grass": "grass",
        "trees": "trees", "forest": "forest", "flowers": "flowers", "mountains": "mountains", "buildings": "walls",
        "street": "street", "city_lights": "lights",
    ]

    /// `sceneNames` that take "are".
    static let pluralNames: Set<String> = ["clouds", "stars", "trees", "flowers", "mountains", "walls", "lights"]

    /// Times of light a found thing brings (`$L`).
    static let sceneLight: [String: [String]] = [
        "sunset": ["sunset", "evening"], "night": ["midnight", "darkness"], "moon": ["moonlight"], "stars": ["starlight"],
        "sun": ["sunlight", "morning"],
    ]

    static let endWords: [EndWord] = endWordSpecs.map { spec in
        let parts = spec.split(separator: " ").map(String.init)
        return EndWord(word: parts[0], classes: Set(parts[1].split(separator: ",").map(String.init)),
                       tags: parts.count > 2 ? Set(parts[2].split(separator: ",").map(String.init)) : [])
    }

    /// A line template: `#` is the end word; `$C` colour, `$L` time of light, `$E` element, `$M` moving (-ing),
    /// `$F` feeling, `$P` a word of the prompt. `mood`: "any", "happy" or "sad"; `use`: "any", "verse", "chorus",
    /// "bridge".
    struct Template: Sendable, Hashable {
        var text: String
        var ending: String
        var mood: String
        var use: String
    }

    static let templateSpecs: [(String, String, String, String)] = [
        // Nouns after "the".
        ("There's a $C light across the #", "obj", "any", "verse"),
        ("We are $M through the #", "obj", "any", "any"),
        ("A $C light is falling on the #", "obj", "any", "verse"),
        ("Meet me down beside the #", "place", "any", "any"),
        ("Carry me across the #", "obj", "any", "chorus"),
        ("There is $F in the #", "obj", "any", "verse"),
        ("Day and night I think about the #", "obj", "any", "verse"),
        ("Hold on to the $C #", "obj", "any", "chorus"),
        ("Underneath the $C #", "obj", "any", "any"),
        ("Somewhere out beyond the #", "obj", "any", "any"),
        ("We wrote our names upon the #", "obj", "happy", "verse"),
        ("I keep on $M to the #", "obj", "any", "any"),
        ("The $E is calling from the #", "obj", "any", "verse"),
        ("Follow me into the #", "obj", "happy", "chorus"),
        ("You and I against the #", "obj", "any", "chorus"),
        ("From the $P to the #", "obj", "any", "any"),
        ("All the way from the $P to the #", "obj", "any", "verse"),
        ("Dreaming of the $P and the #", "obj", "any", "any"),
        ("I still see the $P in the #", "obj", "any", "verse"),
        ("I left my heart beside the #", "place", "sad", "any"),
        ("Lost and lonely in the #", "place", "sad", "any"),
        ("I still remember the #", "obj", "sad", "verse"),
        ("Nothing left but the $C #", "obj", "sad", "any"),
        ("We'll be $M in the #", "obj", "happy", "chorus"),
        ("Take me to the $C #", "obj", "any", "chorus"),
        ("Oh, we are $M to the #", "obj", "any", "chorus"),
        ("But who will show me the #", "obj", "any", "bridge"),
        ("But now I see the $C #", "obj", "any", "bridge"),
        ("And the $F of the #", "obj", "any", "verse"),
        ("In the $C $L, by the #", "place", "any", "verse"),
        // Issue 12: lines that name what the picture shows ($S: a found thing with its colour, "the blue lake").
        ("I see the $S and the #", "obj", "any", "verse"),
        ("I wander past the $S to the #", "obj", "any", "verse"),
        ("I wait by the $S for the #", "obj", "any", "verse"),
        ("I remember the $S and the #", "obj", "any", "any"),
        ("Here beside the $S I #", "vH", "any", "any"),
        ("Oh, the $S is #", "adjW", "any", "chorus"),
        ("Above me the $S, below the #", "obj", "any", "any"),
        ("I can see the $S from the #", "place", "any", "verse"),
        ("Oh, the $S and the #", "obj", "any", "chorus"),
        // Verbs with a thing as subject.
        ("Watch the $S #", "vN", "any", "any"),
        ("Let the $S #", "vN", "any", "chorus"),
        ("All the $C lights begin to #", "vN", "any", "any"),
        ("I can feel the $E #", "vN", "any", "verse"),
        ("And in the $L the colours #", "vN", "any", "verse"),
        ("Before the $L the $E will #", "vN", "any", "bridge"),
        ("Even the $S will #", "vN", "sad", "any"),
        // Verbs with "we" as subject.
        ("In the $L we #", "vH", "any", "any"),
        ("Now is the time for us to #", "vH", "happy", "chorus"),
        ("Under $C skies we #", "vH", "any", "any"),
        ("Take my hand and we will #", "vH", "happy", "chorus"),
        ("Every day we learn to #", "vH", "any", "verse"),
        ("And I don't know where to #", "vGo", "sad", "any"),
        ("But one day we will #", "vH", "any", "bridge"),
        ("Out in the $E we #", "vH", "any", "verse"),
        // Adjectives said of things.
        ("And now the $E is #", "adjW", "any", "any"),
        ("The world outside is #", "adjW", "any", "verse"),
        ("The sky above is #", "adjW", "any", "any"),
        ("And the $L is #", "adjW", "any", "verse"),
        ("The $E is turning #", "col", "any", "any"),
        ("Every leaf is turning #", "col", "any", "verse"),
        ("The $L was painted #", "col", "any", "any"),
        ("But the $E was never #", "adjW", "any", "bridge"),
        // Adjectives said of people.
        ("In the $L we are #", "adjH", "any", "any"),
        ("Under $C skies we are #", "adjH", "any", "chorus"),
        ("$M with you I feel so #", "adjH", "any", "any"),
        ("Tell me that we will be #", "adjH", "any", "chorus"),
        ("Oh, tonight we are #", "adjH", "any", "chorus"),
        ("I have never been so #", "adjH", "any", "any"),
        ("But in the end we are #", "adjH", "any", "bridge"),
    ]

    static let templates: [Template] = templateSpecs.map { Template(text: $0.0, ending: $0.1, mood: $0.2, use: $0.3) }

    // Slot words. Every list holds words that fit every template using the slot.
    static let brightLight = ["morning", "daylight", "sunrise", "sunlight"]
    static let midLight = ["evening", "twilight", "afternoon", "morning"]
    static let darkLight = ["midnight", "moonlight", "darkness", "evening"]
    static let warmElements = ["fire", "sun", "desert", "summer", "heat"]
    static let coolElements = ["river", "ocean", "rain", "winter", "water"]
    static let mildElements = ["city", "forest", "meadow", "valley", "garden"]
    static let fastMotion = ["running", "racing", "dancing", "flying", "spinning", "rushing"]
    static let slowMotion = ["drifting", "floating", "gliding", "swaying", "wandering", "falling"]
    /// Adjectives that join the palette's colours in `$C` slots (a fifth of the draws), so one-colour images do not
    /// sing the same colour on every line.
    static let brightAdjectives = ["shining", "open"]
    static let darkAdjectives = ["quiet", "endless"]
    static let midAdjectives = ["gentle", "distant"]
    static let happyFeelings = ["hope", "joy", "wonder", "laughter", "magic"]
    static let sadFeelings = ["sorrow", "silence", "longing", "shadow", "sadness"]

    /// Palette name -> the colour word sung in the middle of a line, and the colour family it belongs to.
    static func colour(forPaletteName name: String) -> (word: String, family: String) {
        let n = name.lowercased()
        let table: [(String, String, String)] = [
            ("golden yellow", "golden", "gold"), ("ochre", "amber", "orange"), ("yellow", "yellow", "gold"),
            ("orange", "orange", "orange"), ("crimson", "crimson", "red"), ("magenta", "magenta", "pink"),
            ("pink", "pink", "pink"), ("red", "red", "red"), ("violet", "violet", "violet"),
            ("teal", "teal", "teal"), ("blue", "blue", "blue"), ("olive", "green", "green"),
            ("green", "green", "green"), ("sand", "golden", "gold"), ("brown", "brown", "brown"),
            ("near black", "black", "black"), ("black", "black", "black"), ("white", "white", "white"),
            ("light grey", "silver", "grey"), ("grey", "grey", "grey"),
        ]
        for (key, word, family) in table where n.contains(key) { return (word, family) }
        return ("silver", "grey")
    }

    /// Words of a prompt that are never sung as its images (style, tempo and production words, function words).
    static let promptStopWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "without", "from", "by", "into",
        "song", "songs", "track", "music", "tune", "beat", "beats", "style", "vibe", "vibes", "mood", "feel",
        "feeling", "make", "made", "generate", "create", "please", "some", "like", "this", "that", "very", "more",
        "less", "about", "inspired", "scene", "instrumental", "vocal", "vocals", "lyrics", "singer", "voice",
        "tempo", "bpm", "fast", "slow", "loud", "soft", "quiet", "happy", "sad", "dark", "bright", "warm", "cold",
        "calm", "chill", "relaxing", "energetic", "upbeat", "acoustic", "electronic", "epic", "cinematic", "ambient",
        "lofi", "lo", "fi", "pop", "rock", "jazz", "folk", "edm", "ballad", "piano", "guitar", "drums", "drum",
        "bass", "synth", "strings", "pad", "lead", "melody", "chords", "it", "is", "are", "be", "my", "your", "our",
        "me", "we", "you", "i", "he", "she", "they", "them", "his", "her", "their", "its", "not", "no", "but",
        "so", "just", "really", "gentle", "dreamy", "moody", "heavy", "light", "sound", "sounds", "nice", "good",
        "great", "beautiful", "something", "anything", "day", "night", "time",
        // Prepositions, question words and adjectives a prompt carries that make no image on their own ("from the
        // across to the sky").
        "across", "over", "under", "through", "toward", "towards", "around", "along", "behind", "beyond", "after",
        "before", "between", "while", "when", "where", "who", "what", "which", "always", "never", "back", "away",
        "all", "every", "one", "first", "last", "new", "old", "little", "big", "up", "down", "out", "off",
        "dance", "anthem", "guitars", "techno", "disco", "trap", "electro", "hiphop", "rap", "metal", "indie", "soul",
        // The voice words `VoiceChoice` reads as which singer sings ("female vocals"): sung as a topic they gave
        // "I still see the female in the crowds". Words that can also be a topic ("girl", "man") stay out.
        "female", "male", "soprano", "alto", "baritone", "tenor",
        // The picture itself: "a song about this image" asks for the scene, which the lyric stage writes anyway.
        "image", "images", "picture", "pictures", "photo", "photos", "photograph", "pic",
    ]
}
