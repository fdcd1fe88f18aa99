//! How good related artists and recommendations are, against random baselines:
//! `recommend-quality [DATASET.csv.gz]` imports the dataset (default: the shared "30000 Spotify
//! Songs") into a temporary SQLite database and measures two things.
//!
//! **Held-out playlists.** The dataset's playlists are split at random (seed 17) into training
//! (80%) and held-out (20%). The index is built from the training playlists' rows only (their
//! tracks and their co-occurrence); for every artist with tracks in both halves, precision@10 is
//! the share of its 10 related artists (fewer count as misses) that share a held-out playlist
//! with it. Measured for sound alone (with and without the genre penalty), playlists alone at
//! several weightings, and the blend at several weights; the random baseline is the share of all
//! other training artists that share a held-out playlist with it.
//!
//! Then BTS's ten related artists over the whole dataset, on each basis. With
//! `QUALITY_PLAYLISTS_ONLY` set, the program stops there.
//!
//! **Genre agreement.** Over the whole dataset, for every artist with at least 5 tracks, the
//! share of its 10 related artists (by sound), and of 10 recommendations seeded by it, whose main
//! genre is the artist's.
//!
//! An artist's main genre is its most frequent top-level genre (the dataset's `playlist_genre`:
//! pop, rap, rock, latin, r&b, edm), ties to the alphabetically first. A recommended track
//! matches when it was listed under that genre. Each weighting of the features tried is a pair
//! of rows, measured in the same run, first with genres playing no part, then with the index's
//! genre penalty (which looks at every genre label of the artists, subgenres included) at
//! several values.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context as _, Result};
use sea_orm::{ConnectionTrait as _, Statement};
use sixpotify_api::recommend::{
    ArtistInput, Basis, EQUAL_WEIGHTS, GENRE_PENALTY, Index, PLAYLIST_WEIGHT, PlaylistsBuilder,
    RECOMMEND_PLAYLIST_WEIGHT, TrackInput, WEIGHTING, Wanted, Weighting, Weights, model_weights,
};
use sixpotify_loader::{CsvInput, ImportOptions, import_csv};

const TOP_LEVEL: [&str; 6] = ["edm", "latin", "pop", "r&b", "rap", "rock"];

