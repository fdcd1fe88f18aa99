//! The index's answers on small hand-made catalogs.

use super::*;

fn track(id: &str, artist: &str, popularity: i32, f: [f64; DIMS]) -> TrackInput {
    TrackInput {
        id: id.into(),
        artist_ids: vec![artist.into()],
        popularity: Some(popularity),
        features: f,
    }
}

fn artist(id: &str, popularity: i32) -> ArtistInput {
    ArtistInput {
        id: id.into(),
        popularity: Some(popularity),
        top_tracks: Vec::new(),
        genres: Vec::new(),
    }
}

/// Features that vary in energy and valence only; everything else constant.
fn ev(energy: f64, valence: f64) -> [f64; DIMS] {
    [0.5, energy, -6.0, 0.05, 0.1, 0.0, 0.1, valence, 120.0]
}

fn catalog() -> Index {
    Index::build(
        vec![
            track("t1", "loud", 50, ev(0.90, 0.90)),
            track("t2", "loud", 50, ev(0.80, 0.80)),
            track("t3", "loud2", 40, ev(0.85, 0.80)),
            track("t4", "calm", 60, ev(0.10, 0.20)),
            track("t5", "calm2", 70, ev(0.20, 0.10)),
            track("t6", "mid", 10, ev(0.50, 0.50)),
        ],
        vec![
            artist("loud", 50),
            artist("loud2", 40),
            artist("calm", 60),
            artist("calm2", 70),
            artist("mid", 10),
            artist("silent", 90),
        ],
    )
}

#[test]
fn nearest_artists_come_first_and_the_artist_itself_is_left_out() {
    let index = catalog();
    let related = index
        .related_artists("loud", 10, Basis::Audio)
        .expect("known");
    let ids: Vec<&str> = related.iter().map(|r| index.artist_id(r.index)).collect();
    assert_eq!(ids, ["loud2", "mid", "calm", "calm2"]);
    assert!(related.windows(2).all(|w| w[0].distance <= w[1].distance));
    assert!(
        related
            .iter()
            .all(|r| (0.0..=1.0).contains(&r.similarity()))
    );
    assert_eq!(
        index
            .related_artists("loud", 1, Basis::Audio)
            .map(|r| r.len()),
        Some(1)
    );
    assert_eq!(index.related_artists("nobody", 3, Basis::Audio), None);
    assert_eq!(
        index.related_artists("silent", 3, Basis::Audio),
        Some(Vec::new())
    );
}

#[test]
fn ties_go_to_the_more_popular_then_the_smaller_id() {
    let index = Index::build(
        vec![
            track("a", "x", 1, ev(0.5, 0.5)),
            track("b", "y", 1, ev(0.5, 0.5)),
            track("c", "z", 1, ev(0.5, 0.5)),
            track("d", "w", 1, ev(0.5, 0.5)),
            track("e", "v", 1, ev(0.9, 0.9)),
        ],
        vec![
            artist("x", 10),
            artist("y", 20),
            artist("z", 20),
            artist("w", 5),
            artist("v", 0),
        ],
    );
    let related = index.related_artists("x", 4, Basis::Audio).expect("known");
    let ids: Vec<&str> = related.iter().map(|r| index.artist_id(r.index)).collect();
    assert_eq!(ids, ["y", "z", "w", "v"]);
}

#[test]
fn a_feature_with_no_spread_is_left_out_not_divided_by() {
    let index = catalog();
    let scale = index.scale().expect("built");
    assert!(scale.spread[0] < MIN_SPREAD, "danceability is constant");
    assert!((0..index.track_count()).all(|t| index.track_vector(t).iter().all(|x| x.is_finite())));
    assert!((0..index.track_count()).all(|t| index.track_vector(t)[0] == 0.0));
    let (profile, n) = index.audio_profile("loud").expect("profile");
    assert_eq!(n, 2);
    assert!((profile[1] - 0.85).abs() < 1e-6, "{profile:?}");
    assert!((profile[0] - 0.5).abs() < 1e-9, "{profile:?}");
}

#[test]
fn a_profile_is_the_mean_of_the_top_tracks_where_there_are_some() {
    let mut artists = vec![artist("loud", 50), artist("mid", 10)];
    artists[0].top_tracks = vec!["t2".into(), "missing".into()];
    let index = Index::build(
        vec![
            track("t1", "loud", 50, ev(0.9, 0.9)),
            track("t2", "loud", 50, ev(0.7, 0.6)),
            track("t6", "mid", 10, ev(0.5, 0.5)),
        ],
        artists,
    );
    let (profile, n) = index.audio_profile("loud").expect("profile");
    assert_eq!(n, 1);
    assert!((profile[1] - 0.7).abs() < 1e-6 && (profile[7] - 0.6).abs() < 1e-6);
}

