//! The normal form of a GraphQL document, for cache keys: the same tokens give the same text
//! whatever the white space, commas and comments between them. One pass over the text, no
//! parsing: a cache hit must cost less than parsing the document.

/// The document's tokens joined by single spaces. Strings, block strings included, are kept
/// verbatim; white space, line breaks, commas, comments and a byte-order mark are dropped.
/// Text that is not GraphQL still gives some normal form; such a document fails to parse and
/// its response is never cached.
pub fn normalize(doc: &str) -> String {
    let bytes = doc.as_bytes();
    let mut out = String::with_capacity(doc.len());
    let mut i = 0;
    let push = |out: &mut String, token: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i..].starts_with(b"\\\"\"\"") {
                            4
                        } else {
                            1
                        };
                    }
                    i = (i + 3).min(bytes.len());
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i = (i + 1).min(bytes.len());
                }
                push(&mut out, &doc[start..i]);
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                push(&mut out, "...");
                i += 3;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                // Names and numbers: letters, digits, `_`, and the `-`, `+`, `.` of numbers.
                let start = i;
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || (bytes[i] == b'.' && !bytes[i..].starts_with(b"..."))
                        || ((bytes[i] == b'+' || bytes[i] == b'-')
                            && matches!(bytes[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                push(&mut out, &doc[start..i]);
            }
            _ => {
                // A punctuator, or a character GraphQL does not allow (kept, so that two
                // different invalid documents do not share a form). Whole UTF-8 sequences.
                let len = doc[i..].chars().next().map_or(1, char::len_utf8);
                if doc[i..].starts_with('\u{feff}') {
                    i += len;
                    continue;
                }
                push(&mut out, &doc[i..i + len]);
                i += len;
            }
        }
    }
    out
}

/// The name of a document's first operation when it opens with `query Name`, `mutation Name`
/// or `subscription Name` (after white space and comments), for metrics when a request names
/// no operation. No parsing: anything else gives `None`.
pub fn leading_operation_name(doc: &str) -> Option<&str> {
    let mut rest = doc;
    let mut words = Vec::with_capacity(2);
    while words.len() < 2 {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        if rest.starts_with('#') {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        words.push(&rest[..end]);
        rest = &rest[end..];
    }
    matches!(words[0], "query" | "mutation" | "subscription")
        .then_some(words[1])
        .filter(|n| !n.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::{leading_operation_name, normalize};

    #[test]
    fn the_leading_operation_name_is_read_without_parsing() {
        assert_eq!(leading_operation_name("query Top { a }"), Some("Top"));
        assert_eq!(
            leading_operation_name("# c\n  query\n Top_2($n: Int) { a }"),
            Some("Top_2")
        );
        assert_eq!(leading_operation_name("{ a }"), None);
        assert_eq!(leading_operation_name("query { a }"), None);
        assert_eq!(
            leading_operation_name("fragment F on A { a } query Q { a }"),
            None
        );
        assert_eq!(leading_operation_name(""), None);
    }

    #[test]
    fn white_space_commas_and_comments_do_not_change_the_form() {
        let a = "query Top($n: Int = 10) { artists(first: $n) { edges { node { id name } } } }";
        let b = "\u{feff}query   Top( $n:Int=10 ){\n  # the artists\n  artists(first:$n){edges{node{id,name}}}\n}\n";
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(
            normalize("{a(x: -1.5e+3){...F}}"),
            "{ a ( x : -1.5e+3 ) { ... F } }"
        );
    }

    #[test]
    fn strings_are_kept_verbatim_and_different_tokens_differ() {
        assert_ne!(
            normalize(r#"{ searchArtists(query: "B  T,S") { id } }"#),
            normalize(r#"{ searchArtists(query: "B T S") { id } }"#)
        );
        assert_eq!(
            normalize("{ a(s: \"x # not a comment\") }"),
            "{ a ( s : \"x # not a comment\" ) }"
        );
        let block = "{ a(s: \"\"\"line one,\n  \\\"\"\" # kept\"\"\") }";
        assert!(normalize(block).contains("\"\"\"line one,\n  \\\"\"\" # kept\"\"\""));
        assert_ne!(normalize("{ ab }"), normalize("{ a b }"));
        assert_ne!(normalize("{ a(x: \"é\") }"), normalize("{ a(x: \"e\") }"));
    }

    #[test]
    fn text_that_is_not_graphql_still_gets_a_form_without_panicking() {
        for doc in [
            "\"unterminated",
            "\"\"\"open",
            "{ a(x: \"\\",
            "é€😀",
            "...",
            "-",
            "",
        ] {
            let _ = normalize(doc);
        }
        assert_ne!(normalize("{ a € }"), normalize("{ a $ }"));
    }
}
