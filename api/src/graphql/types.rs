//! GraphQL object types of the catalog (artists, tracks, albums, genres, playlists). Each wraps
//! an entity model; relations go through the [`CatalogLoader`](super::loader::CatalogLoader).

use async_graphql::{Context, Enum, ID, Object, Result};
use entity::alias::SEARCH_HINT;
use entity::{album, artist, artist_alias, genre, playlist, playlist_track, track};

use super::connection::{Conn, load_by_id, load_in_order, loader, nested};
pub use super::features::{AudioFeatures, AudioProfile};
use super::loader::{
    AlbumArtistsKey, AlbumKey, AlbumTracksKey, ArtistAlbumsKey, ArtistAliasesKey, ArtistGenresKey,
    ArtistKey, ArtistPlaylistsKey, ArtistTracksKey, CountKey, FeaturesKey, PlaylistTracksKey,
    TopTracksKey, TrackArtistsKey, TrackGenresKey, TrackKey, TrackPlaylistsKey,
};
use super::node::NodeType;
use crate::error::ApiError;
use crate::service::relations::{self, CountOf};

/// A performer, and in search results the name that matched.
pub struct Artist(pub artist::Model, pub Option<String>);

impl Artist {
    /// An artist outside search results.
    pub fn new(model: artist::Model) -> Self {
        Self(model, None)
    }
}