async fn pairs(db: &sea_orm::DatabaseConnection, sql: &str) -> Result<Vec<(String, String)>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    let dataset = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/spotify_songs.csv.gz".into());
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    let db = sixpotify_loader::db::connect(&url).await?;
    import_csv(
        &db,
        &CsvInput::File(dataset.clone().into()),
        &ImportOptions::default(),
    )
    .await?
    .into_result()
    .with_context(|| format!("importing {dataset}"))?;
    let (tracks, artists) = sixpotify_api::service::recommend::load_inputs(&db).await?;
    held_out(&db, &tracks, &artists).await?;
    related_to_bts(&db).await?;
    if std::env::var_os("QUALITY_PLAYLISTS_ONLY").is_some() {
        return Ok(());
    }

    let top: HashSet<&str> = TOP_LEVEL.into_iter().collect();
    let mut track_genres: HashMap<String, HashSet<String>> = HashMap::new();
    for (t, g) in pairs(&db, "SELECT track_id, genre_id FROM track_genres").await? {
        if top.contains(g.as_str()) {
            track_genres.entry(t).or_default().insert(g);
        }
    }
    let mut artist_tracks: HashMap<String, Vec<String>> = HashMap::new();
    for (a, t) in pairs(
        &db,
        "SELECT ta.artist_id, ta.track_id FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id",
    )
    .await?
    {
        artist_tracks.entry(a).or_default().push(t);
    }
    let main_genre: HashMap<&str, &str> = artist_tracks
        .iter()
        .filter_map(|(a, ts)| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for g in ts
                .iter()
                .flat_map(|t| track_genres.get(t).into_iter().flatten())
            {
                *counts.entry(g.as_str()).or_default() += 1;
            }
            let best = counts.values().copied().max()?;
            let genre = counts.into_iter().find(|(_, n)| *n == best)?.0;
            Some((a.as_str(), genre))
        })
        .collect();

    let eligible: Vec<&str> = artist_tracks
        .iter()
        .filter(|(a, ts)| ts.len() >= 5 && main_genre.contains_key(a.as_str()))
        .map(|(a, _)| a.as_str())
        .collect();
    let with_profile: Vec<&str> = main_genre.keys().copied().collect();
    let tracks_with_genre: HashMap<&str, usize> = TOP_LEVEL
        .iter()
        .map(|g| {
            (
                *g,
                track_genres.values().filter(|gs| gs.contains(*g)).count(),
            )
        })
        .collect();

    use entity::Feature as F;
    let model = model_weights();
    // With a genre penalty of 0, genres play no part: the plain model.
    let variants: [(&str, Weights, f32); 9] = [
        ("equal", EQUAL_WEIGHTS, 0.0),
        ("liveness /10, tempo /2", model, 0.0),
        ("liveness /2", weights(&[(F::Liveness, 0.5)]), 0.0),
        (
            "speech and dance x2",
            weights(&[(F::Speechiness, 2.0), (F::Danceability, 2.0)]),
            0.0,
        ),
        (
            "speech, dance, acoustic x2; liveness, tempo /2",
            weights(&[
                (F::Speechiness, 2.0),
                (F::Danceability, 2.0),
                (F::Acousticness, 2.0),
                (F::Liveness, 0.5),
                (F::Tempo, 0.5),
            ]),
            0.0,
        ),
        ("liveness /10, tempo /2, genre penalty 0.05", model, 0.05),
        (
            "the model: liveness /10, tempo /2, genre penalty 0.1",
            model,
            GENRE_PENALTY,
        ),
        ("liveness /10, tempo /2, genre penalty 0.25", model, 0.25),
        ("liveness /10, tempo /2, genre penalty 1", model, 1.0),
    ];
    println!("weights\tmeasure\tsame main genre\trandom baseline\tlift");
    for (name, weights, penalty) in variants {
        let mut index = Index::build_weighted(tracks.clone(), artists.clone(), weights);
        index.set_genre_penalty(penalty);
        let (mut related_share, mut related_base) = (0.0, 0.0);
        let (mut rec_share, mut rec_base) = (0.0, 0.0);
        let mut measured = 0usize;
        for a in &eligible {
            let genre = main_genre[a];
            let Some(related) = index.related_artists(a, 10, Basis::Audio) else {
                continue;
            };
            if related.is_empty() {
                continue;
            }
            measured += 1;
            let same = related
                .iter()
                .filter(|r| main_genre.get(index.artist_id(r.index)) == Some(&genre))
                .count();
            related_share += same as f64 / related.len() as f64;
            let others = with_profile.iter().filter(|b| **b != *a).count().max(1);
            let same_pool = with_profile
                .iter()
                .filter(|b| **b != *a && main_genre[*b] == genre)
                .count();
            related_base += same_pool as f64 / others as f64;

            let position = index.artist_position(a).context("artist in index")?;
            let wanted = Wanted {
                seeds: vec![index.artist_vector(position).context("profile")?],
                exclude_artists: vec![position as u32],
                genres: index.artist_genres(position).to_vec(),
                limit: 10,
                max_per_artist: 2,
                ..Default::default()
            };
            let found = index.recommend(&wanted);
            let hits = found
                .iter()
                .filter(|r| {
                    track_genres
                        .get(index.track_id(r.index))
                        .is_some_and(|gs| gs.contains(genre))
                })
                .count();
            rec_share += hits as f64 / found.len().max(1) as f64;
            rec_base += tracks_with_genre[genre] as f64 / index.track_count().max(1) as f64;
        }
        let n = measured.max(1) as f64;
        println!(
            "{name}\trelated artists\t{:.3}\t{:.3}\t{:.2}",
            related_share / n,
            related_base / n,
            related_share / related_base.max(f64::MIN_POSITIVE)
        );
        println!(
            "{name}\trecommendations\t{:.3}\t{:.3}\t{:.2}\t({measured} artists)",
            rec_share / n,
            rec_base / n,
            rec_share / rec_base.max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}

/// Equal weights but for `changes`.
fn weights(changes: &[(entity::Feature, f64)]) -> Weights {
    let mut w = EQUAL_WEIGHTS;
    for &(f, x) in changes {
        w[f.index()] = x;
    }
    w
}

/// One playlist entry: playlist, track, the track's main artist.
type Entry = (String, String, String);

/// Precision@10 of related artists against held-out playlists, per model.
async fn held_out(
    db: &sea_orm::DatabaseConnection,
    tracks: &[TrackInput],
    artists: &[ArtistInput],
) -> Result<()> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT pt.playlist_id, pt.track_id, ta.artist_id FROM playlist_tracks pt \
             JOIN track_artists ta ON ta.track_id = pt.track_id AND ta.position = 0 \
             ORDER BY pt.playlist_id, pt.position",
        ))
        .await?;
    let entries: Vec<Entry> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get_by_index(0)?,
                r.try_get_by_index(1)?,
                r.try_get_by_index(2)?,
            ))
        })
        .collect::<Result<_>>()?;
    let mut playlists: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    playlists.dedup();
    // A seeded shuffle: the first fifth is held out.
    let mut rng = sixpotify_tests::synth::Rng::new(17);
    for i in (1..playlists.len()).rev() {
        playlists.swap(i, rng.below(i + 1));
    }
    let held: HashSet<&str> = playlists[..playlists.len() / 5].iter().copied().collect();
    let (test, train): (Vec<&Entry>, Vec<&Entry>) =
        entries.iter().partition(|e| held.contains(e.0.as_str()));

    // Held-out playlists of each artist, and the artists sharing one.
    let mut held_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    for e in &test {
        held_of.entry(&e.2).or_default().insert(&e.0);
    }
    let mut members: HashMap<&str, HashSet<&str>> = HashMap::new();
    for e in &test {
        members.entry(&e.0).or_default().insert(&e.2);
    }
    let together = |a: &str| -> HashSet<&str> {
        held_of
            .get(a)
            .into_iter()
            .flatten()
            .flat_map(|p| members[p].iter().copied())
            .filter(|b| *b != a)
            .collect()
    };
    let train_tracks: HashSet<&str> = train.iter().map(|e| e.1.as_str()).collect();
    let train_artists: HashSet<&str> = train.iter().map(|e| e.2.as_str()).collect();
    let mut measured: Vec<&str> = train_artists
        .iter()
        .copied()
        .filter(|a| held_of.contains_key(a))
        .collect();
    measured.sort_unstable();
    let training_tracks: Vec<TrackInput> = tracks
        .iter()
        .filter(|t| train_tracks.contains(t.id.as_str()))
        .cloned()
        .collect();
    let builder = || {
        let mut b = PlaylistsBuilder::default();
        for e in &train {
            b.push(&e.0, &e.1);
        }
        for e in &train {
            b.main_artist(&e.1, &e.2);
        }
        b
    };
    let truth: HashMap<&str, HashSet<&str>> = measured.iter().map(|a| (*a, together(a))).collect();
    let random: f64 = measured
        .iter()
        .map(|a| {
            let hits = truth[a]
                .iter()
                .filter(|b| train_artists.contains(*b))
                .count();
            hits as f64 / (train_artists.len() - 1).max(1) as f64
        })
        .sum::<f64>()
        / measured.len().max(1) as f64;
    println!(
        "held-out playlists: {} training, {} held out; {} artists in both halves",
        playlists.len() - held.len(),
        held.len(),
        measured.len()
    );
    println!("model\tprecision@10");
    println!("random\t{random:.3}");
    let precision = |index: &Index, basis: Basis| -> f64 {
        let mut sum = 0.0;
        for a in &measured {
            let related = index.related_artists(a, 10, basis).unwrap_or_default();
            let hits = related
                .iter()
                .filter(|r| truth[a].contains(index.artist_id(r.index)))
                .count();
            sum += hits as f64 / 10.0;
        }
        sum / measured.len().max(1) as f64
    };
    let mut index = Index::build_weighted(training_tracks, artists.to_vec(), model_weights());
    index.set_genre_penalty(0.0);
    println!(
        "audio, no genre penalty\t{:.3}",
        precision(&index, Basis::Audio)
    );
    index.set_genre_penalty(GENRE_PENALTY);
    println!(
        "audio (the model before playlists)\t{:.3}",
        precision(&index, Basis::Audio)
    );
    // Each parameter of the model's weighting varied alone.
    let mut variants: Vec<Weighting> = Vec::new();
    for exponent in [0.0, 0.5, 1.0, 2.0] {
        variants.push(Weighting {
            exponent,
            ..WEIGHTING
        });
    }
    for shrink in [0.0, 2.0, 10.0] {
        variants.push(Weighting {
            shrink,
            ..WEIGHTING
        });
    }
    for neighbour in [0.5, 0.25, 0.0] {
        variants.push(Weighting {
            neighbour,
            ..WEIGHTING
        });
    }
    for weighting in variants {
        index.set_playlists(builder(), weighting);
        let Weighting {
            exponent,
            shrink,
            neighbour,
        } = weighting;
        let marker = if weighting == WEIGHTING {
            " (the model)"
        } else {
            ""
        };
        println!(
            "playlists: 1/n^{exponent}, shrink {shrink}, neighbour^{neighbour}{marker}\t{:.3}",
            precision(&index, Basis::Playlists)
        );
    }
    index.set_playlists(builder(), WEIGHTING);
    for weight in [1.0, 2.0, 4.0, 8.0, 16.0] {
        index.set_playlist_weight(weight);
        let marker = if weight == PLAYLIST_WEIGHT {
            " (the model)"
        } else {
            ""
        };
        println!(
            "blend: audio + {weight} x playlists{marker}\t{:.3}",
            precision(&index, Basis::Hybrid)
        );
    }
    // Recommendations seeded by the artist: a hit is a track whose main artist shares a
    // held-out playlist with it.
    let main_of: HashMap<&str, &str> = entries
        .iter()
        .map(|e| (e.1.as_str(), e.2.as_str()))
        .collect();
    let indexed: Vec<&str> = (0..index.track_count())
        .map(|t| index.track_id(t))
        .collect();
    let random: f64 = measured
        .iter()
        .map(|a| {
            let hits = indexed
                .iter()
                .filter(|t| main_of.get(*t).is_some_and(|b| truth[a].contains(b)))
                .count();
            hits as f64 / indexed.len().max(1) as f64
        })
        .sum::<f64>()
        / measured.len().max(1) as f64;
    println!("recommendations, random\t{random:.3}");
    for weight in [0.0, 4.0, 16.0, 32.0] {
        index.set_recommend_playlist_weight(weight);
        let mut sum = 0.0;
        for a in &measured {
            let Some(position) = index.artist_position(a) else {
                continue;
            };
            let Some(profile) = index.artist_vector(position) else {
                continue;
            };
            let wanted = Wanted {
                seeds: vec![profile],
                exclude_artists: vec![position as u32],
                genres: index.artist_genres(position).to_vec(),
                playlist_bonus: index.playlist_bonus(&[position], &[]),
                limit: 10,
                max_per_artist: 2,
                ..Default::default()
            };
            let hits = index
                .recommend(&wanted)
                .iter()
                .filter(|r| {
                    main_of
                        .get(index.track_id(r.index))
                        .is_some_and(|b| truth[a].contains(b))
                })
                .count();
            sum += hits as f64 / 10.0;
        }
        let marker = if weight == RECOMMEND_PLAYLIST_WEIGHT {
            " (the model)"
        } else {
            ""
        };
        println!(
            "recommendations, playlist bonus x{weight}{marker}\t{:.3}",
            sum / measured.len().max(1) as f64
        );
    }
    Ok(())
}

/// BTS's ten related artists over the whole dataset, by each basis.
async fn related_to_bts(db: &sea_orm::DatabaseConnection) -> Result<()> {
    let index = sixpotify_api::service::recommend::load_index(db).await?;
    let names: HashMap<String, String> = pairs(db, "SELECT id, name FROM artists")
        .await?
        .into_iter()
        .collect();
    let Some((bts, _)) = names.iter().find(|(_, n)| n.as_str() == "BTS") else {
        println!("BTS is not in the dataset");
        return Ok(());
    };
    for basis in [Basis::Hybrid, Basis::Playlists, Basis::Audio] {
        let related = index.related_artists(bts, 10, basis).unwrap_or_default();
        let list: Vec<String> = related
            .iter()
            .map(|r| {
                format!(
                    "{} ({} shared, {:.2})",
                    names[index.artist_id(r.index)],
                    r.shared_playlists,
                    r.similarity()
                )
            })
            .collect();
        println!("BTS, {basis:?}: {}", list.join(", "));
    }
    Ok(())
}
