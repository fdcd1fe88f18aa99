//! Limits on the shape of a document, checked on the parsed document before the engine
//! validates it: depth, fields (the document's complexity, one per field), aliases and root
//! fields, with fragments expanded.
//!
//! Each fragment's cost is computed once and reused wherever it is spread, so a "fragment
//! bomb" (fragments that spread the next one several times, doubling the expanded size at each
//! step) is measured in time linear in the document's length and refused, instead of being
//! expanded. Every operation of the document is measured, not only the one to run: the engine's
//! own checks walk them all.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

use crate::codes::{
    INTROSPECTION_DISABLED, QUERY_TOO_COMPLEX, QUERY_TOO_DEEP, TOO_MANY_ALIASES,
    TOO_MANY_ROOT_FIELDS,
};

/// The largest document shape accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Nesting of fields: `{ a { b } }` is 2 deep.
    pub max_depth: usize,
    /// Fields, counted once per place they are selected, fragments expanded.
    pub max_fields: usize,
    /// Aliased fields, fragments expanded.
    pub max_aliases: usize,
    /// Fields at the root of one operation, fragments expanded.
    pub max_root_fields: usize,
    /// Whether `__schema` and `__type` may be asked for.
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: 20,
            max_fields: 2_000,
            max_aliases: 50,
            max_root_fields: 20,
            introspection: true,
        }
    }
}

/// A limit a document exceeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exceeded {
    /// The error code.
    pub code: &'static str,
    /// What was exceeded, for the client.
    pub message: String,
}

/// The measure of a selection set, fragments expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cost {
    fields: usize,
    aliases: usize,
    depth: usize,
    /// Fields at this level.
    top: usize,
    /// `__schema` and `__type` fields.
    introspection: usize,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.top = self.top.saturating_add(other.top);
        self.introspection = self.introspection.saturating_add(other.introspection);
    }
}

/// Checks every operation of `doc` against `limits`.
pub fn check(doc: &ExecutableDocument, limits: &QueryLimits) -> Result<(), Exceeded> {
    let mut measure = Measure {
        doc,
        fragments: HashMap::new(),
    };
    for (_, operation) in doc.operations.iter() {
        let cost = measure.selection_set(&operation.node.selection_set);
        if !limits.introspection && cost.introspection > 0 {
            return Err(Exceeded {
                code: INTROSPECTION_DISABLED,
                message: "introspection is turned off on this server".into(),
            });
        }
        for (code, what, n, max) in [
            (QUERY_TOO_DEEP, "a depth of", cost.depth, limits.max_depth),
            (QUERY_TOO_COMPLEX, "fields:", cost.fields, limits.max_fields),
            (
                TOO_MANY_ALIASES,
                "aliases:",
                cost.aliases,
                limits.max_aliases,
            ),
            (
                TOO_MANY_ROOT_FIELDS,
                "root fields:",
                cost.top,
                limits.max_root_fields,
            ),
        ] {
            if n > max {
                return Err(Exceeded {
                    code,
                    message: format!("the query has {what} {n}, more than the {max} allowed"),
                });
            }
        }
    }
    Ok(())
}

struct Measure<'a> {
    doc: &'a ExecutableDocument,
    /// Each fragment's cost; `None` while it is being measured (a cycle, which validation
    /// refuses later, counts as empty here).
    fragments: HashMap<&'a Name, Option<Cost>>,
}

impl<'a> Measure<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> Cost {
        let mut cost = Cost::default();
        for item in &set.node.items {
            match &item.node {
                Selection::Field(field) => {
                    let inner = self.selection_set(&field.node.selection_set);
                    cost.add(Cost {
                        fields: inner.fields.saturating_add(1),
                        aliases: inner
                            .aliases
                            .saturating_add(usize::from(field.node.alias.is_some())),
                        depth: inner.depth.saturating_add(1),
                        top: 1,
                        introspection: inner.introspection.saturating_add(usize::from(matches!(
                            field.node.name.node.as_str(),
                            "__schema" | "__type"
                        ))),
                    });
                }
                Selection::FragmentSpread(spread) => {
                    cost.add(self.fragment(&spread.node.fragment_name.node));
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.selection_set(&inline.node.selection_set);
                    cost.add(inner);
                }
            }
        }
        cost
    }

    fn fragment(&mut self, name: &'a Name) -> Cost {
        match self.fragments.get(name) {
            Some(Some(cost)) => return *cost,
            Some(None) => return Cost::default(),
            None => {}
        }
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Cost::default();
        };
        self.fragments.insert(name, None);
        let cost = self.selection_set(&fragment.node.selection_set);
        self.fragments.insert(name, Some(cost));
        cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(query: &str) -> Result<(), Exceeded> {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        check(&doc, &QueryLimits::default())
    }

    fn code(query: &str) -> &'static str {
        measure(query).expect_err("exceeds a limit").code
    }

    #[test]
    fn ordinary_queries_pass() {
        measure("{ artists(first: 50) { edges { node { name tracks(first: 10) { edges { node { name album { name } } } } } } } }")
            .expect("within limits");
        measure("query A { a } query B { b { c } } fragment F on T { x y }")
            .expect("within limits");
    }

    #[test]
    fn introspection_is_refused_when_turned_off_even_inside_fragments() {
        let off = QueryLimits {
            introspection: false,
            ..QueryLimits::default()
        };
        for query in [
            "{ __schema { types { name } } }",
            "{ t: __type(name: \"Track\") { name } }",
            "{ ...F } fragment F on Query { ... on Query { __schema { queryType { name } } } }",
        ] {
            let doc = async_graphql::parser::parse_query(query).expect("parses");
            assert_eq!(
                check(&doc, &off).map_err(|e| e.code),
                Err(INTROSPECTION_DISABLED),
                "{query}"
            );
            check(&doc, &QueryLimits::default()).expect("allowed by default");
        }
        let doc = async_graphql::parser::parse_query("{ __typename a }").expect("parses");
        check(&doc, &off).expect("__typename is not introspection of the schema");
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        let deep = format!("{{ {}x{} }}", "a { ".repeat(20), " }".repeat(20));
        assert_eq!(code(&deep), QUERY_TOO_DEEP);
        let through = format!(
            "{{ ...F }} fragment F on Q {{ {}x{} }}",
            "a { ".repeat(20),
            " }".repeat(20)
        );
        assert_eq!(code(&through), QUERY_TOO_DEEP);
    }

    #[test]
    fn a_fragment_bomb_is_measured_without_expanding_it() {
        // F0 holds 2 fields; each F(n) spreads F(n-1) twice: F30 expands to 2^31 fields.
        let mut doc = String::from("{ ...F30 } fragment F0 on Q { a b }");
        for n in 1..=30 {
            doc.push_str(&format!(
                " fragment F{n} on Q {{ ...F{m} ...F{m} }}",
                m = n - 1
            ));
        }
        // Expanded, this would not finish.
        assert_eq!(code(&doc), QUERY_TOO_COMPLEX);
    }

    #[test]
    fn aliases_and_root_fields_are_counted() {
        let aliases: String = (0..51).map(|i| format!("a{i}: x ")).collect();
        assert_eq!(code(&format!("{{ q {{ {aliases} }} }}")), TOO_MANY_ALIASES);
        let roots: String = (0..21).map(|i| format!("f{i} ")).collect();
        assert_eq!(code(&format!("{{ {roots} }}")), TOO_MANY_ROOT_FIELDS);
    }

    #[test]
    fn fragment_cycles_do_not_loop() {
        measure("{ ...A } fragment A on Q { x ...B } fragment B on Q { y ...A }")
            .expect("a cycle is left to validation");
    }
}
