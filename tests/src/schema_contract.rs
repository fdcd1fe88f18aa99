//! The schema as a contract: what changed between two SDL documents, sorted into changes that
//! break clients and those that do not, and the definitions that lack a description.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use async_graphql::parser::types::{
    FieldDefinition, InputValueDefinition, Type, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_schema};

/// What changed from one schema to the next.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Changes after which a query that worked may fail: a type, field, argument or enum value
    /// removed, an argument or input field made required, a type changed.
    pub breaking: Vec<String>,
    /// Everything else: additions, descriptions, defaults.
    pub other: Vec<String>,
}

/// The type definitions of `sdl`, by name.
fn types(sdl: &str) -> Result<BTreeMap<String, TypeDefinition>> {
    let doc = parse_schema(sdl).context("parsing SDL")?;
    Ok(doc
        .definitions
        .into_iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), t.node)),
            _ => None,
        })
        .collect())
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "type",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input",
    }
}

fn description(d: &Option<Positioned<String>>) -> Option<&str> {
    d.as_ref().map(|d| d.node.as_str())
}

/// Whether a value of type `new` may stand where one of `old` was read (an output: a field may
/// become non-null, not nullable) or given (an input: an argument may become nullable, not
/// required), the named types being the same.
fn compatible(old: &Type, new: &Type, output: bool) -> bool {
    use async_graphql::parser::types::BaseType;
    let nullability = if output {
        old.nullable || !new.nullable
    } else {
        !old.nullable || new.nullable
    };
    nullability
        && match (&old.base, &new.base) {
            (BaseType::Named(a), BaseType::Named(b)) => a == b,
            (BaseType::List(a), BaseType::List(b)) => compatible(a, b, output),
            _ => false,
        }
}

fn required(v: &InputValueDefinition) -> bool {
    !v.ty.node.nullable && v.default_value.is_none()
}

/// Inputs (arguments, or an input type's fields) of `at`, old against new.
fn compare_inputs(
    at: &str,
    old: &[Positioned<InputValueDefinition>],
    new: &[Positioned<InputValueDefinition>],
    out: &mut Changes,
) {
    let by_name =
        |list: &[Positioned<InputValueDefinition>]| -> BTreeMap<String, InputValueDefinition> {
            list.iter()
                .map(|v| (v.node.name.node.to_string(), v.node.clone()))
                .collect()
        };
    let (old, new) = (by_name(old), by_name(new));
    for (name, o) in &old {
        match new.get(name) {
            None => out.breaking.push(format!("{at}({name}:) removed")),
            Some(n) => {
                if !compatible(&o.ty.node, &n.ty.node, false) {
                    out.breaking.push(format!(
                        "{at}({name}:) changed type from {} to {}",
                        o.ty.node, n.ty.node
                    ));
                } else if required(n) && !required(o) {
                    out.breaking.push(format!("{at}({name}:) became required"));
                } else if o.ty.node != n.ty.node {
                    out.other
                        .push(format!("{at}({name}:) {} became {}", o.ty.node, n.ty.node));
                }
                if o.default_value.as_ref().map(|v| v.node.to_string())
                    != n.default_value.as_ref().map(|v| v.node.to_string())
                {
                    out.other.push(format!("{at}({name}:) default changed"));
                }
                if description(&o.description) != description(&n.description) {
                    out.other.push(format!("{at}({name}:) description changed"));
                }
            }
        }
    }
    for (name, n) in &new {
        if !old.contains_key(name) {
            if required(n) {
                out.breaking
                    .push(format!("{at}({name}:) added as required ({})", n.ty.node));
            } else {
                out.other.push(format!("{at}({name}:) added"));
            }
        }
    }
}

fn compare_fields(
    owner: &str,
    old: &[Positioned<FieldDefinition>],
    new: &[Positioned<FieldDefinition>],
    out: &mut Changes,
) {
    let by_name = |list: &[Positioned<FieldDefinition>]| -> BTreeMap<String, FieldDefinition> {
        list.iter()
            .map(|f| (f.node.name.node.to_string(), f.node.clone()))
            .collect()
    };
    let (old, new) = (by_name(old), by_name(new));
    for (name, o) in &old {
        let at = format!("{owner}.{name}");
        match new.get(name) {
            None => out.breaking.push(format!("{at} removed")),
            Some(n) => {
                if !compatible(&o.ty.node, &n.ty.node, true) {
                    out.breaking.push(format!(
                        "{at} changed type from {} to {}",
                        o.ty.node, n.ty.node
                    ));
                } else if o.ty.node != n.ty.node {
                    out.other
                        .push(format!("{at} {} became {}", o.ty.node, n.ty.node));
                }
                compare_inputs(&at, &o.arguments, &n.arguments, out);
                if description(&o.description) != description(&n.description) {
                    out.other.push(format!("{at} description changed"));
                }
            }
        }
    }
    for name in new.keys().filter(|n| !old.contains_key(*n)) {
        out.other.push(format!("{owner}.{name} added"));
    }
}

fn names(list: &[Positioned<async_graphql::Name>]) -> Vec<String> {
    list.iter().map(|n| n.node.to_string()).collect()
}