#[test]
fn the_same_input_in_any_order_gives_the_same_index() {
    let a = catalog();
    let mut tracks: Vec<TrackInput> = (1..=6)
        .rev()
        .map(|i| {
            let id = format!("t{i}");
            let (artist_id, p, f) = match i {
                1 => ("loud", 50, ev(0.90, 0.90)),
                2 => ("loud", 50, ev(0.80, 0.80)),
                3 => ("loud2", 40, ev(0.85, 0.80)),
                4 => ("calm", 60, ev(0.10, 0.20)),
                5 => ("calm2", 70, ev(0.20, 0.10)),
                _ => ("mid", 10, ev(0.50, 0.50)),
            };
            track(&id, artist_id, p, f)
        })
        .collect();
    tracks.push(tracks[0].clone());
    let b = Index::build(
        tracks,
        vec![
            artist("silent", 90),
            artist("mid", 10),
            artist("calm2", 70),
            artist("calm", 60),
            artist("loud2", 40),
            artist("loud", 50),
        ],
    );
    assert_eq!(a.track_steps, b.track_steps);
    assert_eq!(a.artist_profile, b.artist_profile);
    assert_eq!(
        a.related_artists("calm", 3, Basis::Audio),
        b.related_artists("calm", 3, Basis::Audio)
    );
}

fn wanted(seeds: Vec<Vector>) -> Wanted {
    Wanted {
        seeds,
        limit: 10,
        max_per_artist: 2,
        ..Default::default()
    }
}

fn ids(index: &Index, found: &[Recommendation]) -> Vec<String> {
    found
        .iter()
        .map(|r| index.track_id(r.index).to_owned())
        .collect()
}

#[test]
fn recommendations_are_the_tracks_nearest_the_seeds() {
    let index = catalog();
    let loud = index.artist_position("loud").expect("known");
    let mut q = wanted(vec![index.artist_vector(loud).expect("profile")]);
    q.exclude_artists = vec![loud as u32];
    let found = index.recommend(&q);
    assert_eq!(ids(&index, &found), ["t3", "t6", "t4", "t5"]);
    assert!(found.windows(2).all(|w| w[0].distance <= w[1].distance));
    // A seed track is left out; its own artist's other tracks are not.
    let t1 = index.track_position("t1").expect("known");
    let mut q = wanted(vec![index.track_vector(t1)]);
    q.exclude_tracks = vec![t1];
    assert_eq!(ids(&index, &index.recommend(&q))[..2], ["t3", "t2"]);
}

#[test]
fn targets_replace_the_centroid_and_bounds_filter() {
    let index = catalog();
    let t1 = index.track_position("t1").expect("known");
    let mut q = wanted(vec![index.track_vector(t1)]);
    q.target[1] = Some(0.1);
    q.target[7] = Some(0.2);
    assert_eq!(ids(&index, &index.recommend(&q))[0], "t4");
    let mut q = wanted(vec![index.track_vector(t1)]);
    q.min[1] = Some(0.5);
    q.max[1] = Some(0.85);
    assert_eq!(ids(&index, &index.recommend(&q)), ["t3", "t2", "t6"]);
    // Bounds on a feature without spread keep everything or nothing.
    q.min[0] = Some(0.6);
    assert!(index.recommend(&q).is_empty());
    q.min[0] = Some(0.5);
    assert_eq!(index.recommend(&q).len(), 3);
    q.min_popularity = Some(45);
    assert_eq!(ids(&index, &index.recommend(&q)), ["t2"]);
}

#[test]
fn at_most_max_per_artist_tracks_of_one_artist() {
    let tracks = (0..6)
        .map(|i| {
            track(
                &format!("a{i}"),
                "same",
                50,
                ev(0.5 + f64::from(i) / 100.0, 0.5),
            )
        })
        .chain([track("z", "other", 50, ev(0.9, 0.9))])
        .collect();
    let index = Index::build(tracks, vec![artist("same", 1), artist("other", 1)]);
    let a0 = index.track_position("a0").expect("known");
    let mut q = wanted(vec![index.track_vector(a0)]);
    q.max_per_artist = 2;
    q.limit = 3;
    assert_eq!(ids(&index, &index.recommend(&q)), ["a0", "a1", "z"]);
    q.max_per_artist = 1;
    q.limit = 5;
    assert_eq!(ids(&index, &index.recommend(&q)), ["a0", "z"]);
}

