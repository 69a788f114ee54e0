"""Generate the console's alert tones as small 16-bit mono WAVs (numpy + stdlib only).

Run: ``python resources/sounds/make_tones.py`` — rewrites the WAVs next to this file.
Each alert type has a distinct, easily told-apart pattern (pitch and rhythm differ, so
they stay distinguishable for listeners with reduced high-frequency hearing too).
"""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE_HZ = 22050
HERE = Path(__file__).resolve().parent


def beep(freq_hz: float, dur_s: float, level: float = 0.6) -> np.ndarray:
    t = np.arange(int(dur_s * RATE_HZ)) / RATE_HZ
    tone = np.sin(2 * np.pi * freq_hz * t) + 0.25 * np.sin(2 * np.pi * 2 * freq_hz * t)
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.008)  # 8 ms fades: no clicks
    return level * tone * ramp / 1.25


def gap(dur_s: float) -> np.ndarray:
    return np.zeros(int(dur_s * RATE_HZ))


TONES = {
    # two mid beeps
    "single_gunshot": [beep(880, 0.14), gap(0.08), beep(880, 0.14)],
    # three fast rising high beeps, twice: the most urgent
    "multiple_gunshots": [beep(988, 0.09), gap(0.04), beep(1175, 0.09), gap(0.04), beep(1319, 0.12), gap(0.15),
                          beep(988, 0.09), gap(0.04), beep(1175, 0.09), gap(0.04), beep(1319, 0.12)],
    # one soft low beep
    "possible_gunfire": [beep(523, 0.25, level=0.45)],
    # alternating two-tone for an unacknowledged alert past the timeout
    "escalation": [beep(740, 0.18), beep(587, 0.18), beep(740, 0.18), beep(587, 0.18)],
}


def write_wav(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(pcm.tobytes())


def main() -> None:
    for name, parts in TONES.items():
        write_wav(HERE / f"{name}.wav", np.concatenate(parts))
        print(f"wrote {HERE / (name + '.wav')}")


if __name__ == "__main__":
    main()
