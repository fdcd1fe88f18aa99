//! Artist aliases: operators' lists (`import-aliases`), MusicBrainz dumps
//! (`import-musicbrainz`), what GraphQL shows of them, and search through them, on SQLite and
//! MariaDB. Dumps are written by the tests in MusicBrainz's documented JSON shape.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use sixpotify_loader::writer::{ArtistValues, Batch};
use sixpotify_loader::{
    AliasList, ArtistDirectory, CsvInput, ImportOptions, ImportReport, MusicBrainzInput, import,
};
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample, scalar, strings};

/// BTS as the sample names it (an id derived from the name).
const BTS: &str = "ar-f9572d4d27999d61a2cd";

async fn list(db: &DatabaseConnection, path: &Path, strict: bool) -> Result<ImportReport> {
    let input = AliasList {
        input: CsvInput::File(path.to_owned()),
        directory: ArtistDirectory::load(db).await?.into(),
    };
    let opts = ImportOptions {
        strict,
        rejects_path: Some(path.with_extension("rejects.csv")),
        ..ImportOptions::default()
    };
    Ok(import(db, &input, &opts, "import_aliases").await?)
}

async fn dump(db: &DatabaseConnection, path: &Path) -> Result<ImportReport> {
    let input = MusicBrainzInput {
        path: path.to_owned(),
        directory: ArtistDirectory::load(db).await?.into(),
    };
    let opts = ImportOptions {
        batch_size: 2,
        rejects_path: Some(path.with_extension("rejects.csv")),
        ..ImportOptions::default()
    };
    Ok(import(db, &input, &opts, "import_musicbrainz").await?)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

async fn aliases_of(app: &TestApp, id: &str) -> Result<Value> {
    let data = app
        .data(&format!(
            "{{ artist(id: \"{id}\") {{ name ko: name(locale: \"ko\") kr: name(locale: \"ko_KR\") ja: name(locale: \"ja\") aliases {{ name locale primary source }} }} }}"
        ))
        .await?;
    Ok(data["artist"].clone())
}

async fn an_alias_list_names_artists_in_other_languages_and_a_corrected_list_mends_it(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let dir = tempfile::tempdir()?;
    let path = write(
        dir.path(),
        "aliases.csv",
        &format!(
            "artist_id,alias,locale\n\
             {BTS},방탄소년단,ko\n\
             {BTS},Bangtan Sonyeondan,ko\n\
             {BTS},Bangtan Boys,en-US\n\
             {BTS},BTS,\n\
             no-such-artist,누구,ko\n\
             {BTS},,ko\n\
             {BTS},防弾少年団,Japanese\n\
             {BTS},\"{long}\",ja\n",
            long = "x".repeat(513)
        ),
    )?;
    let report = list(&conn, &path, false).await?.into_result()?;
    ensure!(
        report.counts.read == 8 && report.counts.written == 4,
        "{report:?}"
    );
    ensure!(report.counts.rejected == 4, "{report:?}");
    let rejects = std::fs::read_to_string(path.with_extension("rejects.csv"))?;
    for expected in [
        "6,artist_id,no-such-artist,no such artist in the catalog",
        "7,alias,,empty",
        "8,locale,Japanese,",
        "9,alias,",
    ] {
        ensure!(rejects.contains(expected), "{expected:?} not in\n{rejects}");
    }
    // The list replaced the sample's aliases of BTS.
    let app = TestApp::spawn(&db).await?;
    app.ready().await?;
    let bts = aliases_of(&app, BTS).await?;
    assert_eq!(bts["name"], "BTS");
    assert_eq!(
        bts["ko"], "방탄소년단",
        "the first alias of a locale is primary"
    );
    assert_eq!(
        bts["kr"], "방탄소년단",
        "a locale falls back to its language"
    );
    assert_eq!(bts["ja"], "BTS", "no Japanese name any more");
    assert_eq!(
        bts["aliases"],
        json!([
            { "name": "BTS", "locale": null, "primary": false, "source": "list" },
            { "name": "Bangtan Boys", "locale": "en_US", "primary": true, "source": "list" },
            { "name": "방탄소년단", "locale": "ko", "primary": true, "source": "list" },
            { "name": "Bangtan Sonyeondan", "locale": "ko", "primary": false, "source": "list" },
        ])
    );
    let bad = app
        .query(&format!(
            "{{ artist(id: \"{BTS}\") {{ name(locale: \"Korean\") }} }}"
        ))
        .await?;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );

    // A corrected list, imported twice: the same aliases, nothing left of the first.
    let fixed = write(
        dir.path(),
        "fixed.csv",
        &format!(
            "artist_id,alias,locale,primary\n{BTS},방탄소년단,ko,false\n{BTS},비티에스,ko,true\n"
        ),
    )?;
    for _ in 0..2 {
        list(&conn, &fixed, false).await?.into_result()?;
    }
    let stored = strings(
        &conn,
        &format!("SELECT name FROM artist_aliases WHERE artist_id = '{BTS}' ORDER BY name"),
    )
    .await?;
    assert_eq!(stored, ["방탄소년단", "비티에스"]);
    // A list with a bad row writes nothing under --strict.
    let before = scalar(&conn, "SELECT COUNT(*) FROM artist_aliases").await?;
    let report = list(&conn, &path, true).await?;
    ensure!(report.error.is_some(), "{report:?}");
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM artist_aliases").await?,
        before
    );
    // A list naming every artist of the sample (over 2,000) in one transaction.
    let ids = strings(&conn, "SELECT id FROM artists ORDER BY id").await?;
    ensure!(ids.len() > 2000, "{}", ids.len());
    let mut every = String::from("artist_id,alias,locale\n");
    for (i, id) in ids.iter().enumerate() {
        every.push_str(&format!("{id},별칭 {i},ko\n"));
    }
    let every = write(dir.path(), "every.csv", &every)?;
    let report = list(&conn, &every, false).await?.into_result()?;
    assert_eq!(report.counts.written, ids.len() as u64);
    // A file that is not an alias list says what it expected.
    let wrong = write(dir.path(), "wrong.csv", "id,name\nx,y\n")?;
    let report = list(&conn, &wrong, false).await?;
    let error = report.error.map(|e| e.to_string()).unwrap_or_default();
    ensure!(error.contains("artist_id,alias,locale"), "{error}");
    Ok(())
}

