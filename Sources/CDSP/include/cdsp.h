// CDSP: Chromasong's C DSP core. Swift decides what to play; this core renders whole blocks of audio.
//
// Conventions (every module):
//  - every exported symbol starts with cdsp_;
//  - objects live as create -> set/reset -> process(block) -> destroy; process calls take planar float
//    buffers (float *left, float *right) and a frame count, and never allocate;
//  - functions that can fail return a cdsp_status (0 = CDSP_OK, negative = error);
//  - everything is deterministic: noise comes from seeded generators, never from rand() or the clock;
//  - nothing here is thread-hostile: distinct objects may be used on distinct threads at once.
#ifndef CDSP_H
#define CDSP_H

#include "cdsp_common.h"
#include "cdsp_synth.h"
#include "cdsp_fx.h"
#include "cdsp_io.h"
#include "cdsp_shift.h"
#include "cdsp_sing.h"
#include "cdsp_vocoder.h"
#include "cdsp_params.h"

#endif
