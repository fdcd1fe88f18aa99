"""Reads an exported Sixpotify lake with DuckDB and prints what the tests compare, as JSON.

Usage: python3 read_lake.py LAKE_DIR DATE

Prints {"tables": {name: {"rows": n, "types": {column: duckdb type}, "row_groups": n}},
"groups": [[decade, mode, count, mean energy, stddev_pop energy, mean popularity], ...]},
the groups by decade and mode of the tracks in the partition of DATE, read through Hive
partitioning as Athena and Spark read it.
"""

import json
import sys

import duckdb

lake, date = sys.argv[1], sys.argv[2]
con = duckdb.connect()
out = {"tables": {}}
for table in ["tracks", "artists", "genres", "track_genres", "artist_genres", "track_artists",
              "playlists", "playlist_tracks"]:
    files = f"{lake}/{table}/*/*.parquet"
    source = f"read_parquet('{files}', hive_partitioning = true)"
    rows = con.execute(f"SELECT count(*) FROM {source} WHERE dt = DATE '{date}'").fetchone()[0]
    types = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    row_groups = con.execute(
        f"SELECT count(DISTINCT (file_name, row_group_id)) FROM parquet_metadata('{files}')"
    ).fetchone()[0]
    out["tables"][table] = {"rows": rows, "types": types, "row_groups": row_groups}
out["groups"] = con.execute(f"""
    SELECT release_year - release_year % 10 AS decade, mode, count(*), avg(energy),
           stddev_pop(energy), avg(popularity)
    FROM read_parquet('{lake}/tracks/*/*.parquet', hive_partitioning = true)
    WHERE dt = DATE '{date}'
    GROUP BY ALL ORDER BY ALL
""").fetchall()
print(json.dumps(out))