/// A reproducible catalog of `n` tracks spread over the whole feature space.
fn random_catalog(n: usize) -> Index {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let tracks = (0..n)
        .map(|i| {
            let mut f = [0.0; DIMS];
            for (d, v) in f.iter_mut().enumerate() {
                // Three decimals, like the sources.
                *v = (next() * if d == 8 { 200_000.0 } else { 1000.0 }).round() / 1000.0;
            }
            track(
                &format!("t{i:05}"),
                &format!("a{}", i % 97),
                (i % 101) as i32,
                f,
            )
        })
        .collect();
    let artists = (0..97).map(|a| artist(&format!("a{a}"), a)).collect();
    Index::build(tracks, artists)
}

/// The `limit` nearest tracks by brute force over the index's own vectors.
fn brute_force(index: &Index, q: &Wanted, keep: impl Fn(usize) -> bool) -> Vec<f32> {
    let centre = q.seeds[0];
    let mut all: Vec<f32> = (0..index.track_count())
        .filter(|t| keep(*t) && !q.exclude_tracks.contains(t))
        .map(|t| distance(&index.track_vector(t), &centre))
        .collect();
    all.sort_by(f32::total_cmp);
    all.truncate(q.limit);
    all
}

#[test]
fn the_chunked_scan_finds_what_a_brute_force_search_finds() {
    let index = random_catalog(3 * CHUNK + 17);
    for seed in [0, CHUNK - 1, CHUNK, 2 * CHUNK + 5, 3 * CHUNK + 16] {
        let mut q = wanted(vec![index.track_vector(seed)]);
        q.limit = 25;
        q.max_per_artist = 25;
        q.exclude_tracks = vec![seed];
        let found: Vec<f32> = index.recommend(&q).iter().map(|r| r.distance).collect();
        let expected = brute_force(&index, &q, |_| true);
        assert_eq!(found.len(), expected.len());
        for (f, e) in found.iter().zip(&expected) {
            assert!(
                (f - e).abs() < 1e-4,
                "seed {seed}: {found:?} != {expected:?}"
            );
        }
        // With a bound, every result keeps to it and none nearer is missed.
        q.min[1] = Some(0.4);
        q.max[8] = Some(120.0);
        let raw = |t: usize| {
            let v = index.track_vector(t);
            let scale = index.scale().expect("built");
            (scale.raw(1, v[1]), scale.raw(8, v[8]))
        };
        let found = index.recommend(&q);
        assert!(found.iter().all(|r| {
            let (energy, tempo) = raw(r.index);
            energy >= 0.4 - 1e-4 && tempo <= 120.0 + 1e-2
        }));
        let expected = brute_force(&index, &q, |t| {
            let (energy, tempo) = raw(t);
            energy >= 0.4 - 1e-9 && tempo <= 120.0 + 1e-9
        });
        let found: Vec<f32> = found.iter().map(|r| r.distance).collect();
        assert_eq!(found.len(), expected.len(), "seed {seed}");
        for (f, e) in found.iter().zip(&expected) {
            assert!(
                (f - e).abs() < 1e-4,
                "seed {seed}: {found:?} != {expected:?}"
            );
        }
    }
}

#[test]
fn a_bound_equal_to_a_value_keeps_it_and_one_a_thousandth_above_does_not() {
    let index = Index::build(
        vec![
            track("low", "x", 1, ev(0.499, 0.5)),
            track("at", "x", 1, ev(0.500, 0.5)),
            track("high", "x", 1, ev(0.501, 0.5)),
            track("floor", "x", 1, ev(0.0, 0.0)),
            track("ceiling", "x", 1, ev(1.0, 1.0)),
        ],
        vec![artist("x", 1)],
    );
    let at = index.track_position("at").expect("known");
    let mut q = wanted(vec![index.track_vector(at)]);
    q.max_per_artist = 5;
    q.min[1] = Some(0.5);
    q.max[1] = Some(0.5);
    assert_eq!(ids(&index, &index.recommend(&q)), ["at"]);
    q.min[1] = Some(0.501);
    q.max[1] = None;
    let mut found = ids(&index, &index.recommend(&q));
    found.sort();
    assert_eq!(found, ["ceiling", "high"]);
    // Bounds beyond the catalog's range keep everything or nothing.
    q.min[1] = Some(-5.0);
    q.max[1] = Some(5.0);
    assert_eq!(index.recommend(&q).len(), 5);
    q.min[1] = Some(1.001);
    assert!(index.recommend(&q).is_empty());
}

