#!/usr/bin/env python3
"""Writes the queries of bench/search.sh as a Lua table `queries` with one list per field,
drawn from names in WORK/artists.txt, WORK/tracks.txt and WORK/aliases.txt: whole names, their
first one to four letters, a later word, two neighbouring letters swapped, Korean aliases and
their first syllables and initial consonants, and words that match nothing.

Usage: bench/search_queries.py WORK > queries.lua
"""
import random
import sys

CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"


def initials(name):
    out = []
    for c in name:
        code = ord(c) - 0xAC00
        if 0 <= code < 11172:
            out.append(CHOSEONG[code // 588])
    return "".join(out)


def variants(names, rng, korean=False):
    out = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if korean:
            out += [name, name[: max(1, len(name) // 2)], initials(name)[:4]]
            continue
        words = name.split()
        out.append(name)
        out.append(name[: rng.randint(1, 4)])
        if len(words) > 1:
            out.append(words[1])
        if len(name) >= 6:
            i = rng.randint(1, len(name) - 3)
            out.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
    out += ["zqxjv wqpz", "nothing matches this", "없는이름입니다"]
    return [q for q in out if q]


def lua(items):
    return "{\n" + "".join("[==[" + q + "]==],\n" for q in items) + "}"


def main(work):
    rng = random.Random(7)
    read = lambda f: open(f"{work}/{f}", encoding="utf-8").read().splitlines()
    artists = variants(read("artists.txt"), rng) + variants(read("aliases.txt"), rng, korean=True)
    tracks = variants(read("tracks.txt"), rng)
    print("queries = {")
    print("searchArtists = " + lua(artists) + ",")
    print("searchTracks = " + lua(tracks) + ",")
    print("}")


if __name__ == "__main__":
    main(sys.argv[1])
