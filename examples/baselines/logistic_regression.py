"""Baseline for the spoken-digit set: multinomial logistic regression on time-binned spike
counts (log(1 + count) per channel and time bin), full-batch gradient descent with L2, numpy only.

    .build/venv-h5py/bin/python examples/baselines/logistic_regression.py out/spoken-digits [--bins 10]

Trains on train.h5 and reports accuracy on test.h5 (the same speaker-disjoint split as
`plasticity train`; no validation split, L2 strength picked from a short list on the test set,
which flatters the baseline)."""
import argparse
import h5py
import numpy as np


def features(path, bins, duration, channels):
    with h5py.File(path, "r") as f:
        times, units = f["spikes/times"], f["spikes/units"]
        labels = np.asarray(f["labels"], dtype=np.int64)
        x = np.zeros((len(labels), bins * channels))
        for i in range(len(labels)):
            t = np.minimum((np.asarray(times[i], dtype=np.float64) / duration * bins).astype(np.int64), bins - 1)
            np.add.at(x[i], t * channels + np.asarray(units[i], dtype=np.int64), 1)
    return np.log1p(x), labels


def train(x, y, classes, l2, iterations=1500, rate=0.5):
    w = np.zeros((x.shape[1], classes)); b = np.zeros(classes)
    onehot = np.eye(classes)[y]
    for _ in range(iterations):
        z = x @ w + b
        p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
        g = (p - onehot) / len(y)
        w -= rate * (x.T @ g + l2 * w); b -= rate * g.sum(0)
    return w, b


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--channels", type=int, default=64)
    args = parser.parse_args()
    xtr, ytr = features(f"{args.directory}/train.h5", args.bins, args.duration, args.channels)
    xte, yte = features(f"{args.directory}/test.h5", args.bins, args.duration, args.channels)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-6
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    classes = int(max(ytr.max(), yte.max())) + 1
    for l2 in (1e-3, 1e-2, 1e-1):
        w, b = train(xtr, ytr, classes, l2)
        print(f"bins {args.bins} l2 {l2:g}: train {np.mean((xtr @ w + b).argmax(1) == ytr):.3f} "
              f"test {np.mean((xte @ w + b).argmax(1) == yte):.3f}")


if __name__ == "__main__":
    main()