#[test]
fn a_shared_genre_decides_between_near_equals_but_not_against_a_clear_distance() {
    let genre = |mut a: ArtistInput, g: &[&str]| {
        a.genres = g.iter().map(|g| (*g).to_owned()).collect();
        a
    };
    let index = Index::build(
        vec![
            track("s", "seed", 1, ev(0.50, 0.50)),
            track("n", "near", 1, ev(0.52, 0.50)),
            track("k", "kin", 1, ev(0.53, 0.50)),
            track("f", "far", 1, ev(0.90, 0.90)),
            track("x", "farkin", 1, ev(0.10, 0.10)),
        ],
        vec![
            genre(artist("seed", 1), &["k-pop", "pop"]),
            genre(artist("near", 1), &["rock"]),
            genre(artist("kin", 1), &["pop"]),
            genre(artist("far", 1), &["rock"]),
            genre(artist("farkin", 1), &["k-pop"]),
        ],
    );
    let names =
        |r: &[Related]| -> Vec<&str> { r.iter().map(|r| index.artist_id(r.index)).collect() };
    let related = index
        .related_artists("seed", 4, Basis::Audio)
        .expect("known");
    assert_eq!(names(&related), ["kin", "near", "farkin", "far"]);
    assert!(
        related[0].distance > related[1].distance,
        "kin is further but shares pop"
    );
    assert!(
        related
            .windows(2)
            .all(|w| w[0].similarity() >= w[1].similarity())
    );
    assert_eq!(related[0].cost, related[0].distance);
    let (cost, distance) = (
        related[1].cost.expect("cost"),
        related[1].distance.expect("distance"),
    );
    assert!((cost - distance - GENRE_PENALTY).abs() < 1e-6);

    let seed = index.artist_position("seed").expect("known");
    let mut q = wanted(vec![index.artist_vector(seed).expect("profile")]);
    q.exclude_artists = vec![seed as u32];
    q.genres = index.artist_genres(seed).to_vec();
    let found = index.recommend(&q);
    assert_eq!(ids(&index, &found), ["k", "n", "x", "f"]);
    assert!(found.windows(2).all(|w| w[0].score() >= w[1].score()));
    // Without genres asked for, distance alone decides.
    q.genres.clear();
    assert_eq!(ids(&index, &index.recommend(&q))[..2], ["n", "k"]);
    let mut plain = index;
    plain.set_genre_penalty(0.0);
    let related = plain
        .related_artists("seed", 2, Basis::Audio)
        .expect("known");
    assert_eq!(
        related
            .iter()
            .map(|r| plain.artist_id(r.index))
            .collect::<Vec<_>>(),
        ["near", "kin"]
    );
}

#[test]
fn ids_of_one_length_are_stored_without_offsets() {
    let fixed = IdTable::new(&["aa", "bb", "cc"]);
    assert!(fixed.offsets.is_empty());
    assert_eq!((fixed.find("bb"), fixed.find("zz")), (Some(1), None));
    let varying = IdTable::new(&["a", "bb", "ccc"]);
    assert_eq!(varying.get(2), "ccc");
    assert_eq!(varying.find("a"), Some(0));
    assert_eq!(IdTable::new(&[]).find("a"), None);
}

/// Adds playlists, each a list of (track, main artist).
fn with_playlists(mut index: Index, playlists: &[&[(&str, &str)]]) -> Index {
    let mut builder = PlaylistsBuilder::default();
    for (p, entries) in playlists.iter().enumerate() {
        for (track, _) in entries.iter() {
            builder.push(&format!("p{p}"), track);
        }
    }
    for entries in playlists {
        for (track, artist) in entries.iter() {
            builder.main_artist(track, artist);
        }
    }
    index.set_playlists(builder, WEIGHTING);
    index
}

fn related_ids(index: &Index, artist: &str, basis: Basis) -> Vec<String> {
    index
        .related_artists(artist, 10, basis)
        .expect("known")
        .iter()
        .map(|r| index.artist_id(r.index).to_owned())
        .collect()
}

