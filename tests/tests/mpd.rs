//! `import-mpd`: Million Playlist Dataset slices into the catalog, on SQLite and MariaDB.
//! Slices are written by the tests in the dataset's documented shape.

use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use sixpotify_loader::{ImportOptions, ImportReport, MpdInput, import};
use sixpotify_tests::{TestDb, backend_tests, import_sample, scalar, strings};

/// A 22-character Spotify id from a kind letter and a number.
fn sid(kind: char, n: usize) -> String {
    format!("{kind}{n:021}")
}

/// An entry of a playlist: track `n`, by artist `n / 10`, on album `n / 5`.
fn entry(pos: usize, n: usize) -> Value {
    json!({
        "pos": pos,
        "artist_name": format!("Artist {}", n / 10),
        "artist_uri": format!("spotify:artist:{}", sid('a', n / 10)),
        "track_name": format!("Track {n}"),
        "track_uri": format!("spotify:track:{}", sid('t', n)),
        "album_name": format!("Album {}", n / 5),
        "album_uri": format!("spotify:album:{}", sid('b', n / 5)),
        "duration_ms": 180_000 + n,
    })
}

fn playlist(pid: usize, name: &str, tracks: Vec<Value>) -> Value {
    json!({
        "name": name,
        "collaborative": "false",
        "pid": pid,
        "modified_at": 1_500_000_000,
        "num_tracks": tracks.len(),
        "num_albums": 1,
        "num_followers": pid + 1,
        "tracks": tracks,
    })
}

fn write_slice(dir: &Path, name: &str, playlists: Vec<Value>) -> Result<PathBuf> {
    let path = dir.join(name);
    let slice = json!({
        "info": { "generated_on": "2017-12-03 08:41:42.057563", "slice": "0-999", "version": "v1" },
        "playlists": playlists,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&slice)?)?;
    Ok(path)
}

async fn run(db: &DatabaseConnection, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    Ok(import(db, &MpdInput(path.to_owned()), opts, "import_mpd").await?)
}

async fn a_slice_loads_playlists_in_order_with_tracks_and_artists_by_spotify_id(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let dir = tempfile::tempdir()?;
    let path = write_slice(
        dir.path(),
        "mpd.slice.0-999.json",
        vec![
            playlist(0, "Throwbacks", (0..5).map(|i| entry(i, 10 + i)).collect()),
            playlist(1, "Gym", vec![entry(0, 12), entry(1, 40), entry(2, 12)]),
        ],
    )?;
    let report = run(&conn, &path, &ImportOptions::default())
        .await?
        .into_result()?;
    ensure!(
        report.counts.read == 8 && report.counts.rejected == 0,
        "{report:?}"
    );
    let order = strings(
        &conn,
        "SELECT track_id FROM playlist_tracks WHERE playlist_id = 'mpd-1' ORDER BY position",
    )
    .await?;
    ensure!(
        order == [sid('t', 12), sid('t', 40), sid('t', 12)],
        "{order:?}"
    );
    let names = strings(&conn, "SELECT name FROM playlists ORDER BY id").await?;
    ensure!(names == ["Throwbacks", "Gym"], "{names:?}");
    ensure!(scalar(&conn, "SELECT followers FROM playlists WHERE id = 'mpd-1'").await? == 2);
    ensure!(
        scalar(
            &conn,
            "SELECT track_count FROM playlists WHERE id = 'mpd-1'"
        )
        .await?
            == 3
    );
    ensure!(strings(&conn, "SELECT source FROM playlists WHERE id = 'mpd-0'").await? == ["mpd"]);
    // Artists and albums by their Spotify ids; the main artist credited; no audio features.
    let artist = strings(
        &conn,
        &format!(
            "SELECT a.name FROM track_artists ta JOIN artists a ON a.id = ta.artist_id WHERE ta.track_id = '{}' AND ta.position = 0",
            sid('t', 40)
        ),
    )
    .await?;
    ensure!(artist == ["Artist 4"], "{artist:?}");
    ensure!(scalar(&conn, "SELECT COUNT(*) FROM tracks").await? == 6);
    ensure!(scalar(&conn, "SELECT COUNT(*) FROM audio_features").await? == 0);
    Ok(())
}

async fn a_reload_replaces_a_playlists_list_and_keeps_what_other_sources_stored(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    // A sample track with its features and popularity, listed by the dataset.
    let known = "5KawlOMHjWeUjQtnuRs22c";
    let popularity = format!("SELECT popularity FROM tracks WHERE id = '{known}'");
    let popularity_before = scalar(&conn, &popularity).await?;
    let mut listed = entry(1, 3);
    listed["track_uri"] = json!(format!("spotify:track:{known}"));
    let dir = tempfile::tempdir()?;
    let path = write_slice(
        dir.path(),
        "mpd.slice.0-999.json",
        vec![playlist(
            7,
            "Mix",
            vec![entry(0, 1), listed, entry(2, 2), entry(3, 3)],
        )],
    )?;
    run(&conn, &path, &ImportOptions::default())
        .await?
        .into_result()?;
    ensure!(
        scalar(
            &conn,
            &format!("SELECT COUNT(*) FROM audio_features WHERE track_id = '{known}'")
        )
        .await?
            == 1,
        "the features the sample gave are kept"
    );
    ensure!(
        scalar(&conn, &popularity).await? == popularity_before,
        "the popularity the sample gave is kept"
    );
    // The playlist again, shorter: its list is replaced, not merged.
    write_slice(
        dir.path(),
        "mpd.slice.0-999.json",
        vec![playlist(7, "Mix", vec![entry(0, 2), entry(1, 1)])],
    )?;
    run(&conn, &path, &ImportOptions::default())
        .await?
        .into_result()?;
    let order = strings(
        &conn,
        "SELECT track_id FROM playlist_tracks WHERE playlist_id = 'mpd-7' ORDER BY position",
    )
    .await?;
    ensure!(order == [sid('t', 2), sid('t', 1)], "{order:?}");
    ensure!(
        scalar(
            &conn,
            "SELECT track_count FROM playlists WHERE id = 'mpd-7'"
        )
        .await?
            == 2
    );
    // Again with every entry rejected: the dataset says the playlist holds nothing valid.
    let mut bad = entry(0, 2);
    bad["track_uri"] = json!("not a uri");
    write_slice(
        dir.path(),
        "mpd.slice.0-999.json",
        vec![playlist(7, "Mix", vec![bad])],
    )?;
    run(&conn, &path, &ImportOptions::default())
        .await?
        .into_result()?;
    ensure!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM playlist_tracks WHERE playlist_id = 'mpd-7'"
        )
        .await?
            == 0
    );
    Ok(())
}

