//! The schema as a contract: `api/schema.graphql` is the code's schema, changes to it are shown
//! with what they break, and every part of it is described.

use std::path::Path;

use anyhow::Result;
use sixpotify_tests::schema_contract::{compare, undescribed};

const FILE: &str = "api/schema.graphql";
const REGENERATE: &str = "cargo run -p sixpotify-api -- schema > api/schema.graphql";

fn checked_in() -> Result<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FILE);
    Ok(std::fs::read_to_string(path)?)
}

#[test]
fn the_checked_in_schema_is_the_code_s_schema_and_a_difference_lists_what_it_breaks() -> Result<()>
{
    let file = checked_in()?;
    let code = sixpotify_api::graphql::sdl();
    if file == code {
        return Ok(());
    }
    let changes = compare(&file, &code)?;
    let list = |items: &[String]| {
        if items.is_empty() {
            "  (none)\n".to_owned()
        } else {
            items.iter().map(|c| format!("  - {c}\n")).collect()
        }
    };
    let diff = similar::TextDiff::from_lines(&file, &code)
        .unified_diff()
        .context_radius(2)
        .header(FILE, "the code's schema")
        .to_string();
    panic!(
        "{FILE} is not the code's schema.\n\nBREAKING changes (clients' queries may fail):\n{}\nOther changes:\n{}\nIf the change is meant, regenerate the file with `{REGENERATE}` and review it.\n\n{diff}",
        list(&changes.breaking),
        list(&changes.other),
    );
}

#[test]
fn every_type_field_argument_and_enum_value_has_a_description() -> Result<()> {
    let missing = undescribed(&sixpotify_api::graphql::sdl())?;
    assert!(
        missing.is_empty(),
        "{} definitions have no description (a `///` comment or `desc`):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
    Ok(())
}
