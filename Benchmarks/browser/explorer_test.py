#!/usr/bin/env python3
"""The Endpoint Explorer in a real browser (issue 5, must-show 7).

Starts `chromasong serve` on a loopback port, opens GET / in headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium from PyPI; both installed here when missing), and, as a person would:
  1. submits bpm=999 and sees the server's 422 message next to the bpm field;
  2. uploads a shared photo, submits, and watches the status go to COMPLETED;
  3. sees both versions' players with audio the browser decoded (duration > 0) and can seek (Range), and the
     cover image loaded;
  4. seeks version 1 into a sung line and sees that line highlighted (when the song has lyrics);
  5. saves a screenshot to Benchmarks/results/explorer.png.

    python3 Benchmarks/browser/explorer_test.py [--duration 20] [--timeout 900]

Exits non-zero on the first thing that does not work.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
VENV = BENCH / ".venv"


def ensure_tools() -> None:
    """Chromium + driver from Debian, Selenium from PyPI (into Benchmarks/.venv); re-runs itself in the venv."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        print("installing chromium and chromium-driver (apt)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], check=True, env=env)
    try:
        import selenium  # noqa: F401
        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():  # already in the venv: install there, import again
        subprocess.run([str(python), "-m", "pip", "install", "-q", "selenium"], check=True)
        return
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "selenium"], check=True)
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def fail(message: str, driver=None, server=None) -> None:
    print("FAIL:", message, flush=True)
    if driver is not None:
        try:
            (BENCH / "results").mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(BENCH / "results" / "explorer-failure.png"))
            print("status:", driver.find_element("id", "status").text, driver.find_element("id", "status_msg").text)
            for entry in driver.get_log("browser")[-10:]:
                print("console:", entry)
        except Exception:  # noqa: BLE001 - best effort diagnostics
            pass
    if server is not None:
        print("server log:", server.data / "server.log")
    sys.exit(1)


