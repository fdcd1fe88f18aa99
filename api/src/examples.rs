//! The README's example queries (its "Example queries" section, their one home), which
//! GraphiQL opens in tabs of their own and a test runs against the bundled sample.

use std::sync::LazyLock;

const README: &str = include_str!("../../README.md");

/// The heading of the README's section of examples.
const SECTION: &str = "## Example queries";

/// Every ```` ```graphql ```` block of the README's examples section, in order.
pub fn examples() -> &'static [String] {
    static EXAMPLES: LazyLock<Vec<String>> = LazyLock::new(|| graphql_blocks(README));
    &EXAMPLES
}

/// The ```` ```graphql ```` blocks of `markdown`'s examples section.
fn graphql_blocks(markdown: &str) -> Vec<String> {
    let Some(start) = markdown.find(SECTION) else {
        return Vec::new();
    };
    let section = &markdown[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```graphql\n") {
        let body = &rest[open + "```graphql\n".len()..];
        let Some(close) = body.find("\n```") else {
            break;
        };
        blocks.push(body[..=close].to_owned());
        rest = &body[close + "\n```".len()..];
    }
    blocks
}

/// `/graphiql/examples.js`: the examples as GraphiQL's default tabs, after its welcome tab.
pub fn graphiql_script() -> &'static str {
    static SCRIPT: LazyLock<String> = LazyLock::new(|| {
        let tabs: Vec<_> = examples()
            .iter()
            .map(|query| serde_json::json!({ "query": query }))
            .collect();
        format!(
            "// The README's example queries, opened as tabs by init.js.\nwindow.SIXPOTIFY_EXAMPLES = {};\n",
            serde_json::Value::Array(tabs)
        )
    });
    &SCRIPT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_are_the_graphql_blocks_of_their_section_only() {
        let md = "# T\n```graphql\n{ no }\n```\n## Example queries\ntext\n```graphql\n# One\n{ a }\n```\nmore\n```json\n{}\n```\n```graphql\nquery B { b }\n```\n## Next\n```graphql\n{ no }\n```\n";
        assert_eq!(graphql_blocks(md), ["# One\n{ a }\n", "query B { b }\n"]);
    }

    #[test]
    fn the_readme_has_examples() {
        assert!(examples().len() >= 5, "{}", examples().len());
        assert!(graphiql_script().contains("SearchInEveryLanguage"));
    }
}