/// A performer: a Spotify artist, or one a dataset names without an id.
#[Object]
impl Artist {
    /// The global id (`Node`): opaque, unique across types, accepted wherever this type's id
    /// is. `catalogId` is the catalog's own id.
    pub(crate) async fn id(&self) -> ID {
        NodeType::Artist.global_id(&self.0.id)
    }
    /// The catalog's id: the Spotify id, or for artists a dataset names without an id, an id
    /// derived from the name (`ar-…`).
    async fn catalog_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The artist's name. With `locale` (`ko`, `ja`, `en_US`, …), the artist's primary name in
    /// that locale when an alias source gives one (`ko` gives 방탄소년단 for BTS; a primary name
    /// of the same language counts when the exact locale has none), else the name.
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A locale or language code (`ko`, `ja`, `en_US`, `zh_Hant`, …); omit it for \
                    the artist's own name."
        )]
        locale: Option<String>,
    ) -> Result<String> {
        let Some(asked) = locale else {
            return Ok(self.0.name.clone());
        };
        let Some(asked) = entity::alias::locale(&asked) else {
            return Err(ApiError::BadUserInput(format!(
                "locale must be a language code such as ko, en_US or zh_Hant, not {asked:?}"
            ))
            .into());
        };
        let aliases = load_by_id(ctx, ArtistAliasesKey(self.0.id.clone()))
            .await?
            .unwrap_or_default();
        let primary = |same: &dyn Fn(&str) -> bool| {
            aliases
                .iter()
                .filter(|a| a.is_primary && a.kind.as_deref() != Some(SEARCH_HINT))
                .filter(|a| same(&a.locale))
                .min_by_key(|a| {
                    (
                        entity::alias::Source::precedence(&a.source),
                        a.name.as_str(),
                    )
                })
                .map(|a| a.name.clone())
        };
        let language = entity::alias::language(&asked);
        Ok(primary(&|l| l == asked)
            .or_else(|| primary(&|l| entity::alias::language(l) == language))
            .unwrap_or_else(|| self.0.name.clone()))
    }
    /// The artist's other names (in other scripts and languages, former names), by locale,
    /// each locale's primary name first; one entry per name and locale, from the source that
    /// ranks first (operators' lists, then MusicBrainz, then names the loader was seeded with).
    /// Search hints (common misspellings) are searched but not listed.
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<ArtistAlias>> {
        let aliases = load_by_id(ctx, ArtistAliasesKey(self.0.id.clone()))
            .await?
            .unwrap_or_default();
        let mut shown: Vec<&artist_alias::Model> = aliases
            .iter()
            .filter(|a| a.kind.as_deref() != Some(SEARCH_HINT))
            .collect();
        shown.sort_by_key(|a| {
            (
                a.locale.as_str(),
                a.search_key.as_str(),
                entity::alias::Source::precedence(&a.source),
            )
        });
        shown.dedup_by(|b, a| a.locale == b.locale && a.search_key == b.search_key);
        shown.sort_by_key(|a| (a.locale.as_str(), !a.is_primary, a.name.as_str()));
        Ok(shown.into_iter().cloned().map(ArtistAlias).collect())
    }
    /// In `searchArtists` results, the name or alias that matched the query; null elsewhere.
    async fn matched_name(&self) -> Option<&str> {
        self.1.as_deref()
    }
    /// Spotify's popularity, 0 to 100; null when the source did not give it.
    async fn popularity(&self) -> Option<i32> {
        self.0.popularity
    }
    /// Spotify's follower count; null when the source did not give it.
    async fn followers(&self) -> Option<i64> {
        self.0.followers
    }
    /// The URL of the artist's image (the largest Spotify lists); null when unknown.
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    /// The artist's page on open.spotify.com; null when unknown.
    async fn spotify_url(&self) -> Option<&str> {
        self.0.spotify_url.as_deref()
    }
    /// The artist's genre labels (from Spotify or a dataset), by genre id; empty when none is
    /// known.
    async fn genres(&self, ctx: &Context<'_>) -> Result<Vec<Genre>> {
        let genres = load_by_id(ctx, ArtistGenresKey(self.0.id.clone())).await?;
        Ok(genres.unwrap_or_default().into_iter().map(Genre).collect())
    }
    /// The artist's most played tracks in a market (an ISO 3166-1 alpha-2 code such as `KR`),
    /// best first, as Spotify ranked them when the artist was last loaded from it; empty when
    /// none were loaded for that market.
    async fn top_tracks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "String::from(\"KR\")",
            desc = "The market: an ISO 3166-1 alpha-2 country code, in either case."
        )]
        market: String,
    ) -> Result<Vec<Track>> {
        if market.len() != 2 || !market.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ApiError::BadUserInput(format!(
                "market must be a two-letter country code such as KR, not {market:?}"
            ))
            .into());
        }
        let tracks = loader(ctx)
            .load_one(TopTracksKey {
                id: self.0.id.clone(),
                market: market.to_ascii_uppercase(),
            })
            .await
            .map_err(ApiError::from)?;
        Ok(tracks
            .unwrap_or_default()
            .into_iter()
            .map(Track::new)
            .collect())
    }
    /// Artists related to this one, best first (ties to the more popular, then the smaller
    /// id), the artist itself left out. `basis` says from what: `HYBRID` (the default) blends
    /// shared playlists with sound, so an artist in no playlist is related by sound and an artist
    /// without audio features by playlists; `PLAYLISTS` and `AUDIO` use one alone. Each result
    /// says why (`sharedPlaylists`, `playlistSimilarity`, `audioSimilarity`). Empty when the
    /// basis knows nothing of the artist. `first` is 1 to the page size limit (100 by default).
    async fn related_artists(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 10,
            desc = "How many artists to return: 1 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            default,
            desc = "What relatedness is drawn from: shared playlists, sound, or both."
        )]
        basis: RelatedBasis,
    ) -> Result<Vec<RelatedArtist>> {
        let k = match crate::service::page::check_first(first, super::page_limit(ctx))? {
            0 => return Err(ApiError::bad_input("first must be at least 1, not 0").into()),
            k => k as usize,
        };
        let index = ctx
            .data_unchecked::<crate::recommend::IndexStore>()
            .current()
            .await?;
        let related = index
            .related_artists(&self.0.id, k, basis.into())
            .unwrap_or_default();
        load_in_order(
            ctx,
            related,
            |r| ArtistKey(index.artist_id(r.index).to_owned()),
            |r, artist| RelatedArtist {
                artist: Artist::new(artist),
                found: r,
            },
        )
        .await
    }
    /// The mean audio features of the artist's tracks (of its top tracks, where it has some);
    /// null for an artist with no audio features.
    async fn audio_profile(&self, ctx: &Context<'_>) -> Result<Option<AudioProfile>> {
        let index = ctx
            .data_unchecked::<crate::recommend::IndexStore>()
            .current()
            .await?;
        Ok(index
            .audio_profile(&self.0.id)
            .map(|(values, tracks)| AudioProfile { values, tracks }))
    }
    /// The artist's tracks, most popular first.
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<Conn<Track>> {
        let ordering = relations::artist_tracks_ordering();
        let parent = (self.0.id.as_str(), CountOf::ArtistTracks);
        nested(
            ctx,
            ArtistTracksKey,
            parent,
            (first, after),
            &ordering,
            Track::new,
        )
        .await
    }
    /// Albums with at least one track of the artist, newest first.
    async fn albums(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<Conn<Album>> {
        let ordering = relations::artist_albums_ordering();
        let parent = (self.0.id.as_str(), CountOf::ArtistAlbums);
        nested(
            ctx,
            ArtistAlbumsKey,
            parent,
            (first, after),
            &ordering,
            Album,
        )
        .await
    }
    /// Playlists holding a track credited to the artist, by name.
    async fn playlists(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<Conn<Playlist>> {
        let ordering = relations::playlists_of_ordering();
        let parent = (self.0.id.as_str(), CountOf::ArtistPlaylists);
        nested(
            ctx,
            ArtistPlaylistsKey,
            parent,
            (first, after),
            &ordering,
            Playlist,
        )
        .await
    }
}

/// Another name of an artist.
pub struct ArtistAlias(pub artist_alias::Model);

/// Another name of an artist (in another script or language, or a former name).
#[Object]
impl ArtistAlias {
    /// The name as written.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its locale (`ko`, `ja`, `en_US`, `zh_Hant`, …); null when the source gave none.
    async fn locale(&self) -> Option<&str> {
        (!self.0.locale.is_empty()).then_some(self.0.locale.as_str())
    }
    /// Whether it is the artist's primary name in its locale.
    async fn primary(&self) -> bool {
        self.0.is_primary
    }
    /// Where it came from: `list` (an operator's list, and the bundled sample's), `musicbrainz`
    /// or `spotify-seed` (a name a Spotify load was seeded with).
    async fn source(&self) -> &str {
        &self.0.source
    }
}

/// A recording, and in search results the name that matched.
pub struct Track(pub track::Model, pub Option<String>);

impl Track {
    /// A track outside search results.
    pub fn new(model: track::Model) -> Self {
        Self(model, None)
    }
}

/// A recording, on an album, credited to one or more artists.
#[Object]
impl Track {
    /// The global id (`Node`): opaque, unique across types, accepted wherever this type's id
    /// is. `catalogId` is the catalog's own id.
    pub(crate) async fn id(&self) -> ID {
        NodeType::Track.global_id(&self.0.id)
    }
    /// The catalog's id: the Spotify track id.
    async fn catalog_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Null when the source has no name for the track.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// In `searchTracks` results, the name that matched the query; null elsewhere.
    async fn matched_name(&self) -> Option<&str> {
        self.1.as_deref()
    }
    /// The track's length in milliseconds.
    async fn duration_ms(&self) -> i32 {
        self.0.duration_ms
    }
    /// Whether the track has explicit lyrics; null when the source does not say.
    async fn explicit(&self) -> Option<bool> {
        self.0.explicit
    }
    /// Spotify's popularity, 0 to 100; null when the source did not give it.
    async fn popularity(&self) -> Option<i32> {
        self.0.popularity
    }
    /// The track's number on its album, as the source gives it; null when unknown.
    async fn track_number(&self) -> Option<i32> {
        self.0.track_number
    }
    /// The International Standard Recording Code; null when the source did not give it.
    async fn isrc(&self) -> Option<&str> {
        self.0.isrc.as_deref()
    }
    /// The album the track is on; null when the source names none.
    async fn album(&self, ctx: &Context<'_>) -> Result<Option<Album>> {
        let Some(id) = &self.0.album_id else {
            return Ok(None);
        };
        let album = load_by_id(ctx, AlbumKey(id.clone())).await?;
        Ok(album.map(Album))
    }
    /// Credited artists, main artist first.
    async fn artists(&self, ctx: &Context<'_>) -> Result<Vec<Artist>> {
        let artists = load_by_id(ctx, TrackArtistsKey(self.0.id.clone())).await?;
        Ok(artists
            .unwrap_or_default()
            .into_iter()
            .map(Artist::new)
            .collect())
    }
    /// The track's audio analysis; null when no audio features were loaded for it.
    async fn audio_features(&self, ctx: &Context<'_>) -> Result<Option<AudioFeatures>> {
        let features = load_by_id(ctx, FeaturesKey(self.0.id.clone())).await?;
        Ok(features.map(AudioFeatures))
    }
    /// Playlists holding the track, by name.
    async fn playlists(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<Conn<Playlist>> {
        let ordering = relations::playlists_of_ordering();
        let parent = (self.0.id.as_str(), CountOf::TrackPlaylists);
        nested(
            ctx,
            TrackPlaylistsKey,
            parent,
            (first, after),
            &ordering,
            Playlist,
        )
        .await
    }
    /// Genre labels datasets attach to the track (a playlist's genre and subgenre, say).
    async fn genres(&self, ctx: &Context<'_>) -> Result<Vec<Genre>> {
        let genres = load_by_id(ctx, TrackGenresKey(self.0.id.clone())).await?;
        Ok(genres.unwrap_or_default().into_iter().map(Genre).collect())
    }
}

/// How precisely a release date is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum DatePrecision {
    /// Only the year is known (`2012`).
    Year,
    /// The year and month are known (`2012-07`).
    Month,
    /// The day is known (`2012-07-14`).
    Day,
}

/// A release.
pub struct Album(pub album::Model);

/// A release (an album, a single or a compilation) and its tracks.
#[Object]
impl Album {
    /// The global id (`Node`): opaque, unique across types, accepted wherever this type's id
    /// is. `catalogId` is the catalog's own id.
    pub(crate) async fn id(&self) -> ID {
        NodeType::Album.global_id(&self.0.id)
    }
    /// The catalog's id: the Spotify id, or for albums a dataset names without an id, an id
    /// derived from the main artist's and the album's names (`al-…`).
    async fn catalog_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The album's name; null when the source gives none.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// `album`, `single` or `compilation`, when known.
    async fn album_type(&self) -> Option<&str> {
        self.0.album_type.as_deref()
    }
    /// As precise as `releaseDatePrecision` says: `2012`, `2012-07` or `2012-07-14`.
    async fn release_date(&self) -> Option<String> {
        let date = self.0.release_date?;
        Some(match self.release_precision() {
            Some(DatePrecision::Year) => date.format("%Y").to_string(),
            Some(DatePrecision::Month) => date.format("%Y-%m").to_string(),
            _ => date.format("%Y-%m-%d").to_string(),
        })
    }
    /// The year of `releaseDate`; null when the release date is unknown.
    async fn release_year(&self) -> Option<i32> {
        self.0.release_year
    }
    /// How precisely `releaseDate` is known; null when the release date is unknown.
    async fn release_date_precision(&self) -> Option<DatePrecision> {
        self.release_precision()
    }
    /// Tracks on the release as the source counts them (the catalog may hold fewer); null
    /// when unknown.
    async fn total_tracks(&self) -> Option<i32> {
        self.0.total_tracks
    }
    /// The URL of the cover image (the largest Spotify lists); null when unknown.
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    /// The album's tracks in track-number order.
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 50,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<Conn<Track>> {
        let ordering = relations::album_tracks_ordering();
        let parent = (self.0.id.as_str(), CountOf::AlbumTracks);
        nested(
            ctx,
            AlbumTracksKey,
            parent,
            (first, after),
            &ordering,
            Track::new,
        )
        .await
    }
    /// Artists credited on the album's tracks, main artists first.
    async fn artists(&self, ctx: &Context<'_>) -> Result<Vec<Artist>> {
        let artists = load_by_id(ctx, AlbumArtistsKey(self.0.id.clone())).await?;
        Ok(artists
            .unwrap_or_default()
            .into_iter()
            .map(Artist::new)
            .collect())
    }
}

impl Album {
    fn release_precision(&self) -> Option<DatePrecision> {
        match self.0.release_date_precision.as_deref()? {
            "year" => Some(DatePrecision::Year),
            "month" => Some(DatePrecision::Month),
            "day" => Some(DatePrecision::Day),
            _ => None,
        }
    }
}

/// A genre label.
pub struct Genre(pub genre::Model);

/// A genre label, as Spotify or a dataset attaches it to artists and tracks.
#[Object]
impl Genre {
    /// The global id (`Node`): opaque, unique across types, accepted wherever this type's id
    /// is. `catalogId` is the catalog's own id.
    pub(crate) async fn id(&self) -> ID {
        NodeType::Genre.global_id(&self.0.id)
    }
    /// The catalog's id: the folded label (`dance pop`).
    async fn catalog_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The label as a source wrote it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Tracks labelled with the genre.
    async fn track_count(&self, ctx: &Context<'_>) -> Result<u64> {
        self.count(ctx, CountOf::GenreTracks).await
    }
    /// Artists labelled with the genre.
    async fn artist_count(&self, ctx: &Context<'_>) -> Result<u64> {
        self.count(ctx, CountOf::GenreArtists).await
    }
}

impl Genre {
    async fn count(&self, ctx: &Context<'_>, of: CountOf) -> Result<u64> {
        Ok(loader(ctx)
            .load_one(CountKey {
                of,
                id: self.0.id.clone(),
            })
            .await
            .map_err(ApiError::from)?
            .unwrap_or(0))
    }
}

/// A list of tracks someone put together: a dataset's playlist, a Million Playlist Dataset
/// playlist, or a Spotify user's.
pub struct Playlist(pub playlist::Model);

/// A list of tracks someone put together: a dataset's playlist, a Million Playlist Dataset
/// playlist, or a Spotify user's.
#[Object]
impl Playlist {
    /// The global id (`Node`): opaque, unique across types, accepted wherever this type's id
    /// is. `catalogId` is the catalog's own id.
    pub(crate) async fn id(&self) -> ID {
        NodeType::Playlist.global_id(&self.0.id)
    }
    /// The catalog's id: Spotify's for the dataset and Spotify playlists, `mpd-<pid>` for the
    /// Million Playlist Dataset's.
    async fn catalog_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The playlist's name; null when the source gives none.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// Where the playlist came from: `csv`, `mpd` or `spotify`.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// The playlist's description, where the source gives one.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Followers, where the source says.
    async fn followers(&self) -> Option<i64> {
        self.0.followers
    }
    /// The owner's name or id, where the source says.
    async fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }
    /// Entries in the playlist (a track listed twice counts twice).
    async fn track_count(&self) -> i32 {
        self.0.track_count
    }
    /// The playlist's entries, in playlist order.
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<Conn<PlaylistEntry>> {
        let ordering = relations::playlist_tracks_ordering();
        let parent = (self.0.id.as_str(), CountOf::PlaylistTracks);
        nested(
            ctx,
            PlaylistTracksKey,
            parent,
            (first, after),
            &ordering,
            PlaylistEntry,
        )
        .await
    }
}