async fn bad_entries_playlists_and_files_are_reported_with_their_place_and_strict_writes_nothing(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let dir = tempfile::tempdir()?;
    let mut bad_uri = entry(1, 21);
    bad_uri["track_uri"] = json!("spotify:album:nope");
    let mut no_duration = entry(2, 22);
    no_duration.as_object_mut().map(|o| o.remove("duration_ms"));
    let mut long_name = entry(4, 24);
    long_name["track_name"] = json!("노래".repeat(300));
    let mut no_pid = playlist(3, "No id", vec![entry(0, 30)]);
    no_pid.as_object_mut().map(|o| o.remove("pid"));
    write_slice(
        dir.path(),
        "mpd.slice.0-999.json",
        vec![
            playlist(
                2,
                "Fine",
                vec![entry(0, 20), bad_uri, no_duration, entry(3, 23), long_name],
            ),
            no_pid,
            json!({ "pid": 4, "name": "Odd", "tracks": "not a list" }),
        ],
    )?;
    // A second slice cut short: what comes before the cut is kept.
    let whole = serde_json::to_string(&json!({
        "info": {},
        "playlists": [playlist(1000, "Before the cut", vec![entry(0, 50)]), playlist(1001, "Cut", vec![entry(0, 51)])],
    }))?;
    let cut = &whole[..whole.len() - 40];
    std::fs::write(dir.path().join("mpd.slice.1000-1999.json"), cut)?;

    let rejects = dir.path().join("rejects.csv");
    let strict = ImportOptions {
        strict: true,
        rejects_path: Some(rejects.clone()),
        ..Default::default()
    };
    let report = run(&conn, dir.path(), &strict).await?;
    ensure!(report.error.is_some(), "strict refuses: {report:?}");
    ensure!(
        scalar(&conn, "SELECT COUNT(*) FROM playlists").await? == 0,
        "nothing written"
    );

    let report = run(
        &conn,
        dir.path(),
        &ImportOptions {
            rejects_path: Some(rejects.clone()),
            ..Default::default()
        },
    )
    .await?
    .into_result()?;
    ensure!(report.counts.rejected == 6, "{:?}", report.reject_reasons);
    let mut file = csv::Reader::from_path(&rejects)?;
    ensure!(file.headers()? == vec!["position", "field", "value", "reason"]);
    let found: Vec<Vec<String>> = file
        .records()
        .map(|r| Ok(r?.iter().map(str::to_owned).collect()))
        .collect::<Result<_>>()?;
    for (position, field, reason) in [
        (
            "mpd.slice.0-999.json: playlists[0] (pid 2) tracks[1]",
            "track_uri",
            "not a Spotify track URI",
        ),
        (
            "mpd.slice.0-999.json: playlists[0] (pid 2) tracks[2]",
            "duration_ms",
            "missing",
        ),
        ("mpd.slice.0-999.json: playlists[1]", "pid", "missing"),
        (
            "mpd.slice.0-999.json: playlists[0] (pid 2) tracks[4]",
            "track_name",
            "longer than 512 characters",
        ),
        (
            "mpd.slice.0-999.json: playlists[2]",
            "",
            "not a playlist of the dataset's shape",
        ),
        (
            "mpd.slice.1000-1999.json: line 1 column",
            "",
            "malformed JSON",
        ),
    ] {
        ensure!(
            found
                .iter()
                .any(|r| r[0].starts_with(position) && r[1] == field && r[3].starts_with(reason)),
            "no reject at {position:?} of {field:?} for {reason:?} in {found:?}"
        );
    }
    let order = strings(
        &conn,
        "SELECT track_id FROM playlist_tracks WHERE playlist_id = 'mpd-2' ORDER BY position",
    )
    .await?;
    ensure!(
        order == [sid('t', 20), sid('t', 23)],
        "valid entries keep their places: {order:?}"
    );
    let names = strings(&conn, "SELECT name FROM playlists ORDER BY id").await?;
    ensure!(names == ["Before the cut", "Fine"], "{names:?}");
    Ok(())
}

backend_tests!(
    a_slice_loads_playlists_in_order_with_tracks_and_artists_by_spotify_id,
    a_reload_replaces_a_playlists_list_and_keeps_what_other_sources_stored,
    bad_entries_playlists_and_files_are_reported_with_their_place_and_strict_writes_nothing
);