#[test]
fn shared_playlists_relate_artists_that_sound_apart_and_a_small_playlist_says_more() {
    // "calm" shares a two-artist playlist with "loud"; "mid" and "silent" share a five-artist
    // one; "calm2" shares both.
    let index = with_playlists(
        catalog(),
        &[
            &[("t1", "loud"), ("t4", "calm"), ("t5", "calm2")],
            &[
                ("t2", "loud"),
                ("t6", "mid"),
                ("t5", "calm2"),
                ("x", "silent"),
                ("t3", "loud2"),
            ],
        ],
    );
    assert_eq!(
        related_ids(&index, "loud", Basis::Playlists),
        ["calm2", "calm", "silent", "loud2", "mid"],
        "ties to the more popular"
    );
    let related = index
        .related_artists("loud", 3, Basis::Playlists)
        .expect("known");
    assert_eq!(related[0].shared_playlists, 2);
    assert_eq!(related[1].shared_playlists, 1);
    assert!(
        related
            .iter()
            .all(|r| (0.0..=1.0).contains(&r.similarity()))
    );
    // The blend lifts calm2, last by sound alone, to the top: it shares both playlists.
    assert_eq!(
        related_ids(&index, "loud", Basis::Audio)
            .last()
            .map(String::as_str),
        Some("calm2")
    );
    assert_eq!(related_ids(&index, "loud", Basis::Hybrid)[0], "calm2");
    // "silent" has no audio profile: playlists alone relate it.
    assert_eq!(
        related_ids(&index, "silent", Basis::Audio),
        Vec::<String>::new()
    );
    assert_eq!(
        related_ids(&index, "silent", Basis::Hybrid),
        related_ids(&index, "silent", Basis::Playlists)
    );
}

#[test]
fn an_artist_in_no_playlist_gets_its_related_artists_by_sound() {
    let index = with_playlists(catalog(), &[&[("t1", "loud"), ("t4", "calm")]]);
    assert_eq!(
        related_ids(&index, "calm2", Basis::Hybrid),
        related_ids(&index, "calm2", Basis::Audio)
    );
    assert_eq!(
        related_ids(&index, "calm2", Basis::Playlists),
        Vec::<String>::new()
    );
    // Loud's blend: calm first, then the rest by sound.
    let hybrid = related_ids(&index, "loud", Basis::Hybrid);
    let audio: Vec<String> = related_ids(&index, "loud", Basis::Audio)
        .into_iter()
        .filter(|a| a != "calm")
        .collect();
    assert_eq!(hybrid[0], "calm");
    assert_eq!(hybrid[1..], audio[..]);
}

#[test]
fn an_artist_seen_in_one_playlist_is_not_everyones_nearest_neighbour() {
    // "mid" appears once, beside loud; calm2 shares three playlists with loud.
    let index = with_playlists(
        catalog(),
        &[
            &[
                ("t1", "loud"),
                ("t6", "mid"),
                ("t5", "calm2"),
                ("t4", "calm"),
            ],
            &[("t1", "loud"), ("t5", "calm2"), ("t4", "calm")],
            &[("t2", "loud"), ("t5", "calm2"), ("t4", "calm")],
            &[("t5", "calm2"), ("t4", "calm")],
        ],
    );
    let related = index
        .related_artists("loud", 3, Basis::Playlists)
        .expect("known");
    let ids: Vec<&str> = related.iter().map(|r| index.artist_id(r.index)).collect();
    assert_eq!(ids.last(), Some(&"mid"), "{ids:?}");
    let near = index
        .playlists()
        .artists_near(index.artist_position("mid").expect("known"));
    assert_eq!(near.len(), 3);
}

#[test]
fn tracks_near_seeds_leave_out_the_seeds_and_their_artists() {
    let index = with_playlists(
        catalog(),
        &[
            &[("t1", "loud"), ("t4", "calm"), ("t6", "mid")],
            &[("t2", "loud"), ("t4", "calm")],
            &[("t3", "loud2"), ("t5", "calm2")],
        ],
    );
    let playlists = index.playlists();
    let loud = index.artist_position("loud").expect("known");
    let mut near = playlists.tracks_near(&[loud], &[]);
    near.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    let ids: Vec<&str> = near
        .iter()
        .map(|c| playlists.track_id(c.position))
        .collect();
    assert_eq!(ids, ["t4", "t6"]);
    let near = playlists.tracks_near(&[], &["t3"]);
    let ids: Vec<&str> = near
        .iter()
        .map(|c| playlists.track_id(c.position))
        .collect();
    assert_eq!(ids, ["t5"]);
    assert_eq!(playlists.playlist_count(), 3);
    assert_eq!(playlists.entry_count(), 7);
}