/// A track at a position of a playlist.
pub struct PlaylistEntry(pub playlist_track::Model);

/// A track at a position of a playlist.
#[Object]
impl PlaylistEntry {
    /// 1 for the first track.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// When the track was added, where the source says (RFC 3339).
    async fn added_at(&self) -> Option<String> {
        self.0.added_at.map(|t| t.to_rfc3339())
    }
    /// The track at this position; null when the catalog does not hold it.
    async fn track(&self, ctx: &Context<'_>) -> Result<Option<Track>> {
        Ok(load_by_id(ctx, TrackKey(self.0.track_id.clone()))
            .await?
            .map(Track::new))
    }
}

/// What related artists are drawn from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum RelatedBasis {
    /// Shared playlists blended with sound: playlists where there is evidence, sound where
    /// there is none.
    #[default]
    Hybrid,
    /// Shared playlists alone.
    Playlists,
    /// Audio profiles alone, an artist sharing no genre counting 0.1 further.
    Audio,
}

impl From<RelatedBasis> for crate::recommend::Basis {
    fn from(b: RelatedBasis) -> Self {
        match b {
            RelatedBasis::Hybrid => Self::Hybrid,
            RelatedBasis::Playlists => Self::Playlists,
            RelatedBasis::Audio => Self::Audio,
        }
    }
}

