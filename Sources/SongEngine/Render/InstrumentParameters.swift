internal import CDSP

// Conversions from validated presets to the C core's plain structs. Internal: no C type leaves the module.

extension InstrumentLibrary.Voice {
    var cParams: cdsp_voice_params {
        var p = cdsp_voice_params()
        cdsp_voice_params_default(&p)
        func f(_ id: String) -> Float { Float(value(id)) }
        p.engine = engine
        p.wave1 = wave1
        p.wave2 = wave2
        p.osc2_level = f("osc2Level")
        p.osc2_detune = f("osc2Detune")
        p.osc2_octave = f("osc2Octave")
        p.sub_level = f("subLevel")
        p.noise_level = f("noiseLevel")
        p.pulse_width = f("pulseWidth")
        p.unison_detune = f("unisonDetune")
        p.fm_ratio = f("fmRatio")
        p.fm_index = f("fmIndex")
        p.fm_index_decay = f("fmIndexDecayDuration")
        p.fm_feedback = f("fmFeedback")
        p.pluck_damping = f("pluckDamping")
        p.pluck_brightness = f("pluckBrightness")
        p.additive_partials = f("additivePartials").rounded()
        p.additive_rolloff = f("additiveRolloff")
        p.additive_decay = f("additiveDecayDuration")
        p.filter = filter
        p.cutoff = f("cutoff")
        p.resonance = f("resonance")
        p.filter_env_amount = f("filterEnvelopeAmount")
        p.key_tracking = f("keyTracking")
        p.velocity_to_cutoff = f("velocityToCutoff")
        p.drive = f("drive")
        p.amp_attack = f("ampAttackDuration")
        p.amp_decay = f("ampDecayDuration")
        p.amp_sustain = f("ampSustain")
        p.amp_release = f("ampReleaseDuration")
        p.filt_attack = f("filterAttackDuration")
        p.filt_decay = f("filterDecayDuration")
        p.filt_sustain = f("filterSustain")
        p.filt_release = f("filterReleaseDuration")
        p.vibrato_rate = f("vibratoRate")
        p.vibrato_depth = f("vibratoDepth")
        p.vibrato_delay = f("vibratoDelayDuration")
        p.glide = f("glideDuration")
        p.gain = cdsp_db_to_gain(f("gain"))
        return p
    }
}

extension InstrumentLibrary.Drum {
    var cParams: cdsp_drum_params {
        var p = cdsp_drum_params()
        cdsp_drum_params_default(&p)
        p.tune = Float(value("tune"))
        p.decay = Float(value("decay"))
        p.tone = Float(value("tone"))
        p.drive = Float(value("drive"))
        p.gain = cdsp_db_to_gain(Float(value("gain")))
        return p
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
