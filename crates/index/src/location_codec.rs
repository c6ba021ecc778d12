//! A compact, exact text encoding of [`Location`] for the doc store.
//!
//! One stored string per chunk instead of several fields keeps documents small, and the encoding
//! is self-delimiting so that any heading or sheet name (separators, quotes, newlines, any
//! Unicode) round-trips unchanged:
//!
//! - `w`: whole document
//! - `p{page}`: a page
//! - `r{first}:{last}:{sheet}`: table rows; the sheet name is the rest of the string
//! - `s{len}:{heading}{len}:{heading}…`: a heading path, each heading prefixed by its UTF-8 byte
//!   length, so no character inside a heading needs escaping

use engine::Location;

/// Encodes a location for storage.
pub fn encode(location: &Location) -> String {
    match location {
        Location::Whole => "w".to_owned(),
        Location::Page { page } => format!("p{page}"),
        Location::Rows { sheet, first, last } => format!("r{first}:{last}:{sheet}"),
        Location::Section { path } => {
            let mut out = String::with_capacity(1 + path.iter().map(|h| h.len() + 4).sum::<usize>());
            out.push('s');
            for heading in path {
                out.push_str(&heading.len().to_string());
                out.push(':');
                out.push_str(heading);
            }
            out
        }
    }
}

/// Decodes what [`encode`] produced; `None` when the text is not a valid encoding.
pub fn decode(encoded: &str) -> Option<Location> {
    let mut chars = encoded.chars();
    let tag = chars.next()?;
    let rest = chars.as_str();
    match tag {
        'w' if rest.is_empty() => Some(Location::Whole),
        'p' => rest.parse().ok().map(|page| Location::Page { page }),
        'r' => {
            let (first, rest) = rest.split_once(':')?;
            let (last, sheet) = rest.split_once(':')?;
            Some(Location::Rows { sheet: sheet.to_owned(), first: first.parse().ok()?, last: last.parse().ok()? })
        }
        's' => {
            let mut path = Vec::new();
            let mut rest = rest;
            while !rest.is_empty() {
                let (len, after) = rest.split_once(':')?;
                let len: usize = len.parse().ok()?;
                // `get` refuses lengths that overrun or split a character.
                path.push(after.get(..len)?.to_owned());
                rest = after.get(len..)?;
            }
            Some(Location::Section { path })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_values() {
        let cases = [
            Location::Whole,
            Location::Page { page: 0 },
            Location::Page { page: u32::MAX },
            Location::Section { path: vec![] },
            Location::Section { path: vec![String::new(), String::new()] },
            Location::Section { path: vec!["12:3".into(), "Ünïcödé › 章节 🦀".into(), "a\nb\"c\\d:".into()] },
            Location::Rows { sheet: String::new(), first: 1, last: 1 },
            Location::Rows { sheet: "Q3: totals:x".into(), first: 2, last: u64::MAX },
        ];
        for loc in cases {
            assert_eq!(decode(&encode(&loc)), Some(loc.clone()), "{loc:?} -> {}", encode(&loc));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "x", "wx", "p", "p-1", "r1:2", "rx:2:s", "s3:ab", "s1:é", "s:a", "s1:"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