/// What changed from the schema `old` to the schema `new` (both SDL).
pub fn compare(old: &str, new: &str) -> Result<Changes> {
    let (old, new) = (types(old)?, types(new)?);
    let mut out = Changes::default();
    for (name, o) in &old {
        let Some(n) = new.get(name) else {
            out.breaking
                .push(format!("{} {name} removed", kind_name(&o.kind)));
            continue;
        };
        if description(&o.description) != description(&n.description) {
            out.other.push(format!("{name} description changed"));
        }
        match (&o.kind, &n.kind) {
            (TypeKind::Scalar, TypeKind::Scalar) => {}
            (TypeKind::Object(a), TypeKind::Object(b)) => {
                for i in names(&a.implements) {
                    if !names(&b.implements).contains(&i) {
                        out.breaking
                            .push(format!("{name} no longer implements {i}"));
                    }
                }
                compare_fields(name, &a.fields, &b.fields, &mut out);
            }
            (TypeKind::Interface(a), TypeKind::Interface(b)) => {
                compare_fields(name, &a.fields, &b.fields, &mut out);
            }
            (TypeKind::Union(a), TypeKind::Union(b)) => {
                for m in names(&a.members) {
                    if !names(&b.members).contains(&m) {
                        out.breaking.push(format!("union {name} lost {m}"));
                    }
                }
            }
            (TypeKind::Enum(a), TypeKind::Enum(b)) => {
                let values = |e: &async_graphql::parser::types::EnumType| -> Vec<String> {
                    e.values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect()
                };
                let (va, vb) = (values(a), values(b));
                for v in &va {
                    if !vb.contains(v) {
                        out.breaking.push(format!("{name}.{v} removed"));
                    }
                }
                for v in vb.iter().filter(|v| !va.contains(v)) {
                    out.other.push(format!("{name}.{v} added"));
                }
            }
            (TypeKind::InputObject(a), TypeKind::InputObject(b)) => {
                compare_inputs(name, &a.fields, &b.fields, &mut out);
            }
            (a, b) => out.breaking.push(format!(
                "{name} changed from {} to {}",
                kind_name(a),
                kind_name(b)
            )),
        }
    }
    for (name, n) in &new {
        if !old.contains_key(name) {
            out.other
                .push(format!("{} {name} added", kind_name(&n.kind)));
        }
    }
    Ok(out)
}

/// Every type, field, argument, input field and enum value of `sdl` without a description.
pub fn undescribed(sdl: &str) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    let blank = |d: &Option<Positioned<String>>| description(d).is_none_or(|d| d.trim().is_empty());
    for (name, t) in types(sdl)? {
        if blank(&t.description) {
            missing.push(name.clone());
        }
        let inputs =
            |at: &str, list: &[Positioned<InputValueDefinition>], missing: &mut Vec<String>| {
                for v in list {
                    if blank(&v.node.description) {
                        missing.push(format!("{at}({}:)", v.node.name.node));
                    }
                }
            };
        let fields = |list: &[Positioned<FieldDefinition>], missing: &mut Vec<String>| {
            for f in list {
                let at = format!("{name}.{}", f.node.name.node);
                if blank(&f.node.description) {
                    missing.push(at.clone());
                }
                inputs(&at, &f.node.arguments, missing);
            }
        };
        match &t.kind {
            TypeKind::Object(o) => fields(&o.fields, &mut missing),
            TypeKind::Interface(i) => fields(&i.fields, &mut missing),
            TypeKind::InputObject(i) => inputs(&name, &i.fields, &mut missing),
            TypeKind::Enum(e) => {
                for v in &e.values {
                    if blank(&v.node.description) {
                        missing.push(format!("{name}.{}", v.node.value.node));
                    }
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"
        type Query { a(x: Int): String, b: Int!, gone: Int, list(first: Int = 20): [Int!] }
        enum Color { RED GREEN }
        input Filter { name: String }
        type Old { x: Int }
    "#;

    #[test]
    fn removals_and_new_requirements_break_and_additions_do_not() {
        let after = r#"
            type Query { a(x: Int, y: Int!): String!, b: String, list(first: Int = 20, q: String): [Int!], added: Int }
            enum Color { RED BLUE }
            input Filter { name: String, must: Int! }
            type New { x: Int }
        "#;
        let changes = compare(BEFORE, after).unwrap();
        let mut breaking = changes.breaking.clone();
        breaking.sort();
        assert_eq!(
            breaking,
            [
                "Color.GREEN removed",
                "Filter(must:) added as required (Int!)",
                "Query.a(y:) added as required (Int!)",
                "Query.b changed type from Int! to String",
                "Query.gone removed",
                "type Old removed",
            ]
        );
        for addition in [
            "Query.added added",
            "Color.BLUE added",
            "type New added",
            "Query.list(q:) added",
            "Query.a String became String!",
        ] {
            assert!(
                changes.other.iter().any(|c| c == addition),
                "{addition}: {:?}",
                changes.other
            );
        }
    }

    #[test]
    fn the_same_schema_has_no_changes() {
        assert_eq!(compare(BEFORE, BEFORE).unwrap(), Changes::default());
    }

    #[test]
    fn undescribed_definitions_are_named() {
        let sdl = r#"
            "The root." type Query { "Described." a(x: Int): String, b: Int }
            enum Color { "Red." RED GREEN }
        "#;
        assert_eq!(
            undescribed(sdl).unwrap(),
            ["Color", "Color.GREEN", "Query.a(x:)", "Query.b"]
        );
    }
}