/// An artist related to another, and why.
pub struct RelatedArtist {
    artist: Artist,
    found: crate::recommend::Related,
}

/// An artist related to another, and why.
#[Object]
impl RelatedArtist {
    /// The related artist.
    async fn artist(&self) -> &Artist {
        &self.artist
    }
    /// What related artists are ranked by, 0 to 1: `audioSimilarity` for `AUDIO`,
    /// `playlistSimilarity` for `PLAYLISTS`, `(audio + 4 · playlists) / 5` for `HYBRID` (a missing
    /// audio similarity counting 0).
    async fn similarity(&self) -> f64 {
        self.found.similarity()
    }
    /// Playlists in which both artists are the main artist of an entry (for the most listed
    /// artists, among the playlists the model walked: their smallest 400,000 entries' worth).
    async fn shared_playlists(&self) -> i32 {
        i32::try_from(self.found.shared_playlists).unwrap_or(i32::MAX)
    }
    /// How much the two artists share playlists, 0 to 1: the shared playlists' weights (a
    /// playlist of `n` artists weighs `1/n`), normalised by each artist's playlists and shrunk
    /// for artists seen in few.
    async fn playlist_similarity(&self) -> f64 {
        f64::from(self.found.playlist_similarity)
    }
    /// `1 / (1 + distance)`, with 0.1 added to the distance when the two artists share no genre;
    /// null unless both have audio features.
    async fn audio_similarity(&self) -> Option<f64> {
        self.found.audio_similarity()
    }
    /// Euclidean distance between the two audio profiles, each feature standardised over the
    /// catalog; null unless both artists have audio features.
    async fn distance(&self) -> Option<f64> {
        self.found.distance.map(f64::from)
    }
}
