//! Sorted ids, stored compactly: one run of bytes when all ids have one length (as Spotify's
//! do), with offsets otherwise; a lookup is a binary search.

use std::cmp::Ordering;

/// Sorted ids, stored compactly.
#[derive(Debug, Default)]
pub(crate) struct IdTable {
    bytes: Vec<u8>,
    /// `Some(width)` when every id has that many bytes; offsets are then not stored.
    width: Option<usize>,
    /// Start of each id in `bytes`, plus the end, when widths vary.
    pub(super) offsets: Vec<u32>,
    len: usize,
}

impl IdTable {
    /// From ids already sorted and without duplicates.
    pub(crate) fn new(ids: &[&str]) -> Self {
        let width = ids.first().map(|i| i.len());
        let fixed = width.filter(|w| ids.iter().all(|i| i.len() == *w));
        let mut bytes = Vec::with_capacity(ids.iter().map(|i| i.len()).sum());
        let mut offsets = Vec::new();
        if fixed.is_none() {
            offsets.reserve(ids.len() + 1);
        }
        for id in ids {
            if fixed.is_none() {
                offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            }
            bytes.extend_from_slice(id.as_bytes());
        }
        if fixed.is_none() {
            offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        }
        bytes.shrink_to_fit();
        Self {
            bytes,
            width: fixed,
            offsets,
            len: ids.len(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        let range = match self.width {
            Some(w) => i * w..(i + 1) * w,
            None => self.offsets[i] as usize..self.offsets[i + 1] as usize,
        };
        std::str::from_utf8(&self.bytes[range]).unwrap_or_default()
    }

    pub(crate) fn find(&self, id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(id) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.offsets.capacity() * 4
    }
}
