#!/usr/bin/env python3
"""Builds api/data/sample-aliases.csv, the aliases the API seeds with the bundled sample: the
Korean (and a Japanese) name of each K-pop act the sample holds, as an alias list
(`artist_id,alias,locale,primary`) for `import-aliases`.

The sample names artists without ids, so their ids are derived from their names exactly as the
loader derives them (`entity::normalize::derived_artist_id`: "ar-" and the first ten bytes of
the SHA-256 of "ar", a zero byte and the name, in hex). Acts the sample does not hold are left
out.

Usage: scripts/make-sample-aliases.py
"""
import csv
import gzip
import hashlib
import os
import sys
import unicodedata

ALIASES = [
    ("BTS", "방탄소년단", "ko"),
    ("BTS", "防弾少年団", "ja"),
    ("BLACKPINK", "블랙핑크", "ko"),
    ("TWICE", "트와이스", "ko"),
    ("Red Velvet", "레드벨벳", "ko"),
    ("GOT7", "갓세븐", "ko"),
    ("ITZY", "있지", "ko"),
    ("SUNMI", "선미", "ko"),
    ("EXO", "엑소", "ko"),
    ("EXO-K", "엑소케이", "ko"),
    ("NCT 127", "엔시티 127", "ko"),
    ("2NE1", "투애니원", "ko"),
    ("CL", "씨엘", "ko"),
    ("WINNER", "위너", "ko"),
    ("MONSTA X", "몬스타엑스", "ko"),
    ("BIGBANG", "빅뱅", "ko"),
    ("Stray Kids", "스트레이 키즈", "ko"),
    ("Jennie", "제니", "ko"),
    ("HyunA", "현아", "ko"),
    ("ATEEZ", "에이티즈", "ko"),
    ("MOMOLAND", "모모랜드", "ko"),
    ("PENTAGON", "펜타곤", "ko"),
    ("TAEYEON", "태연", "ko"),
    ("PSY", "싸이", "ko"),
]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def derived_artist_id(name):
    clean = unicodedata.normalize("NFC", name.strip())
    return "ar-" + hashlib.sha256(b"ar\x00" + clean.encode("utf-8")).hexdigest()[:20]


def main():
    with gzip.open(os.path.join(ROOT, "api/data/sample.csv.gz"), "rt", encoding="utf-8") as f:
        held = {row["track_artist"] for row in csv.DictReader(f)}
    out = os.path.join(ROOT, "api/data/sample-aliases.csv")
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["artist_id", "alias", "locale", "primary"])
        for artist, alias, locale in ALIASES:
            if artist in held:
                w.writerow([derived_artist_id(artist), alias, locale, "true"])
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