/// A line of MusicBrainz's artist dump.
fn mb(id: &str, name: &str, aliases: Value, spotify: &[&str]) -> String {
    let relations: Vec<Value> = spotify
        .iter()
        .map(|s| json!({ "type": "free streaming", "url": { "resource": format!("https://open.spotify.com/artist/{s}"), "id": "x" } }))
        .collect();
    json!({
        "id": id, "name": name, "sort-name": name, "type": "Group",
        "aliases": aliases, "relations": relations,
    })
    .to_string()
}

fn alias(name: &str, locale: Option<&str>, primary: bool, kind: &str) -> Value {
    json!({ "name": name, "sort-name": name, "locale": locale, "primary": primary, "type": kind,
            "begin": null, "end": null, "ended": false })
}

/// Spotify ids of artists the test puts in the catalog.
const SPOTIFY_BTS: &str = "3Nrfpe0tUJi4K4DXYWgMUX";
const SPOTIFY_IU: &str = "3HqSLMAZ3g3d5poNaI7GOU";
const SPOTIFY_NAMESAKE: &str = "0000000000000000000001";

async fn catalog_for_dump(conn: &DatabaseConnection) -> Result<()> {
    let mut batch = Batch::default();
    for (id, name) in [
        (SPOTIFY_BTS, "BTS"),
        (SPOTIFY_IU, "IU"),
        (SPOTIFY_NAMESAKE, "Namesake"),
    ] {
        batch.add_artist(
            id,
            ArtistValues {
                name: name.into(),
                popularity: Some(80),
                ..ArtistValues::default()
            },
        );
    }
    for name in ["Twin", "twin", "Solo Act"] {
        batch.add_artist(
            &entity::normalize::derived_artist_id(name),
            ArtistValues {
                name: name.into(),
                ..ArtistValues::default()
            },
        );
    }
    batch.write(conn, Utc::now()).await?;
    Ok(())
}

fn dump_lines() -> String {
    [
        mb(
            "bts",
            "방탄소년단",
            json!([
                alias("BTS", Some("en"), true, "Artist name"),
                alias("防弾少年団", Some("ja"), true, "Artist name"),
                alias("Bangtan", None, false, "Search hint"),
            ]),
            &[SPOTIFY_BTS],
        ),
        mb(
            "iu",
            "아이유",
            json!([alias("IU", Some("en"), true, "Artist name")]),
            &[SPOTIFY_IU, "unknownid"],
        ),
        mb(
            "solo",
            "Solo Act",
            json!([alias("솔로 액트", Some("ko"), true, "Artist name")]),
            &[],
        ),
        mb("twin", "TWIN", json!([]), &[]),
        mb(
            "namesake",
            "Namesake",
            json!([alias("동명이인", Some("ko"), true, "Artist name")]),
            &["1111111111111111111111"],
        ),
        "{\"id\": \"broken\", \"name\": ".to_owned(),
        mb("nobody", "Nobody Here", json!([]), &[]),
        "[1, 2, 3]".to_owned(),
    ]
    .join("\n")
        + "\n"
}