def main() -> int:
    ensure_tools()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sys.path.insert(0, str(BENCH))
    from server_common import RESULTS, Server, shared_photo

    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20, help="song seconds asked for on the page")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for COMPLETED")
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--binary", type=Path, default=None, help="chromasong binary (default: this checkout's)")
    args = parser.parse_args()
    photo = (args.image or shared_photo()).resolve()

    server = Server(queue_limit=4, workers=1, binary=args.binary)
    server.wait_ready()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1300",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(server.base + "/")
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: d.find_element(By.ID, "submit").is_enabled())
        if "Endpoint Explorer" not in driver.title:
            fail(f"unexpected title {driver.title!r}", driver, server)

        # 1. A validation error comes back next to its field.
        driver.find_element(By.ID, "image_file").send_keys(str(photo))
        driver.find_element(By.ID, "bpm").send_keys("999")
        driver.find_element(By.ID, "submit").click()
        bpm_error = driver.find_element(By.CSS_SELECTOR, '.field-error[data-for="bpm"]')
        wait.until(lambda d: bpm_error.text.strip() != "")
        if not driver.find_element(By.ID, "form-error").text.startswith("422"):
            fail("bpm=999 did not show a 422: " + driver.find_element(By.ID, "form-error").text, driver, server)
        print("422 for bpm shown:", bpm_error.text, flush=True)

        # 2. A real submission.
        driver.find_element(By.ID, "bpm").clear()
        driver.find_element(By.ID, "duration").send_keys(str(args.duration))
        driver.find_element(By.ID, "prompt").send_keys("warm acoustic, morning light")
        started = time.time()
        driver.find_element(By.ID, "submit").click()
        seen = []
        status = ""
        while time.time() - started < args.timeout:
            status = driver.find_element(By.ID, "status").text
            if not seen or seen[-1] != status:
                seen.append(status)
                print(f"{time.time() - started:6.1f} s  {status}", flush=True)
            if status in ("COMPLETED", "FAILED", "ERROR"):
                break
            time.sleep(0.5)
        if status != "COMPLETED":
            fail(f"status {status!r} after {time.time() - started:.0f} s (seen {seen})", driver, server)

        # 3. Both players, decodable audio, and the cover.
        durations = []
        for n in (1, 2):
            audio = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, f"audio-{n}"))
            WebDriverWait(driver, 30).until(lambda d: d.execute_script("return arguments[0].readyState", audio) >= 1)
            duration = driver.execute_script("return arguments[0].duration", audio)
            if not duration or duration < 5:
                fail(f"version {n}: the player reports duration {duration}", driver, server)
            durations.append(round(duration, 2))
        # Players seek (the result files honour Range): jump version 1 to 60 % and read the position back.
        audio = driver.find_element(By.ID, "audio-1")
        target_time = round(durations[0] * 0.6, 2)
        driver.execute_script("arguments[0].currentTime = arguments[1];", audio, target_time)
        WebDriverWait(driver, 10).until(lambda d: abs(d.execute_script(
            "return arguments[0].currentTime", audio) - target_time) < 0.5)
        seekable_end = driver.execute_script(
            "const s = arguments[0].seekable; return s.length ? s.end(s.length - 1) : 0", audio)
        if seekable_end < durations[0] * 0.9:
            fail(f"version 1 seekable only to {seekable_end} s of {durations[0]} s", driver, server)
        driver.execute_script("arguments[0].currentTime = 0;", audio)
        cover = driver.find_element(By.ID, "cover")
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", cover))
        cover_width = driver.execute_script("return arguments[0].naturalWidth", cover)
        if not cover.is_displayed() or cover_width < 256:
            fail(f"cover not shown (natural width {cover_width})", driver, server)
        print(f"players: durations {durations} s, seekable to {seekable_end:.2f} s; cover {cover_width} px wide",
              flush=True)

        # 4. Lyrics highlighted in time: seek into the first sung line of version 1.
        lines = driver.find_elements(By.CSS_SELECTOR, "#lyrics-1 p:not(.section)")
        timed = [p for p in lines if p.get_attribute("data-end") and
                 float(p.get_attribute("data-end")) > float(p.get_attribute("data-start"))]
        highlighted = None
        if timed:
            target = timed[min(1, len(timed) - 1)]
            start, end = float(target.get_attribute("data-start")), float(target.get_attribute("data-end"))
            audio = driver.find_element(By.ID, "audio-1")
            driver.execute_script("arguments[0].currentTime = arguments[1];", audio, (start + end) / 2000)
            WebDriverWait(driver, 10).until(lambda d: "current" in (target.get_attribute("class") or ""))
            highlighted = target.text
            current = driver.find_elements(By.CSS_SELECTOR, "#lyrics-1 p.current")
            if len(current) != 1:
                fail(f"{len(current)} lines highlighted at once", driver, server)
            print(f"highlighted at {(start + end) / 2000:.2f} s: {highlighted!r}", flush=True)

            # 4b. In time with playback: play from 0.6 s before the next line starts and note the audio clock
            # at the frame the highlight moves onto that line (never before its start, at most 250 ms after).
            follow = timed[min(2, len(timed) - 1)] if len(timed) > 1 else timed[0]
            f_start = float(follow.get_attribute("data-start")) / 1000
            outcome = driver.execute_async_script("""
                const [audio, line, start, done] = arguments;
                audio.currentTime = Math.max(0, start - 0.6);
                let early = false;
                const t0 = performance.now();
                const tick = () => {
                  const on = line.classList.contains('current');
                  if (on && audio.currentTime < start - 0.02) early = true;
                  if (on && audio.currentTime >= start - 0.02) { audio.pause(); done({at: audio.currentTime, early}); return; }
                  if (performance.now() - t0 > 8000) { audio.pause(); done({at: null, early, now: audio.currentTime}); return; }
                  requestAnimationFrame(tick);
                };
                audio.play().then(() => requestAnimationFrame(tick), (e) => done({error: String(e)}));
            """, audio, follow, f_start)
            if not outcome or outcome.get("error") or outcome.get("at") is None:
                fail(f"playback did not move the highlight onto {follow.text!r}: {outcome}", driver, server)
            lag_ms = (outcome["at"] - f_start) * 1000
            if outcome["early"] or lag_ms > 250:
                fail(f"highlight out of time with playback: lag {lag_ms:.0f} ms, early {outcome['early']}", driver, server)
            playback = {"line": follow.text, "start_s": round(f_start, 3), "lag_ms": round(lag_ms, 1)}
            print(f"playing: {follow.text!r} highlighted {lag_ms:.0f} ms after its start ({f_start:.2f} s)", flush=True)
        else:
            fail("no timed lyric lines: the engine sings by default, so a standard request must have them",
                 driver, server)

        RESULTS.mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(RESULTS / "explorer.png"))
        summary = (f"status path {' → '.join(seen)}, players {durations} s, cover {cover_width} px, seek "
                   f"highlight {highlighted!r}, playback highlight of {playback['line']!r} {playback['lag_ms']} ms "
                   f"after its start")
        (RESULTS / "explorer.md").write_text(
            "# Endpoint Explorer in headless Chromium\n\n`Benchmarks/browser/explorer_test.py` (Debian chromium + "
            "Selenium) against the real binary: a bpm=999 submission shows the 422 under the field; a shared photo "
            f"submitted from the page: {summary}. Screenshot: `explorer.png`.\n\nPASS\n")
        print(f"PASS: {summary}; screenshot {RESULTS / 'explorer.png'}", flush=True)
        return 0
    finally:
        driver.quit()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
