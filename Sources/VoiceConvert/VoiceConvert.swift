// VoiceConvert: the voice catalog and the conversion of a sung vocal to another voice (pitch and formant shifting
// in CDSP). Its work is tracked by issue 4; until then the module holds no API.
