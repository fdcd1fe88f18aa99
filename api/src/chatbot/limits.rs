//! Kakao's limits on a skill response.

/// Outputs in a template.
pub const OUTPUTS: usize = 3;
/// Cards in a carousel.
pub const CAROUSEL_CARDS: usize = 10;
/// Items in a list card.
pub const LIST_ITEMS: usize = 5;
/// Buttons on a list card.
pub const LIST_BUTTONS: usize = 2;
/// Quick replies under a response.
pub const QUICK_REPLIES: usize = 10;
/// Characters of a `simpleText`.
pub const TEXT_CHARS: usize = 1000;