fn xz(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut w = liblzma::write::XzEncoder::new(Vec::new(), 6);
    w.write_all(bytes)?;
    Ok(w.finish()?)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    w.write_all(bytes)?;
    Ok(w.finish()?)
}

/// The dump's `artist.tar.xz`: a `TIMESTAMP` member, then `mbdump/artist`.
fn archive(lines: &str) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in [
        ("TIMESTAMP", "2026-11-28 00:00:00+00\n"),
        ("mbdump/artist", lines),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, data.as_bytes())?;
    }
    xz(&tar.into_inner()?)
}

async fn a_musicbrainz_dump_links_by_spotify_url_or_unique_name_in_every_packing(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    catalog_for_dump(&conn).await?;
    let dir = tempfile::tempdir()?;
    let lines = dump_lines();
    let packings: Vec<(&str, Vec<u8>)> = vec![
        ("artist", lines.clone().into_bytes()),
        ("artist.gz", gzip(lines.as_bytes())?),
        ("artist.xz", xz(lines.as_bytes())?),
        ("artist.tar.xz", archive(&lines)?),
    ];
    let mut snapshots = Vec::new();
    for (name, bytes) in packings {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes)?;
        let report = dump(&conn, &path).await?.into_result()?;
        ensure!(report.counts.read == 8, "{name}: {report:?}");
        ensure!(report.counts.rejected == 2, "{name}: {report:?}");
        ensure!(report.counts.written == 3, "{name}: {report:?}");
        let notes: Vec<(&str, u64)> = report.notes.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            notes,
            [
                ("lines linked by Spotify URL", 2),
                ("lines linked by name", 1),
                ("lines linked to no catalog artist", 3),
            ],
            "{name}"
        );
        let rejects = std::fs::read_to_string(path.with_extension("rejects.csv"))?;
        ensure!(
            rejects
                .lines()
                .filter(|l| l.starts_with("6,") || l.starts_with("8,"))
                .count()
                == 2,
            "{name}: {rejects}"
        );
        snapshots.push(
            strings(
                &conn,
                "SELECT CONCAT(artist_id, ' ', locale, ' ', name, ' ', is_primary, ' ', COALESCE(kind, '-')) FROM artist_aliases ORDER BY artist_id, locale, name",
            )
            .await?,
        );
    }
    ensure!(snapshots.windows(2).all(|w| w[0] == w[1]), "{snapshots:#?}");
    let aliases = &snapshots[0];
    ensure!(aliases.len() == 8, "{aliases:#?}");
    let solo = entity::normalize::derived_artist_id("Solo Act");
    ensure!(
        aliases
            .iter()
            .any(|a| a.starts_with(&format!("{solo} ko 솔로 액트"))),
        "{aliases:#?}"
    );
    ensure!(
        !aliases.iter().any(|a| a.contains("동명이인")),
        "a namesake was linked"
    );

    let app = TestApp::spawn(&db).await?;
    app.ready().await?;
    let bts = aliases_of(&app, SPOTIFY_BTS).await?;
    assert_eq!(bts["ko"], "BTS", "MusicBrainz's name has no locale");
    assert_eq!(bts["ja"], "防弾少年団");
    let listed: Vec<&str> = bts["aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(
        listed,
        ["방탄소년단", "BTS", "防弾少年団"],
        "search hints are not listed"
    );
    let data = app
        .data("{ a: searchArtists(query: \"방탄소년단\") { catalogId matchedName } b: searchArtists(query: \"bangtan\") { catalogId matchedName } c: searchArtists(query: \"아이유\") { catalogId } }")
        .await?;
    assert_eq!(
        data["a"],
        json!([{ "catalogId": SPOTIFY_BTS, "matchedName": "방탄소년단" }])
    );
    assert_eq!(
        data["b"],
        json!([{ "catalogId": SPOTIFY_BTS, "matchedName": "Bangtan" }])
    );
    assert_eq!(data["c"], json!([{ "catalogId": SPOTIFY_IU }]));
    Ok(())
}

backend_tests!(
    an_alias_list_names_artists_in_other_languages_and_a_corrected_list_mends_it,
    a_musicbrainz_dump_links_by_spotify_url_or_unique_name_in_every_packing
);
