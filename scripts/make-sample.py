#!/usr/bin/env python3
"""Builds api/data/sample.csv.gz, the sample the API seeds an empty database with.

It copies lines, unchanged and in their original order, out of the shared "30000 Spotify Songs"
dataset: every row of K-pop artists (BTS and BLACKPINK among them) and of tracks or albums with
Korean titles, every row of artists whose names carry accents, and every 12th row besides; then
every other row of the tracks so chosen, so that a track's playlists stay together.

Usage: scripts/make-sample.py PATH/TO/spotify_songs.csv.gz
"""
import csv
import gzip
import io
import re
import sys
import unicodedata

KPOP = {"BTS", "BLACKPINK", "TWICE", "Red Velvet", "GOT7", "ITZY", "SUNMI", "EXO", "EXO-K",
        "NCT 127", "2NE1", "CL", "WINNER", "MONSTA X", "BIGBANG", "Stray Kids", "Jennie"}
HANGUL = re.compile("[\uac00-\ud7a3]")
STRIDE = 12


def accented(s):
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", s))


def main(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    header, rows = lines[0], [l for l in lines[1:] if l]
    parsed = list(csv.reader(io.StringIO("\n".join(rows))))
    cols = next(csv.reader([header]))
    ti, ai, ni, bi = (cols.index(c) for c in
                      ("track_id", "track_artist", "track_name", "track_album_name"))
    chosen = set()
    for i, r in enumerate(parsed):
        if (r[ai] in KPOP or HANGUL.search(r[ni]) or HANGUL.search(r[bi])
                or accented(r[ai]) or i % STRIDE == 0):
            chosen.add(r[ti])
    out = [header] + [line for line, r in zip(rows, parsed) if r[ti] in chosen]
    data = ("\n".join(out) + "\n").encode("utf-8")
    with open("api/data/sample.csv.gz", "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{len(out) - 1} rows, {len(chosen)} tracks, {len(data)} bytes uncompressed")


if __name__ == "__main__":
    main(sys.argv[1])
