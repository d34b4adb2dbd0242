"""The small files the documentation's examples point at (``data/products.csv``,
``data/news.csv``, ``data/images.h5``, ...), made afresh in a test's folder.

Each has a structure a clustering can find (product segments, news topics, digit classes), so
a documented config run on it gives meaningful clusters, not only files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits

#: per segment: title words, brands, price range, rating range
SEGMENTS = {
    "phone": (["smartphone", "unlocked", "dual", "sim", "camera", "android", "screen"],
              ["Samsung", "Xiaomi", "Motorola"], (150, 600), (3.5, 4.6)),
    "case": (["case", "cover", "silicone", "protective", "slim", "shockproof", "clear"],
             ["Spigen", "OtterBox", "ESR"], (8, 30), (4.0, 4.8)),
    "charger": (["charger", "usb", "fast", "charging", "cable", "wall", "adapter"],
                ["Anker", "Belkin", "Ugreen"], (12, 45), (3.8, 4.7)),
}
#: per topic: words of its headlines and bodies
TOPICS = {
    "sport": "match goal team season coach league win cup players injury score striker "
             "stadium fans championship victory defeat transfer referee keeper midfield "
             "tournament final penalty athletes medal olympic race runner tennis golf "
             "rugby cricket captain squad",
    "business": "shares market profits bank economy growth company investors prices stock "
                "rates inflation earnings merger revenue sales quarter dividend debt "
                "retail exports imports budget deficit currency bonds lender shareholders "
                "acquisition factory output firms analysts",
    "tech": "software users internet computer digital phone online data network apps "
            "security chips devices cloud browser update hackers laptop gadgets robots "
            "processor broadband wireless servers code startup platform gaming console "
            "screen battery video",
    "politics": "election party minister government vote labour parliament campaign policy "
                "leader tax reform opposition poll senate voters manifesto coalition "
                "candidate cabinet debate bill immigration council mayor constituency "
                "referendum treaty diplomat spokesman",
}
SHARED_WORDS = "said year people new time week told report also".split()


def products(rows: int = 150, seed: int = 0, labelled: bool = False) -> pd.DataFrame:
    """A product table: ``sku``, ``title``, ``brand``, ``price``, ``rating``, ``reviews``
    (with a few missing values), and the segment as ``segment`` when ``labelled``."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(rows):
        segment = list(SEGMENTS)[i % len(SEGMENTS)]
        words, brands, price, rating = SEGMENTS[segment]
        records.append({
            "sku": f"SKU{seed}{i:05d}",
            "title": " ".join(rng.choice(words, size=4, replace=False)),
            "brand": rng.choice(brands) if rng.random() > 0.05 else None,
            "price": round(float(rng.uniform(*price)), 2),
            "rating": round(float(rng.uniform(*rating)), 1) if rng.random() > 0.05 else None,
            "reviews": int(rng.integers(5, 500)),
            "segment": segment})
    table = pd.DataFrame(records)
    return table if labelled else table.drop(columns="segment")


def news(rows: int = 160, seed: int = 0) -> pd.DataFrame:
    """News articles: ``headline``, ``body`` (text) and ``topic`` (the label)."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(rows):
        topic = list(TOPICS)[i % len(TOPICS)]
        words = TOPICS[topic].split()
        body = rng.choice(words + SHARED_WORDS, size=40).tolist()
        records.append({"headline": " ".join(rng.choice(words, size=5)).capitalize(),
                        "body": " ".join(body) + ". Café owners reacted.",
                        "topic": topic})
    return pd.DataFrame(records)


def _digit_images(rows: int, scale: int) -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    images = digits.images[:rows] / 16.0
    return np.kron(images, np.ones((1, scale, scale))), digits.target[:rows]


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file (MNIST's format), gzip-compressed: unsigned bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                     *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def write_example_files(folder: Path) -> Path:
    """Every file of the documentation's examples under ``folder/data``; returns that folder."""
    data = folder / "data"
    (data / "digits-idx").mkdir(parents=True, exist_ok=True)
    products().to_csv(data / "products.csv", index=False)
    products(labelled=True).to_csv(data / "products-labelled.csv", index=False)
    products(rows=12, seed=1).to_csv(data / "new-products.csv", index=False)
    news().to_csv(data / "news.csv", index=False)
    news(seed=1).to_csv(data / "news-latin1.csv", index=False, encoding="latin-1")
    images, labels = _digit_images(600, 2)
    with h5py.File(data / "images.h5", "w") as f:
        f["train/images"], f["train/labels"] = images[:400], labels[:400]
        f["test/images"], f["test/labels"] = images[400:], labels[400:]
    images, labels = _digit_images(600, 1)
    write_idx(data / "digits-idx/images-idx3-ubyte.gz", np.round(images * 255))
    write_idx(data / "digits-idx/labels-idx1-ubyte.gz", labels)
    return data
