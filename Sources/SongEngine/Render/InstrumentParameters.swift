internal import CDSP

// Conversions from validated presets to the C core's plain structs. Internal: no C type leaves the module.

extension InstrumentLibrary.Voice {
    /// The C struct: the enumerations, then every per-note field from the table (converted and clamped there).
    var cParams: cdsp_voice_params {
        var p = cdsp_voice_params()
        cdsp_voice_params_default(&p)
        p.engine = engine
        p.wave1 = wave1
        p.wave2 = wave2
        p.filter = filter
        cdsp_voice_params_set_values(&p, values, values.count)
        return p
    }
}

extension InstrumentLibrary.Drum {
    var cParams: cdsp_drum_params {
        var p = cdsp_drum_params()
        cdsp_drum_params_set_values(&p, values, values.count)
        return p
    }
}

extension ParameterDefinition {
    /// A row of the C core's preset table.
    init(_ row: cdsp_param_info) {
        self.init(String(cString: row.identifier), default: row.default_value, range: row.minimum...row.maximum,
                  unit: String(cString: row.unit), String(cString: row.summary))
    }
}

enum DrumMap {
    /// The synthesised drum for a General MIDI percussion number, and the number whose kit entry it falls back
    /// to when the kit does not define this one. Nil for numbers the engine does not play.
    static func kind(_ number: Int) -> (kind: cdsp_drum_kind, canonical: Int)? {
        switch number {
        case 35, 36: return (CDSP_DRUM_KICK, 36)
        case 38, 40: return (CDSP_DRUM_SNARE, 38)
        case 37: return (CDSP_DRUM_RIMSHOT, 37)
        case 39: return (CDSP_DRUM_CLAP, 39)
        case 42, 44: return (CDSP_DRUM_CLOSED_HAT, 42)
        case 46: return (CDSP_DRUM_OPEN_HAT, 46)
        case 41, 43: return (CDSP_DRUM_TOM_LOW, 41)
        case 45, 47: return (CDSP_DRUM_TOM_MID, 45)
        case 48, 50: return (CDSP_DRUM_TOM_HIGH, 48)
        case 49, 52, 55, 57: return (CDSP_DRUM_CRASH, 49)
        case 51, 53, 59: return (CDSP_DRUM_RIDE, 51)
        case 54, 69, 70, 82: return (CDSP_DRUM_SHAKER, 70)
        default: return nil
        }
    }
}
